import { describe, expect, it } from 'vitest';
import type { Device } from '@lifeline/core';
import { CONFIG_KEYS, loadRegistry, setLogLevel } from '@lifeline/core/node';
import { planConnections } from '../../../simulators/src/connection-plan.js';
import { checkCredentialsFile, type MqttCredential } from '../../../simulators/src/credentials-file.js';
import { Simulator } from '../../../simulators/src/simulator.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
setLogLevel('warn');
const secret = 's3cret-0123456789abcdef';
const byTenant = new Map<string, Device[]>();
for (const d of registry.devices) byTenant.set(d.tenant, [...(byTenant.get(d.tenant) ?? []), d]);
/** The tenant with the most devices: its smoke detectors and gas detectors behind one gateway each. */
const [tenant, devices] = [...byTenant].sort((x, y) => y[1].length - x[1].length)[0]!;

const sorted = (ds: readonly Device[]) => [...ds].sort((x, y) => x.id.localeCompare(y.id));

/** Every device its own credential, except `gatewayed` behind one gateway. */
function credentials(gatewayed = devices.slice(1)) {
  const behind = new Set(gatewayed.map((d) => d.id));
  const list: MqttCredential[] = registry.devices
    .filter((d) => !behind.has(d.id))
    .map((d) => ({ username: d.id, secret: `${secret}-${d.id}`, tenant: d.tenant, devices: [d.id] }));
  if (gatewayed.length) list.push({ username: 'gw-test', secret, tenant, devices: gatewayed.map((d) => d.id) });
  return checkCredentialsFile({ version: 1, credentials: list }, 'creds.json', registry);
}

describe('connection planning', () => {
  it('gives a device with its own credential a connection of its own: client id and username the device id, its secret, a retained last will offline', () => {
    const d = devices[0]!;
    const plan = planConnections(registry.devices, { credentials: credentials() });
    const conn = plan.connections.find((c) => c.devices.includes(d))!;
    expect(conn).toEqual({
      name: d.id,
      kind: 'device',
      clientId: d.id,
      username: d.id,
      password: `${secret}-${d.id}`,
      will: { topic: `lifeline/v1/${tenant}/${d.id}/status`, payload: 'offline', qos: 1, retain: true },
      devices: [d],
    });
    expect(plan.uncredentialed).toEqual([]);
  });

  it("puts every device a gateway covers on the gateway's one connection, with no last will (it speaks for many)", () => {
    const behind = devices.slice(1);
    const plan = planConnections(registry.devices, { credentials: credentials(behind) });
    const gw = plan.connections.filter((c) => c.name === 'gw-test');
    expect(gw).toHaveLength(1);
    expect(gw[0]).toMatchObject({ kind: 'gateway', clientId: 'gw-test', username: 'gw-test', password: secret });
    expect(gw[0]!.will).toBeUndefined();
    expect(gw[0]!.devices).toEqual(behind);
    expect(plan.connections).toHaveLength(registry.devices.length - behind.length + 1);
    // Every device is on exactly one connection.
    expect(sorted(plan.connections.flatMap((c) => c.devices))).toEqual(sorted(registry.devices));
  });

  it('opens a gateway only for the devices simulated, and no connection for a credential none of whose devices is', () => {
    const gas = registry.devices.filter((d) => d.kind === 'gas');
    const plan = planConnections(gas, { credentials: credentials() });
    expect(sorted(plan.connections.flatMap((c) => c.devices))).toEqual(sorted(gas));
    for (const c of plan.connections) expect(c.devices.every((d) => d.kind === 'gas')).toBe(true);
  });

  it('lists the devices no credential covers', () => {
    const creds = credentials([]);
    const missing = registry.devices.slice(0, 3);
    for (const d of missing) creds.byDevice.delete(d.id);
    const plan = planConnections(registry.devices, { credentials: creds });
    expect(plan.uncredentialed).toEqual(missing);
    expect(plan.connections).toHaveLength(registry.devices.length - 3);
  });

  it('without credentials, connects once per tenant as the tenant, or as the given user', () => {
    const plan = planConnections(registry.devices, { clientIdPrefix: 'sim', suffix: 'abc', password: 'pw' });
    expect(plan.connections).toHaveLength(byTenant.size);
    const t = plan.connections.find((c) => c.name === tenant)!;
    expect(t).toMatchObject({ kind: 'tenant', clientId: `sim-${tenant}-abc`, username: tenant, password: 'pw', devices });
    expect(t.will).toBeUndefined();
    const as = planConnections(registry.devices, { clientIdPrefix: 'sim', suffix: 'abc', username: 'simulator' });
    expect(as.connections.every((c) => c.username === 'simulator' && c.password === undefined)).toBe(true);
  });
});

