import { describe, expect, it } from 'vitest';
import { DeviceAuthenticator, type Principal } from '../../../server/src/auth/device-auth.js';
import { MemoryCredentialStore } from '../../support/memory-credentials.js';

const INGEST = { username: 'lifeline-ingest', secret: 'ingest-secret-for-tests-only', clientId: 'lifeline-ingest' };
const CAP = 1024;

const device: Principal = { kind: 'device', username: 'gas-1', tenant: 'qx-gas', devices: new Set(['gas-1']) };
const gateway: Principal = { kind: 'gateway', username: 'gw-1', tenant: 'qx-fire', devices: new Set(['smoke-1', 'smoke-2']) };
const ingest: Principal = { kind: 'ingest' };

function authenticator(store = new MemoryCredentialStore(), clock = { t: 0 }) {
  return new DeviceAuthenticator(store, INGEST, { maxPayloadBytes: CAP, refreshMs: 2000, now: () => clock.t });
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('DeviceAuthenticator.mayPublish', () => {
  const auth = authenticator();

  it('lets a device publish its own telemetry, events and status', () => {
    for (const channel of ['telemetry', 'event', 'status']) {
      expect(auth.mayPublish(device, `lifeline/v1/qx-gas/gas-1/${channel}`, false, 10)).toEqual({ ok: true });
    }
  });

  it('refuses another device of the same tenant', () => {
    expect(auth.mayPublish(device, 'lifeline/v1/qx-gas/gas-2/telemetry', false, 10)).toMatchObject({ ok: false, reason: expect.stringMatching(/gas-2/) });
  });

  it('refuses its own device id under another tenant', () => {
    expect(auth.mayPublish(device, 'lifeline/v1/city/gas-1/telemetry', false, 10)).toMatchObject({ ok: false, reason: expect.stringMatching(/tenant/) });
  });

  it('allows retain on status only', () => {
    expect(auth.mayPublish(device, 'lifeline/v1/qx-gas/gas-1/status', true, 7)).toEqual({ ok: true });
    expect(auth.mayPublish(device, 'lifeline/v1/qx-gas/gas-1/telemetry', true, 7)).toMatchObject({ ok: false, reason: expect.stringMatching(/retain/) });
    expect(auth.mayPublish(device, 'lifeline/v1/qx-gas/gas-1/event', true, 7)).toMatchObject({ ok: false });
  });

  it('refuses a payload over the cap and accepts one of exactly the cap', () => {
    expect(auth.mayPublish(device, 'lifeline/v1/qx-gas/gas-1/telemetry', false, CAP)).toEqual({ ok: true });
    expect(auth.mayPublish(device, 'lifeline/v1/qx-gas/gas-1/telemetry', false, CAP + 1)).toMatchObject({ ok: false, reason: expect.stringMatching(/cap/) });
  });

  it('refuses topics outside the contract', () => {
    for (const topic of [
      'lifeline/v1/qx-gas/gas-1/telemetry/extra',
      'lifeline/v1/qx-gas/gas-1/command',
      'lifeline/v2/qx-gas/gas-1/telemetry',
      'lifeline/v1/qx-gas/gas-1',
      '$SYS/broker/uptime',
      'other/topic',
    ]) {
      expect(auth.mayPublish(device, topic, false, 10), topic).toMatchObject({ ok: false });
    }
  });

  it('lets a gateway publish for each of its devices and no other', () => {
    expect(auth.mayPublish(gateway, 'lifeline/v1/qx-fire/smoke-1/event', false, 10)).toEqual({ ok: true });
    expect(auth.mayPublish(gateway, 'lifeline/v1/qx-fire/smoke-2/telemetry', false, 10)).toEqual({ ok: true });
    expect(auth.mayPublish(gateway, 'lifeline/v1/qx-fire/smoke-3/telemetry', false, 10)).toMatchObject({ ok: false });
    expect(auth.mayPublish(gateway, 'lifeline/v1/qx-fire/gw-1/telemetry', false, 10)).toMatchObject({ ok: false });
  });

  it('lets the ingest identity publish nothing', () => {
    expect(auth.mayPublish(ingest, 'lifeline/v1/qx-gas/gas-1/telemetry', false, 10)).toMatchObject({ ok: false });
  });
});

describe('DeviceAuthenticator.maySubscribe', () => {
  const auth = authenticator();

  it('lets ingest read the device topics, directly or through a shared subscription', () => {
    for (const filter of ['lifeline/v1/#', '$share/ingest/lifeline/v1/#', 'lifeline/v1/+/+/+', '$share/ingest/lifeline/v1/+/+/+']) {
      expect(auth.maySubscribe(ingest, filter), filter).toEqual({ ok: true });
    }
  });

  it('refuses ingest anything outside lifeline/v1/', () => {
    for (const filter of [
      '#',
      '+/#',
      '$SYS/#',
      'lifeline/#',
      'lifeline/+/#',
      'lifeline/v1',
      'lifeline/v1/',
      '$share/ingest/#',
      '$share//lifeline/v1/#',
      '$share/a/b/#',
    ]) {
      expect(auth.maySubscribe(ingest, filter), filter).toMatchObject({ ok: false });
    }
  });

  it('refuses every subscription of a device or a gateway, its own topics included', () => {
    for (const filter of ['#', 'lifeline/v1/#', 'lifeline/v1/qx-gas/gas-1/status', '$share/x/lifeline/v1/#']) {
      expect(auth.maySubscribe(device, filter), filter).toMatchObject({ ok: false });
      expect(auth.maySubscribe(gateway, filter), filter).toMatchObject({ ok: false });
    }
  });
});

describe('DeviceAuthenticator.check', () => {
  it('refuses an anonymous connect as not authorized', async () => {
    expect(await authenticator().check(undefined, undefined, 'x')).toMatchObject({ ok: false, code: 5 });
    expect(await authenticator().check('', Buffer.from('x'), 'x')).toMatchObject({ ok: false, code: 5 });
  });

  it('accepts a device whose secret is right and whose client id is its username', async () => {
    const store = new MemoryCredentialStore();
    const secret = await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    const p = await authenticator(store).authenticate('gas-1', Buffer.from(secret), 'gas-1');
    expect(p).toMatchObject({ kind: 'device', username: 'gas-1', tenant: 'qx-gas' });
    expect([...(p as { devices: ReadonlySet<string> }).devices]).toEqual(['gas-1']);
  });

  it('refuses a wrong secret and an unknown username alike (bad username or password)', async () => {
    const store = new MemoryCredentialStore();
    await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    const auth = authenticator(store);
    expect(await auth.check('gas-1', Buffer.from('wrong'), 'gas-1')).toMatchObject({ ok: false, code: 4 });
    expect(await auth.check('gas-9', Buffer.from('wrong'), 'gas-9')).toMatchObject({ ok: false, code: 4 });
  });

  it("refuses a device that connects with another client id, ingest's included", async () => {
    const store = new MemoryCredentialStore();
    const secret = await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    const auth = authenticator(store);
    expect(await auth.check('gas-1', secret, 'gas-2')).toMatchObject({ ok: false, code: 2 });
    expect(await auth.check('gas-1', secret, INGEST.clientId)).toMatchObject({ ok: false, code: 2 });
  });

  it('accepts the ingest identity on its client id or a worker suffix of it, and nowhere else', async () => {
    const auth = authenticator();
    expect(await auth.authenticate(INGEST.username, INGEST.secret, INGEST.clientId)).toEqual({ kind: 'ingest' });
    expect(await auth.authenticate(INGEST.username, INGEST.secret, `${INGEST.clientId}-2`)).toEqual({ kind: 'ingest' });
    expect(await auth.check(INGEST.username, INGEST.secret, 'gas-1')).toMatchObject({ ok: false, code: 2 });
    expect(await auth.check(INGEST.username, 'wrong', INGEST.clientId)).toMatchObject({ ok: false, code: 4 });
  });

  it("never lets a credential named like ingest's username or client id in", async () => {
    const store = new MemoryCredentialStore();
    const a = await store.issue({ username: INGEST.username, kind: 'device', tenant: 't', devices: [INGEST.username] });
    const b = await store.issue({ username: `${INGEST.clientId}-x`, kind: 'device', tenant: 't', devices: [`${INGEST.clientId}-x`] });
    const auth = authenticator(store);
    expect(await auth.authenticate(INGEST.username, a, INGEST.username)).toBeNull();
    expect(await auth.authenticate(`${INGEST.clientId}-x`, b, `${INGEST.clientId}-x`)).toBeNull();
  });

  it('refuses a disabled credential once the change is seen', async () => {
    const store = new MemoryCredentialStore();
    const clock = { t: 0 };
    const secret = await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    const auth = authenticator(store, clock);
    expect(await auth.authenticate('gas-1', secret, 'gas-1')).not.toBeNull();
    await store.setDisabled('gas-1', true);
    clock.t += 2000;
    await auth.authenticate('gas-1', secret, 'gas-1'); // served from the cache while the version is asked
    await flush();
    expect(await auth.check('gas-1', secret, 'gas-1')).toMatchObject({ ok: false, code: 4 });
  });

  it('answers server unavailable while the store cannot be read and nothing is cached', async () => {
    const store = new MemoryCredentialStore();
    store.failing = new Error('connection refused');
    expect(await authenticator(store).check('gas-1', 'x', 'gas-1')).toMatchObject({ ok: false, code: 3 });
  });

  it('keeps admitting cached devices while the store is down', async () => {
    const store = new MemoryCredentialStore();
    const clock = { t: 0 };
    const secret = await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    const auth = authenticator(store, clock);
    await auth.load();
    store.failing = new Error('connection refused');
    clock.t += 10_000;
    expect(await auth.authenticate('gas-1', secret, 'gas-1')).not.toBeNull();
    expect(await auth.check('gas-2', secret, 'gas-2')).toMatchObject({ ok: false, code: 4 });
  });
});

describe('the credential cache', () => {
  it('serves a fleet reconnecting at once with one list and few version checks', async () => {
    const store = new MemoryCredentialStore();
    const n = 200;
    const secrets = await store.issueMany(
      Array.from({ length: n }, (_, i) => ({ username: `d-${i}`, kind: 'device' as const, tenant: 't', devices: [`d-${i}`] })),
    );
    const clock = { t: 0 };
    const auth = authenticator(store, clock);
    const results = await Promise.all([...secrets].map(([u, s]) => auth.authenticate(u, s, u)));
    expect(results.every((p) => p !== null)).toBe(true);
    // And again a second later, within refreshMs: nothing reaches the store.
    clock.t += 1000;
    const before = { ...store.calls };
    await Promise.all([...secrets].map(([u, s]) => auth.authenticate(u, s, u)));
    expect(store.calls).toEqual(before);
    expect(store.calls.list).toBe(1);
    expect(store.calls.version).toBeLessThanOrEqual(2);
  });

  it('names the credentials disabled, rotated or given other devices after a reload, and no other', async () => {
    const store = new MemoryCredentialStore();
    for (const u of ['a', 'b', 'c', 'd']) await store.issue({ username: u, kind: 'device', tenant: 't', devices: [u] });
    await store.issue({ username: 'gw', kind: 'gateway', tenant: 't', devices: ['x', 'y'] });
    const auth = authenticator(store);
    const revoked: string[][] = [];
    auth.onRevoke((u) => revoked.push(u));
    await auth.load();
    await store.setDisabled('a', true);
    await store.issue({ username: 'b', kind: 'device', tenant: 't', devices: ['b'] });
    await store.issue({ username: 'gw', kind: 'gateway', tenant: 't', devices: ['x'] });
    await store.issue({ username: 'e', kind: 'device', tenant: 't', devices: ['e'] });
    await auth.load();
    expect(revoked.map((r) => [...r].sort())).toEqual([['a', 'b', 'gw']]);
  });

  it('admits a credential issued after the cache was loaded on its first connect', async () => {
    const store = new MemoryCredentialStore();
    const auth = authenticator(store);
    await auth.load();
    const secret = await store.issue({ username: 'gas-new', kind: 'device', tenant: 'qx-gas', devices: ['gas-new'] });
    expect(await auth.authenticate('gas-new', secret, 'gas-new')).not.toBeNull();
  });

  it('admits the new secret of a rotated credential at once and refuses the old one', async () => {
    const store = new MemoryCredentialStore();
    const old = await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    const auth = authenticator(store);
    expect(await auth.authenticate('gas-1', old, 'gas-1')).not.toBeNull();
    const fresh = await store.issue({ username: 'gas-1', kind: 'device', tenant: 'qx-gas', devices: ['gas-1'] });
    expect(await auth.authenticate('gas-1', fresh, 'gas-1')).not.toBeNull();
    expect(await auth.authenticate('gas-1', old, 'gas-1')).toBeNull();
  });
});
