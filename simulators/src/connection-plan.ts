/**
 * Which MQTT connection each simulated device publishes through. Pure, so the
 * plan can be checked without a broker:
 * - with a credentials file, one connection per credential that covers a
 *   simulated device (client id = username = the credential's, password = its
 *   secret), and a last will `offline` on the device's status topic when the
 *   credential is a device's own;
 * - without one (anonymous development brokers), one connection per tenant.
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

export interface TenantConnections {
  /** Client ids are `${prefix}-${tenant}-${suffix}`: the suffix keeps two simulators apart. */
  clientIdPrefix: string;
  suffix: string;
  /** Every tenant's connection logs in as this user; as its tenant otherwise. */
  username?: string;
  password?: string;
}

export type PlanSource = { credentials: LoadedCredentials } | TenantConnections;

export function planConnections(devices: readonly Device[], source: PlanSource): ConnectionPlan {
  const groups = new Map<string, Device[]>();
  const uncredentialed: Device[] = [];
  const creds = 'credentials' in source ? source.credentials : null;
  const tenant = 'credentials' in source ? null : source;
  for (const d of devices) {
    const key = creds ? creds.byDevice.get(d.id)?.username : d.tenant;
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
    } else if (tenant) {
      connections.push({
        name: key,
        kind: 'tenant',
        clientId: `${tenant.clientIdPrefix}-${key}-${tenant.suffix}`,
        username: tenant.username ?? key,
        ...(tenant.password !== undefined ? { password: tenant.password } : {}),
        devices: group,
      });
    }
  }
  return { connections, uncredentialed };
}
