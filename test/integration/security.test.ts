import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connect, type Socket } from 'socket.io-client';
import type { Alert, AuditEntry, ClientToServerEvents, DeviceView, Me, ServerToClientEvents, Silence, TimelineEntry } from '@lifeline/core';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const dev = (id: string) => ({ tenant: registry.byId.get(id)!.tenant, id });
const gas = dev('gas-0001');
const gas2 = dev('gas-0002');
const gas3 = dev('gas-0003');
const own = dev('pwr-0001');
const topic = (d: { tenant: string; id: string }) => `lifeline/v1/${d.tenant}/${d.id}/telemetry`;
type Sock = Socket<ServerToClientEvents, ClientToServerEvents>;

describe('every person and every device only where they belong', () => {
  const influxUrl = inject('influxUrl');
  const mqttUrl = inject('mqttUrl');
  const db = uniqueDbName('security');
  let t: TestPlatform;
  let device: MqttClient;
  let duty: ApiClient;
  let ent: ApiClient;
  let sup: ApiClient;
  let gasAlert: Alert;
  let ownAlert: Alert;
  const sockets: Sock[] = [];

  const socket = (cookie: string | null, origin?: string): Promise<{ s: Sock; error?: string }> =>
    new Promise((resolve) => {
      const s: Sock = connect(t.url, {
        transports: ['websocket'],
        reconnection: false,
        extraHeaders: { ...(cookie ? { cookie } : {}), ...(origin ? { origin } : {}) },
      });
      sockets.push(s);
      s.once('connect', () => resolve({ s }));
      s.once('connect_error', (err) => resolve({ s, error: err.message }));
    });

  beforeAll(async () => {
    t = await startTestPlatform({ mqttUrl, influxUrl, influxDb: db });
    device = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('device') });
    [duty, ent, sup] = await Promise.all([t.login('duty'), t.login('enterprise'), t.login('supervisor')]);
    await device.publishAsync(topic(gas), JSON.stringify({ values: { ch4: 62 } }), { qos: 1 });
    await device.publishAsync(topic(own), JSON.stringify({ values: { p_kw: 1500 } }), { qos: 1 });
    const open = async () => (await duty.get<Alert[]>('/alerts?state=open')).body;
    gasAlert = await waitFor(async () => (await open()).find((a) => a.device === gas.id), { what: 'the gas alert' });
    ownAlert = await waitFor(async () => (await open()).find((a) => a.device === own.id), { what: "the enterprise's own alert" });
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await device?.endAsync();
    await t?.stop();
  });

  it('answers 401 to every anonymous alert action, silence change and protected read', async () => {
    const anon = t.anonymous;
    for (const action of ['acknowledge', 'dispatch', 'resolve', 'close']) {
      expect((await anon.post(`/alerts/${gasAlert.id}/${action}`, { note: 'x', unit: 'u' })).status, action).toBe(401);
    }
    const now = Date.now();
    expect((await anon.post('/silences', { device: gas.id, from: now, to: now + 60_000, reason: 'x' })).status).toBe(401);
    const s = await duty.post<Silence>('/silences', { device: gas2.id, from: now, to: now + 60_000, reason: '标定' });
    expect(s.status).toBe(201);
    expect((await anon.del(`/silences/${s.body.id}`)).status).toBe(401);
    for (const p of ['/devices', '/alerts', `/alerts/${gasAlert.id}`, '/dead-letters', '/notifications', '/metrics', '/silences', '/audit', '/meta']) {
      expect((await anon.get(p)).status, p).toBe(401);
    }
    const health = await anon.get<Record<string, unknown>>('/health');
    expect(Object.keys(health.body)).toEqual(['status']);
    expect((await (await t.login('admin')).get<Record<string, unknown>>('/health')).body).toHaveProperty('influx');
  });

  it('shows an enterprise user only its own tenant, whatever ?tenant= says', async () => {
    const devices = (await ent.get<DeviceView[]>('/devices')).body;
    expect(devices.length).toBeGreaterThan(0);
    expect(new Set(devices.map((d) => d.tenant))).toEqual(new Set(['ent-01']));
    const alerts = (await ent.get<Alert[]>(`/alerts?state=open&tenant=${gas.tenant}`)).body;
    expect(alerts.map((a) => a.id)).toEqual([ownAlert.id]);
    expect((await ent.get(`/alerts/${gasAlert.id}`)).status).toBe(404);
    expect((await ent.get(`/alerts/${gasAlert.id}/timeline`)).status).toBe(404);
    expect((await ent.get(`/devices/${gas.id}`)).status).toBe(404);
    expect((await ent.get(`/devices/${gas.id}/history`)).status).toBe(404);
    expect((await ent.get(`/devices/${own.id}/history`)).status).toBe(200);
    expect((await ent.post(`/alerts/${gasAlert.id}/acknowledge`, {})).status).toBe(404);
    // Staff see the whole city, compressed on the wire.
    const all = await duty.get<DeviceView[]>('/devices');
    expect(new Set(all.body.map((d) => d.tenant)).size).toBeGreaterThan(5);
    expect(all.headers.get('content-encoding')).toBe('gzip');
  });

  it('lets an enterprise user acknowledge and report rectification of its own alert, never sign it off nor silence its tenant', async () => {
    expect((await ent.post(`/alerts/${ownAlert.id}/dispatch`, { unit: '企业' })).status).toBe(403);
    expect((await ent.post<Alert>(`/alerts/${ownAlert.id}/acknowledge`, {})).body.acknowledgedBy).toBe('enterprise');
    expect((await ent.post<Alert>(`/alerts/${ownAlert.id}/resolve`, { note: '已降负荷', disposition: 'real' })).body.state).toBe('resolved');
    expect((await ent.post(`/alerts/${ownAlert.id}/close`, {})).status).toBe(403);
    const now = Date.now();
    expect((await ent.post('/silences', { tenant: 'ent-01', from: now, to: now + 60_000, reason: '检修' })).status).toBe(403);
    expect((await ent.post('/silences', { device: gas.id, from: now, to: now + 60_000, reason: '检修' })).status).toBe(400);
    expect((await ent.post('/silences', { device: own.id, from: now, to: now + 2 * 86_400_000, reason: '检修' })).status).toBe(403);
    expect((await ent.post('/silences', { device: own.id, from: now, to: now + 60_000, reason: '检修' })).status).toBe(201);
    expect((await sup.post<Alert>(`/alerts/${ownAlert.id}/close`, { note: '销号' })).body.closedBy).toBe('supervisor');
  });

  it('keeps a duty officer to device silences of a day, and lets a supervisor silence a tenant', async () => {
    const now = Date.now();
    expect((await duty.post('/silences', { tenant: 'qx-water', from: now, to: now + 60_000, reason: '管网检修' })).status).toBe(403);
    expect((await duty.post('/silences', { device: gas2.id, from: now, to: now + 25 * 3600_000, reason: '标定' })).status).toBe(403);
    expect((await sup.post('/silences', { tenant: 'qx-water', from: now, to: now + 60_000, reason: '管网检修' })).status).toBe(201);
    expect((await duty.get('/audit')).status).toBe(403);
    expect((await duty.get('/dead-letters')).status).toBe(403);
    expect((await (await t.login('auditor')).post(`/alerts/${gasAlert.id}/acknowledge`, {})).status).toBe(403);
  });

  it('takes the actor from the session, not the body, and audits the ending of a silence', async () => {
    expect((await duty.post(`/alerts/${gasAlert.id}/acknowledge`, { actor: 'system' })).status).toBe(400);
    const acked = await duty.post<Alert>(`/alerts/${gasAlert.id}/acknowledge`, { note: '已电话联系' });
    expect(acked.status).toBe(200);
    const timeline = (await duty.get<TimelineEntry[]>(`/alerts/${gasAlert.id}/timeline`)).body;
    expect(timeline.find((e) => e.action === 'acknowledged')?.actor).toBe('duty');

    const now = Date.now();
    const s = (await duty.post<Silence>('/silences', { device: gas2.id, from: now, to: now + 3600_000, reason: '标定' })).body;
    expect(s.actor).toBe('duty');
    const ended = await sup.del<Silence>(`/silences/${s.id}`);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: s.id, endedBy: 'supervisor' });
    expect((await sup.get<Silence[]>('/silences')).body.find((x) => x.id === s.id)?.endedBy).toBe('supervisor');
    const audit = (await sup.get<AuditEntry[]>(`/audit?action=silence.end&target=${s.id}`)).body;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'supervisor', role: 'supervisor', action: 'silence.end', target: s.id, outcome: 'ok' });
    const acks = (await sup.get<AuditEntry[]>(`/audit?action=alert.acknowledge&target=${gasAlert.id}`)).body;
    expect(acks[0]).toMatchObject({ actor: 'duty', role: 'duty' });
    expect(acks[0]!.ip).toBeTruthy();
  });

  it('refuses a socket without a session or from a foreign origin, and sends an enterprise only its own events', async () => {
    expect((await socket(null)).error).toBe('unauthorized');
    expect((await socket(duty.cookie, 'http://evil.example')).error).toBe('forbidden origin');
    const staff = await socket(duty.cookie);
    const mine = await socket(ent.cookie);
    expect(staff.error ?? mine.error).toBeUndefined();
    const seenByEnt: string[] = [];
    const seenByStaff: string[] = [];
    mine.s.on('alert', (a) => seenByEnt.push(a.tenant));
    mine.s.on('devices', (ps) => seenByEnt.push(...ps.map((p) => p.id)));
    staff.s.on('alert', (a) => seenByStaff.push(a.tenant));
    await device.publishAsync(topic(gas3), JSON.stringify({ values: { ch4: 70 } }), { qos: 1 });
    await device.publishAsync(topic(dev('pwr-0002')), JSON.stringify({ values: { p_kw: 900 } }), { qos: 1 });
    await waitFor(() => seenByStaff.includes(gas3.tenant) && seenByEnt.includes('ent-01'), { what: 'each socket to receive its alerts' });
    await waitFor(() => seenByEnt.includes('pwr-0002'), { what: "the enterprise's own device patch" });
    // A positive sentinel seen after the other tenant's events: nothing foreign arrived in between.
    expect(seenByEnt.filter((x) => x === gas3.tenant || x.startsWith('gas-'))).toEqual([]);
  });

  it("closes a user's sockets within a second of logout, and the cookie is dead after it", async () => {
    const me = await t.login('duty');
    const { s, error } = await socket(me.cookie);
    expect(error).toBeUndefined();
    expect((await me.get<Me>('/me')).body.username).toBe('duty');
    const loggedOut = Date.now();
    expect((await me.post('/logout')).status).toBe(204);
    await waitFor(() => !s.connected, { what: 'the socket to close', timeoutMs: 1000 });
    expect(Date.now() - loggedOut).toBeLessThan(1000);
    expect((await me.get('/me')).status).toBe(401);
  });

  it('issues session cookies that are HttpOnly and SameSite=Strict, with a new session at each login', async () => {
    const a = await fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'supervisor', password: 'test-password-supervisor' }),
    });
    const cookie = a.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const b = await fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie.split(';')[0]! },
      body: JSON.stringify({ username: 'supervisor', password: 'test-password-supervisor' }),
    });
    const second = (b.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(second).not.toBe(cookie.split(';')[0]);
    // The session planted before the login is gone.
    expect((await fetch(`${t.url}/api/me`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(401);
    expect((await fetch(`${t.url}/api/me`, { headers: { cookie: second } })).status).toBe(200);
  });

  it('stores a reading posted over HTTP with a key in the header, and refuses keys in the URL, other tenants and no key', async () => {
    const admin = await t.login('admin');
    const created = await admin.post<{ key: string }>('/api-keys', { name: '宏达化工采集', tenant: 'ent-01' });
    expect(created.status).toBe(201);
    const key = created.body.key;
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${t.url}/api/ingest/v1/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const ts = Date.now() - 1000;
    const ok = await post('pwr-0003/telemetry', { ts, values: { p_kw: 123.5 } }, { authorization: `Bearer ${key}` });
    expect(ok.status).toBe(202);
    const rows = await waitFor(async () => (await influxQuery({ url: influxUrl, db }, `SELECT "p_kw" FROM "telemetry" WHERE "device" = 'pwr-0003'`))[0], {
      what: 'the posted reading in InfluxDB',
    });
    expect(rows.values[0]).toEqual([ts, 123.5]);
    expect((await post(`pwr-0003/telemetry?key=${key}`, { values: { p_kw: 1 } })).status).toBe(401);
    expect((await post('pwr-0003/telemetry', { values: { p_kw: 1 } })).status).toBe(401);
    expect((await post('pwr-0003/telemetry', { values: { p_kw: 1 } }, { authorization: 'Bearer ll_not-a-key' })).status).toBe(401);
    expect((await post('pwr-0004/telemetry', { values: { p_kw: 1 } }, { authorization: `Bearer ${key}` })).status).toBe(403);
    const bad = await post('pwr-0003/telemetry', { values: { p_kw: 'lots' } }, { authorization: `Bearer ${key}` });
    expect(bad.status).toBe(400);
    const dl = (await admin.get<{ items: { device?: string; code: string }[] }>('/dead-letters')).body.items;
    expect(dl.some((e) => e.device === 'pwr-0004' && e.code === 'tenant_mismatch')).toBe(true);
    expect(dl.some((e) => e.device === 'pwr-0003' && e.code === 'invalid_payload')).toBe(true);
  });
  it('answers the 11th failed login in a minute from one address with 429, and sets strict cookies and headers', async () => {
    const attempt = () => t.anonymous.post('/login', { username: 'duty', password: 'wrong-password' });
    for (let i = 0; i < 10; i++) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const failed = (await sup.get<AuditEntry[]>('/audit?action=login&limit=50')).body.filter((e) => e.outcome === 'failed');
    expect(failed.length).toBeGreaterThanOrEqual(10);

    const res = await fetch(`${t.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.9.9' },
      body: JSON.stringify({ username: 'auditor', password: 'test-password-auditor' }),
    });
    // The limit is per address and per username; another username from the limited address is still refused.
    expect(res.status).toBe(429);
    const page = await fetch(`${t.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const ok = await fetch(`${t.url}/api/health`);
    expect(ok.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
