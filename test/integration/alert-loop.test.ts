import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Alert, Silence, TimelineEntry } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { receiver } from '../support/receiver.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const gases = [...registry.byId.values()].filter((d) => d.kind === 'gas');
const [leak, quiet] = [gases[0]!, gases[1]!];

describe('the closed loop over HTTP', () => {
  const influxUrl = inject('influxUrl');
  let broker: PrivateBroker;
  let t: TestPlatform;
  let duty: ApiClient;
  let sup: ApiClient;
  let device: MqttClient;
  let dataDir: string;
  const hook = receiver();
  const hooks = () => hook.got.map((g) => g.body as unknown as { alert: Alert; reason: string });

  beforeAll(async () => {
    broker = await startPrivateBroker();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-loop-'));
    const hookUrl = await hook.start();
    t = await startTestPlatform({
      mqttUrl: broker.url,
      influxUrl,
      influxDb: uniqueDbName('loop'),
      logLevel: 'error',
      dataDir,
      notifyWebhookUrl: `${hookUrl}/hook`,
    });
    [duty, sup] = await Promise.all([t.login('duty'), t.login('supervisor')]);
    device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.stop();
    await broker?.stop();
    await hook.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const post = (p: string, body: unknown, as = duty) => as.post(p, body);
  const get = async <T>(p: string) => (await duty.get<T>(p)).body;
  const leakOf = async (d = leak) =>
    waitFor(async () => (await get<Alert[]>('/alerts?state=open')).find((a) => a.device === d.id), { what: `the alert of ${d.id}` });

  it('dispatches, resolves and signs off an alert; each step validated, wrong states refused, the timeline read from InfluxDB', async () => {
    await device.publishAsync(`lifeline/v1/${leak.tenant}/${leak.id}/telemetry`, JSON.stringify({ values: { ch4: 55 } }), { qos: 1 });
    const a = await leakOf();

    const bad = await post(`/alerts/${a.id}/dispatch`, {});
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('/unit');
    expect((await post(`/alerts/${a.id}/close`, {}, sup)).status).toBe(409);
    expect((await post('/alerts/nope-1/dispatch', { unit: 'u' })).status).toBe(404);

    expect((await post(`/alerts/${a.id}/acknowledge`, { judgement: 'perhaps' })).status).toBe(400);
    const ack = await post(`/alerts/${a.id}/acknowledge`, { judgement: 'real' });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ state: 'acknowledged', judgement: 'real' });
    const d = await post(`/alerts/${a.id}/dispatch`, { unit: '清新区燃气公司', note: '请立即到场' });
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ state: 'dispatched', dispatchedTo: '清新区燃气公司', dispatchedBy: 'duty' });
    expect((await post(`/alerts/${a.id}/resolve`, {})).status).toBe(400); // the note is required
    const noDisposition = await post(`/alerts/${a.id}/resolve`, { note: '已关阀通风' });
    expect(noDisposition.status).toBe(400); // and the disposition, from the fixed list
    expect(JSON.stringify(noDisposition.body)).toContain('/disposition');
    expect((await post(`/alerts/${a.id}/resolve`, { note: '已关阀通风', disposition: 'maybe' })).status).toBe(400);
    const resolved = await post(`/alerts/${a.id}/resolve`, { note: '已关阀通风', disposition: 'real' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: 'resolved', disposition: 'real', note: '已关阀通风' });

    // 待销号: resolved, listed until closed — and only a supervisor signs off
    expect((await get<Alert[]>('/alerts?state=resolved')).map((x) => x.id)).toContain(a.id);
    expect((await post(`/alerts/${a.id}/close`, { note: '销号' })).status).toBe(403);
    expect((await post(`/alerts/${a.id}/close`, { note: '销号' }, sup)).status).toBe(200);
    expect((await get<Alert[]>('/alerts?state=resolved')).map((x) => x.id)).not.toContain(a.id);
    expect((await get<Alert[]>('/alerts?state=closed')).map((x) => x.id)).toContain(a.id);
    expect((await post(`/alerts/${a.id}/close`, {}, sup)).status).toBe(409);

    const timeline = await get<TimelineEntry[]>(`/alerts/${a.id}/timeline`);
    expect(timeline.map((e) => [e.action, e.actor ?? null, e.state])).toEqual([
      ['raised', null, 'raised'],
      ['acknowledged', 'duty', 'acknowledged'],
      ['dispatched', 'duty', 'dispatched'],
      ['resolved', 'duty', 'resolved'],
      ['closed', 'supervisor', 'closed'],
    ]);
    expect(timeline[2]!.note).toContain('清新区燃气公司');
    expect(timeline.every((e) => e.level === 'red' && e.at > 0)).toBe(true);
    expect((await duty.get('/alerts/zzz-unknown/timeline')).status).toBe(404);
    await waitFor(() => hooks().some((h) => h.alert.id === a.id && h.reason === 'raised'), { what: 'the webhook of the raise' });
  });

  it('records an alert raised inside a maintenance silence without notifying, and validates silences', async () => {
    const now = Date.now();
    const invalid = await post('/silences', { device: quiet.id, tenant: quiet.tenant, from: now, to: now + 60_000, reason: '检修' });
    expect(invalid.status).toBe(400);
    expect(JSON.stringify(invalid.body)).toContain('exactly one');
    const noReason = await post('/silences', { device: quiet.id, from: now, to: now + 60_000 });
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body)).toContain('/reason');
    expect((await post('/silences', { device: quiet.id, from: now, to: now - 1, reason: 'x' })).status).toBe(400);
    expect((await post('/silences', { device: 'no-such', from: now, to: now + 1, reason: 'x' })).status).toBe(400);

    const created = await post('/silences', { device: quiet.id, from: now - 1000, to: now + 3600_000, reason: '探测器标定' });
    expect(created.status).toBe(201);
    const s = created.body as Silence;
    expect(s.actor).toBe('duty');
    expect((await get<Silence[]>('/silences')).map((x) => x.id)).toContain(s.id);

    await device.publishAsync(`lifeline/v1/${quiet.tenant}/${quiet.id}/telemetry`, JSON.stringify({ values: { ch4: 60 } }), { qos: 1 });
    const a = await leakOf(quiet);
    expect(a.silence).toEqual({ kind: 'maintenance', id: s.id });
    // A positive sentinel first: an unsilenced alert raised after it is notified, so the notifier has run past the silenced one.
    const sentinel = gases[3]!; // another site: no site alert folds it in
    await device.publishAsync(`lifeline/v1/${sentinel.tenant}/${sentinel.id}/telemetry`, JSON.stringify({ values: { ch4: 61 } }), { qos: 1 });
    const sa = await leakOf(sentinel);
    await waitFor(() => hooks().some((h) => h.alert.id === sa.id), { what: 'the webhook of the unsilenced sentinel alert' });
    expect(hooks().some((h) => h.alert.id === a.id)).toBe(false);
    expect((await get<{ items: { alertId: string }[] }>('/notifications')).items.some((n) => n.alertId === a.id)).toBe(false);

    // Ended, not deleted: it stays listed, with who ended it; it silences nothing from then on.
    const ended = await duty.del<Silence>(`/silences/${s.id}`);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ id: s.id, endedBy: 'duty' });
    expect(ended.body.to).toBeLessThanOrEqual(Date.now());
    expect((await duty.del('/silences/s-nope')).status).toBe(404);
    expect((await get<Silence[]>('/silences')).map((x) => [x.id, x.endedBy])).toEqual([[s.id, 'duty']]);
  });
});