describe('connection planning for load tests (without credentials)', () => {
  const anon = { clientIdPrefix: 'sim', suffix: 'abc' };

  it('gives every device a connection of its own: client id from the device, username the device, a retained last will offline', () => {
    const plan = planConnections(registry.devices, { ...anon, grouping: { by: 'device' } });
    expect(plan.connections).toHaveLength(registry.devices.length);
    const d = devices[0]!;
    expect(plan.connections.find((c) => c.devices.includes(d))).toEqual({
      name: d.id,
      kind: 'device',
      clientId: `sim-${d.id}-abc`,
      username: d.id,
      will: { topic: `lifeline/v1/${tenant}/${d.id}/status`, payload: 'offline', qos: 1, retain: true },
      devices: [d],
    });
    expect(new Set(plan.connections.map((c) => c.clientId)).size).toBe(registry.devices.length);
  });

  it.each([1, 7, 50])('puts up to %i devices of one tenant behind each gateway, in registry order, every device on exactly one', (size) => {
    const plan = planConnections(registry.devices, { ...anon, password: 'pw', grouping: { by: 'gateway', size } });
    let want = 0;
    for (const ds of byTenant.values()) want += Math.ceil(ds.length / size);
    expect(plan.connections).toHaveLength(want);
    for (const c of plan.connections) {
      expect(c.kind).toBe('gateway');
      expect(c.devices.length).toBeGreaterThanOrEqual(1);
      expect(c.devices.length).toBeLessThanOrEqual(size);
      expect(new Set(c.devices.map((d) => d.tenant)).size).toBe(1);
      expect(c.will).toBeUndefined();
      expect(c).toMatchObject({ clientId: `sim-${c.name}-abc`, username: c.name, password: 'pw' });
    }
    expect(sorted(plan.connections.flatMap((c) => c.devices))).toEqual(sorted(registry.devices));
    // The tenant's devices fill its gateways in registry order: the first gateway has the first `size`.
    expect(plan.connections.find((c) => c.name === `gw-${tenant}-1`)!.devices).toEqual(devices.slice(0, size));
  });

  it('refuses a gateway of no devices', () => {
    expect(() => planConnections(registry.devices, { ...anon, grouping: { by: 'gateway', size: 0 } })).toThrow(/whole number of devices/);
  });

  it('plans the simulator’s connections by the grouping, and refuses a grouping with a credentials file (the file decides)', () => {
    const sim = new Simulator({ url: 'mqtt://127.0.0.1:1', registry, incident: null, grouping: { by: 'gateway', size: 10 } });
    let want = 0;
    for (const ds of byTenant.values()) want += Math.ceil(ds.length / 10);
    expect(sim.stats()).toMatchObject({ devices: registry.devices.length, connections: want, connected: 0, offered: 0, inFlight: 0, skipped: 0 });
    expect(() => new Simulator({ url: 'mqtt://127.0.0.1:1', registry, incident: null, credentials: credentials(), grouping: { by: 'device' } })).toThrow(
      /follow the credentials file/,
    );
    expect(() => new Simulator({ url: 'mqtt://127.0.0.1:1', registry, incident: null, rateMultiplier: 0 })).toThrow(/rate multiplier/);
  });
});

describe('the simulator and devices without a credential', () => {
  const missing = () => {
    const creds = credentials([]);
    for (const d of registry.devices.slice(0, 7)) creds.byDevice.delete(d.id);
    return creds;
  };

  it('refuses to start, saying how many and the first few', () => {
    const ids = registry.devices
      .slice(0, 5)
      .map((d) => d.id)
      .join(', ');
    expect(() => new Simulator({ url: 'mqtt://127.0.0.1:1', registry, credentials: missing(), incident: null })).toThrow(
      `7 of ${registry.devices.length} simulated devices have no credential in creds.json (${ids}, …): give them credentials, or leave them out (--skip-uncredentialed)`,
    );
  });

  it('leaves them out when asked, and says so when one of them was to script an incident', () => {
    const sim = new Simulator({ url: 'mqtt://127.0.0.1:1', registry, credentials: missing(), skipUncredentialed: true, incident: null });
    expect(sim.uncredentialed).toHaveLength(7);
    expect(sim.stats()).toMatchObject({ devices: registry.devices.length - 7, connections: registry.devices.length - 7 });
    const gas = registry.devices.slice(0, 7).find((d) => d.kind === 'gas');
    if (gas) {
      expect(
        () => new Simulator({ url: 'mqtt://127.0.0.1:1', registry, credentials: missing(), skipUncredentialed: true, incident: { deviceId: gas.id, atS: 0 } }),
      ).toThrow(`device "${gas.id}" is left out: it has no credential`);
    }
  });
});
