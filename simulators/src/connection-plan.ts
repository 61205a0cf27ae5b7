/**
 * Which MQTT connection each simulated device publishes through. Pure, so the
 * plan can be checked without a broker:
 * - with a credentials file, one connection per credential that covers a
 *   simulated device (client id = username = the credential's, password = its
 *   secret), and a last will `offline` on the device's status topic when the
 *   credential is a device's own;
 * - without one (anonymous development brokers), one connection per tenant,
 *   per device (with the same last will), or per gateway of N devices of one
 *   tenant — the load mode's thousands of connections.
 */
import { deviceTopic, type Device } from '@lifeline/core';
import { isDeviceCredential, type LoadedCredentials } from './credentials-file.js';

export interface PlannedConnection {
  /** What messages call it: the credential's username, or the tenant. */
  name: string;
  kind: 'device' | 'gateway' | 'tenant';
  clientId: string;
  username?: string;
  password?: string;
  /** Retained on the device's status topic by the broker if the connection dies without a goodbye. */
  will?: { topic: string; payload: string; qos: 1; retain: true };
  /** The simulated devices that publish through it, in registry order. */
  devices: Device[];
}

export interface ConnectionPlan {
  connections: PlannedConnection[];
  /** Simulated devices that no credential covers (only with a credentials file). */
  uncredentialed: Device[];
}

/** Without credentials: one connection per tenant, per device, or per gateway of `size` devices of one tenant. */
export type Grouping = { by: 'tenant' } | { by: 'device' } | { by: 'gateway'; size: number };

export interface TenantConnections {
  /** Client ids are `${prefix}-${name}-${suffix}`: the suffix keeps two simulators apart. */
  clientIdPrefix: string;
  suffix: string;
  /** Every connection logs in as this user; as its name (the tenant, device or gateway) otherwise. */
  username?: string;
  password?: string;
  /** Per tenant unless given. */
  grouping?: Grouping;
}

export type PlanSource = { credentials: LoadedCredentials } | TenantConnections;

export function planConnections(devices: readonly Device[], source: PlanSource): ConnectionPlan {
  const groups = new Map<string, Device[]>();
  const uncredentialed: Device[] = [];
  const creds = 'credentials' in source ? source.credentials : null;
  const tenant = 'credentials' in source ? null : source;
  const grouping = tenant?.grouping ?? { by: 'tenant' };
  if (grouping.by === 'gateway' && !(Number.isInteger(grouping.size) && grouping.size >= 1)) {
    throw new RangeError(`a gateway has a whole number of devices ≥ 1, got ${grouping.size}`);
  }
  // Gateways fill up in registry order within their tenant: neighbouring devices (one site's) share one.
  const filled = new Map<string, number>();
  const keyOf = (d: Device): string | undefined => {
    if (creds) return creds.byDevice.get(d.id)?.username;
    if (grouping.by === 'tenant') return d.tenant;
    if (grouping.by === 'device') return d.id;
    const n = filled.get(d.tenant) ?? 0;
    filled.set(d.tenant, n + 1);
    return `gw-${d.tenant}-${Math.floor(n / grouping.size) + 1}`;
  };
  for (const d of devices) {
    const key = keyOf(d);
    if (key === undefined) {
      uncredentialed.push(d);
      continue;
    }
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(d);
  }
  const connections: PlannedConnection[] = [];
  for (const [key, group] of groups) {
    if (creds) {
      const c = creds.byDevice.get(group[0]!.id)!;
      const own = isDeviceCredential(c);
      connections.push({
        name: c.username,
        kind: own ? 'device' : 'gateway',
        clientId: c.username,
        username: c.username,
        password: c.secret,
        ...(own ? { will: { topic: deviceTopic(c.tenant, c.username, 'status'), payload: 'offline', qos: 1, retain: true } } : {}),
        devices: group,
      });
    } else if (tenant && grouping.by === 'device') {
      const d = group[0]!;
      connections.push({
        name: key,
        kind: 'device',
        clientId: `${tenant.clientIdPrefix}-${key}-${tenant.suffix}`,
        username: tenant.username ?? key,
        ...(tenant.password !== undefined ? { password: tenant.password } : {}),
        will: { topic: deviceTopic(d.tenant, d.id, 'status'), payload: 'offline', qos: 1, retain: true },
        devices: group,
      });
    } else if (tenant) {
      connections.push({
        name: key,
        kind: grouping.by === 'gateway' ? 'gateway' : 'tenant',
        clientId: `${tenant.clientIdPrefix}-${key}-${tenant.suffix}`,
        username: tenant.username ?? key,
        ...(tenant.password !== undefined ? { password: tenant.password } : {}),
        devices: group,
      });
    }
  }
  return { connections, uncredentialed };
}
