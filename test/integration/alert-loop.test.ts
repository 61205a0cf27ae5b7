import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Alert, Silence, TimelineEntry } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const gases = [...registry.byId.values()].filter((d) => d.kind === 'gas');
const [leak, quiet] = [gases[0]!, gases[1]!];

describe('the closed loop over HTTP', () => {
  const influxUrl = inject('influxUrl');
  let broker: PrivateBroker;
  let platform: Platform;
  let device: MqttClient;
  let dataDir: string;
  const hooks: { alert: Alert; reason: string }[] = [];
  let hook: Server;

  beforeAll(async () => {
    broker = await startPrivateBroker();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-loop-'));
    hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(raw));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    platform = await startPlatform({
      port: 0,
      host: '127.0.0.1',
      mqttUrl: broker.url,
      influxUrl,
      influxDb: uniqueDbName('loop'),
      mqttClientId: uniqueName('ingest'),
      logLevel: 'error',
      dataDir,
      notifyWebhookUrl: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`,
    });
    device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
  });

  afterAll(async () => {
    await device?.endAsync();
    await platform?.stop();
    await broker?.stop();
    await new Promise((r) => hook.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (p: string, body: unknown) =>
    fetch(`${platform.httpUrl}/api${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = async <T>(p: string) => (await (await fetch(`${platform.httpUrl}/api${p}`)).json()) as T;
  const leakOf = async (d = leak) =>
    waitFor(async () => (await get<Alert[]>('/alerts?state=open')).find((a) => a.device === d.id), { what: `the alert of ${d.id}` });

  it('dispatches, resolves and signs off an alert; each step validated, wrong states refused, the timeline read from InfluxDB', async () => {
    await device.publishAsync(`lifeline/v1/${leak.tenant}/${leak.id}/telemetry`, JSON.stringify({ values: { ch4: 55 } }), { qos: 1 });
    const a = await leakOf();

    const bad = await post(`/alerts/${a.id}/dispatch`, { actor: '值班员' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('/unit');
    expect((await post(`/alerts/${a.id}/close`, { actor: '领导' })).status).toBe(409);
    expect((await post('/alerts/nope-1/dispatch', { actor: 'a', unit: 'u' })).status).toBe(404);

    expect((await post(`/alerts/${a.id}/acknowledge`, { actor: '值班员张三' })).status).toBe(200);
    const d = await post(`/alerts/${a.id}/dispatch`, { actor: '值班员张三', unit: '清新区燃气公司', note: '请立即到场' });
    expect(d.status).toBe(200);
    expect(await d.json()).toMatchObject({ state: 'dispatched', dispatchedTo: '清新区燃气公司' });
    expect((await post(`/alerts/${a.id}/resolve`, { actor: '燃气公司李四' })).status).toBe(400); // the note is required
    expect((await post(`/alerts/${a.id}/resolve`, { actor: '燃气公司李四', note: '已关阀通风' })).status).toBe(200);

    // 待销号: resolved, listed until closed
    expect((await get<Alert[]>('/alerts?state=resolved')).map((x) => x.id)).toContain(a.id);
    expect((await post(`/alerts/${a.id}/close`, { actor: '带班领导', note: '销号' })).status).toBe(200);
    expect((await get<Alert[]>('/alerts?state=resolved')).map((x) => x.id)).not.toContain(a.id);
    expect((await get<Alert[]>('/alerts?state=closed')).map((x) => x.id)).toContain(a.id);
    expect((await post(`/alerts/${a.id}/close`, { actor: '带班领导' })).status).toBe(409);

    const timeline = await get<TimelineEntry[]>(`/alerts/${a.id}/timeline`);
    expect(timeline.map((e) => [e.action, e.actor ?? null, e.state])).toEqual([
      ['raised', null, 'raised'],
      ['acknowledged', '值班员张三', 'acknowledged'],
      ['dispatched', '值班员张三', 'dispatched'],
      ['resolved', '燃气公司李四', 'resolved'],
      ['closed', '带班领导', 'closed'],
    ]);
    expect(timeline[2]!.note).toContain('清新区燃气公司');
    expect(timeline.every((e) => e.level === 'red' && e.at > 0)).toBe(true);
    expect((await fetch(`${platform.httpUrl}/api/alerts/zzz-unknown/timeline`)).status).toBe(404);
    await waitFor(() => hooks.some((h) => h.alert.id === a.id && h.reason === 'raised'), { what: 'the webhook of the raise' });
  });

  it('records an alert raised inside a maintenance silence without notifying, and validates silences', async () => {
    const now = Date.now();
    const invalid = await post('/silences', { device: quiet.id, tenant: quiet.tenant, from: now, to: now + 60_000, reason: '检修', actor: '张三' });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(await invalid.json())).toContain('exactly one');
    const noReason = await post('/silences', { device: quiet.id, from: now, to: now + 60_000, actor: '张三' });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(await noReason.json())).toContain('/reason');
    expect((await post('/silences', { device: quiet.id, from: now, to: now - 1, reason: 'x', actor: 'y' })).status).toBe(400);
    expect((await post('/silences', { device: 'no-such', from: now, to: now + 1, reason: 'x', actor: 'y' })).status).toBe(400);

    const created = await post('/silences', { device: quiet.id, from: now - 1000, to: now + 3600_000, reason: '探测器标定', actor: '张三' });
    expect(created.status).toBe(201);
    const s = (await created.json()) as Silence;
    expect((await get<Silence[]>('/silences')).map((x) => x.id)).toContain(s.id);

    await device.publishAsync(`lifeline/v1/${quiet.tenant}/${quiet.id}/telemetry`, JSON.stringify({ values: { ch4: 60 } }), { qos: 1 });
    const a = await leakOf(quiet);
    expect(a).toMatchObject({ silenced: true, silenceReason: s.id });
    await new Promise((r) => setTimeout(r, 1000));
    expect(hooks.some((h) => h.alert.id === a.id)).toBe(false);
    expect((await get<{ items: { alertId: string }[] }>('/notifications')).items.some((n) => n.alertId === a.id)).toBe(false);

    expect((await fetch(`${platform.httpUrl}/api/silences/${s.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${platform.httpUrl}/api/silences/${s.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await get<Silence[]>('/silences')).toEqual([]);
  });
});
