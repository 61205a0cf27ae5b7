import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { io as connect, type Socket } from 'socket.io-client';
import type { Alert, ClientToServerEvents, ServerToClientEvents } from '@lifeline/core';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { MAX_METRICS_PER_DEVICE } from '@lifeline/ingest';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const gasDevices = [...registry.byId.values()].filter((d) => d.kind === 'gas');
const waterDevice = [...registry.byId.values()].find((d) => d.kind === 'water_pressure')!;
const topic = (d: { tenant: string; id: string }, channel = 'telemetry') => `lifeline/v1/${d.tenant}/${d.id}/${channel}`;

describe('the pipeline on a real Mosquitto and InfluxDB', () => {
  const influxUrl = inject('influxUrl');
  let broker: PrivateBroker;
  let mqttUrl: string;
  const db = uniqueDbName('pipeline');
  let t: TestPlatform;
  let api: ApiClient;
  let admin: ApiClient;
  let device: MqttClient;
  let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  const received: Alert[] = [];

  beforeAll(async () => {
    broker = await startPrivateBroker();
    mqttUrl = broker.url;
    t = await startTestPlatform({ mqttUrl, influxUrl, influxDb: db });
    [api, admin] = await Promise.all([t.login('duty'), t.login('admin')]);
    device = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('device') });
    socket = connect(t.url, { transports: ['websocket'], extraHeaders: { cookie: api.cookie } });
    socket.on('alert', (a) => received.push(a));
    await waitFor(() => socket.connected, { what: 'the Socket.IO client to connect' });
  });

  afterAll(async () => {
    socket?.close();
    await device?.endAsync();
    await t?.stop();
    await broker?.stop();
  });

  const count = async (where: string) => {
    const s = await influxQuery({ url: influxUrl, db }, `SELECT count("ch4") FROM "telemetry" WHERE ${where}`);
    return Number(s[0]?.values[0]?.[1] ?? 0);
  };

  it('stores a published reading in InfluxDB with the registry tags', async () => {
    const d = gasDevices[0]!;
    const ts = Date.now() - 5000;
    await device.publishAsync(topic(d), JSON.stringify({ ts, values: { ch4: 1.25 } }), { qos: 1 });
    const series = await waitFor(async () => (await influxQuery({ url: influxUrl, db }, `SELECT * FROM "telemetry" WHERE "device" = '${d.id}'`))[0], {
      what: 'the reading in InfluxDB',
    });
    const row = Object.fromEntries(series.columns.map((c, i) => [c, series.values[0]![i]]));
    expect(row).toMatchObject({ time: ts, ch4: 1.25, device: d.id, tenant: d.tenant, kind: 'gas', town: d.town, district: '清新区' });
  });

  it('delivers an alert to a Socket.IO client within 2 s of a reading over the red threshold', async () => {
    const d = gasDevices[1]!;
    const sent = Date.now();
    await device.publishAsync(topic(d), JSON.stringify({ values: { ch4: 62 } }), { qos: 1 });
    const alert = await waitFor(() => received.find((a) => a.device === d.id), { what: 'the red alert on the socket', timeoutMs: 2000 });
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(alert).toMatchObject({ level: 'red', state: 'raised', rule: 'ch4_high', value: 62, threshold: 50, name: d.name });
  });

  it('puts an invalid payload and an unknown device in the dead-letter list and keeps the valid messages of the burst', async () => {
    const [a, b] = [gasDevices[2]!, gasDevices[3]!];
    const burst: [string, string][] = [
      [topic(a), '{"values":{"ch4":0.5}}'],
      [topic(a), '{"values":{"ch4":"leak"}}'],
      [`lifeline/v1/${a.tenant}/not-a-device/telemetry`, '{"values":{"ch4":1}}'],
      [topic(b), '{"values":{"ch4":0.7}}'],
      [topic(b), '{"values":'],
      [topic(a), '{"values":{"ch4":0.6}}'],
    ];
    for (const [t, p] of burst) device.publish(t, p, { qos: 1 });
    await waitFor(async () => (await count(`"device" = '${a.id}' OR "device" = '${b.id}'`)) === 3, { what: 'the three valid readings in InfluxDB' });
    const body = (
      await admin.get<{ total: number; byCode: Record<string, number>; items: { code: string; reason: string; device?: string }[] }>('/dead-letters')
    ).body;
    expect(body.byCode).toMatchObject({ invalid_payload: 1, unknown_device: 1, bad_json: 1 });
    expect(body.items.find((i) => i.code === 'unknown_device')).toMatchObject({ device: 'not-a-device', reason: expect.stringContaining('not registered') });
    expect(body.items.find((i) => i.code === 'invalid_payload')?.reason).toContain('/values/ch4');
  });

  it('refuses a reading that would give a device more distinct metrics than the cap, naming the new ones, and keeps taking its known ones', async () => {
    const d = gasDevices[3]!;
    const ts = Date.now() - 60_000;
    const many = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${from + i}`, i]));
    const handle = (values: Record<string, number>, dt: number) => t.platform.ingest.handle(topic(d), Buffer.from(JSON.stringify({ ts: ts + dt, values })));
    // ch4 and 30 more: 31 of the 32 allowed.
    expect(handle({ ch4: 0.5, ...many(0, 30) }, 0)).toMatchObject({ ok: true });
    const refused = handle({ ch4: 0.6, ...many(30, 2) }, 1);
    expect(refused).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(refused.ok ? '' : refused.reason).toContain(`device ${d.id} would report more than ${MAX_METRICS_PER_DEVICE} distinct metrics (new: m30, m31)`);
    expect(handle({ ch4: 0.7, m0: 1, m31: 2 }, 2)).toMatchObject({ ok: true });
    expect(handle({ ch4: 0.8, m99: 1 }, 3)).toMatchObject({ ok: false, code: 'invalid_payload' });
    expect(handle({ ch4: 0.9, m5: 3 }, 4)).toMatchObject({ ok: true });
  });

  it('lets an operator acknowledge and resolve an alert over HTTP, with every change on the socket', async () => {
    const d = waterDevice;
    await device.publishAsync(topic(d), JSON.stringify({ values: { mpa: 0.04 } }), { qos: 1 });
    const raised = await waitFor(() => received.find((a) => a.device === d.id), { what: 'the low-pressure alert' });
    expect(raised).toMatchObject({ level: 'red', rule: 'mpa_low' });
    const post = (path: string, body: unknown) => api.post(`/alerts/${raised.id}/${path}`, body);
    const ack = await post('acknowledge', {});
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'duty' });
    expect((await post('acknowledge', {})).status).toBe(409);
    const noNote = await post('resolve', {});
    expect(noNote.status).toBe(400);
    expect(noNote.body).toMatchObject({ error: 'invalid resolve body', details: expect.arrayContaining([expect.stringContaining('/note')]) });
    expect((await post('resolve', { note: '爆管已关阀抢修', disposition: 'real' })).status).toBe(200);
    await waitFor(() => received.some((a) => a.id === raised.id && a.state === 'resolved'), { what: 'the resolved alert on the socket' });
    const open = (await api.get<Alert[]>('/alerts?state=open')).body;
    expect(open.some((a) => a.id === raised.id)).toBe(false);
  });

  it('answers a malformed JSON body and a bad filter with 400 and the reason', async () => {
    const bad = await fetch(`${t.url}/api/alerts/x/acknowledge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: api.cookie },
      body: '{"note":',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/malformed JSON/);
    const filter = await api.get<{ details: string[] }>('/alerts?level=purple');
    expect(filter.status).toBe(400);
    expect(filter.body.details.join()).toContain('/level');
  });

  it('reports the broker and InfluxDB healthy, and lists devices with their latest values and status', async () => {
    const health = await admin.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', broker: { ok: true, embedded: false }, influx: { ok: true } });
    const devices = (await api.get<{ id: string; status: string; level: string | null; values: Record<string, number> }[]>('/devices')).body;
    expect(devices).toHaveLength(registry.devices.length);
    expect(devices.find((x) => x.id === gasDevices[1]!.id)).toMatchObject({ status: 'alert', level: 'red', values: { ch4: 62 } });
    expect(devices.find((x) => x.id === gasDevices[0]!.id)).toMatchObject({ status: 'normal', level: null });
  });

  it('serves downsampled history of a device from InfluxDB', async () => {
    const d = gasDevices[4]!;
    const now = Date.now();
    const batch = Array.from({ length: 30 }, (_, i) => ({ ts: now - (59 - i * 2) * 60_000, values: { ch4: i % 3 } }));
    await device.publishAsync(topic(d), JSON.stringify(batch), { qos: 1 });
    const h = await waitFor(
      async () => {
        const r = (await api.get<{ bucketS: number; metrics: string[]; points: unknown[] }>(`/devices/${d.id}/history?minutes=60&points=20`)).body;
        return r.points.length >= 10 ? r : null;
      },
      { what: 'history points' },
    );
    expect(h.bucketS).toBe(300);
    expect(h.metrics).toEqual(['ch4']);
    expect(h.points.length).toBeLessThanOrEqual(13);
  });
});
