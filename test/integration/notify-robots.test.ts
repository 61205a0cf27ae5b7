import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert, NotificationView } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { ACCEPT, receiver, type Reply } from '../support/receiver.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const panel = [...registry.byId.values()].find((d) => d.kind === 'fire_panel')!;

/**
 * Three targets on one real receiver: a generic webhook that refuses its first
 * message with 400, a WeCom robot that answers 503 once, and a DingTalk robot
 * that answers errcode 130101 (sending too fast) once.
 */
const targets = (path: string, n: number): Reply => {
  if (path === '/webhook' && n === 1) return { status: 400 };
  if (path === '/wecom' && n === 1) return { status: 503 };
  if (path === '/dingtalk' && n === 1) return { body: { errcode: 130101, errmsg: 'send too fast' } };
  return ACCEPT;
};

describe('notifications to robots and a webhook', () => {
  const influxUrl = inject('influxUrl');
  const rx = receiver(targets);
  let broker: PrivateBroker;
  let t: TestPlatform;
  let duty: ApiClient;
  let dataDir: string;

  beforeAll(async () => {
    broker = await startPrivateBroker();
    const base = await rx.start();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-notify-'));
    t = await startTestPlatform({
      mqttUrl: broker.url,
      influxUrl,
      influxDb: uniqueDbName('notify'),
      logLevel: 'error',
      dataDir,
      publicUrl: 'http://duty.example',
      escalationMinutes: { red: 0.05, orange: 1, yellow: 1, blue: 1 },
      notifyWebhookUrl: `${base}/webhook`,
      notifyWecomUrl: `${base}/wecom`,
      notifyDingtalkUrl: `${base}/dingtalk`,
    });
    duty = await t.login('duty');
  });

  afterAll(async () => {
    await t?.stop();
    await broker?.stop();
    await rx.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('notifies each target in its format, retries 503 and errcode, gives up a 400, and escalates an unacknowledged red alert', async () => {
    const device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('panel') });
    await device.publishAsync(`lifeline/v1/${panel.tenant}/${panel.id}/event`, JSON.stringify({ type: 'fire', point: '1-1-001' }), { qos: 1 });
    await device.endAsync();
    const alert = await waitFor(async () => (await duty.get<Alert[]>('/alerts?state=open')).body[0], { what: 'the fire alert' });

    // raised: webhook refused (given up), wecom after a 503, dingtalk after an errcode
    const ok = (p: string, escalated: boolean) =>
      rx.got.find(
        (g) =>
          g.path === p &&
          g.status === 200 &&
          JSON.stringify(g.body).includes('升级督办') === escalated &&
          (p !== '/dingtalk' || g !== rx.got.find((x) => x.path === p)),
      );
    await waitFor(() => ok('/wecom', false) && ok('/dingtalk', false), { what: 'the raised message on both robots', timeoutMs: 15_000 });

    const wecom = ok('/wecom', false)!.body as { msgtype: string; markdown: { content: string } };
    expect(wecom.msgtype).toBe('markdown');
    expect(wecom.markdown.content).toContain('红色预警');
    expect(wecom.markdown.content).toContain(panel.town);
    expect(wecom.markdown.content).toContain(panel.name);
    expect(wecom.markdown.content).toContain('火警');
    expect(wecom.markdown.content).toContain(`http://duty.example/?alert=${alert.id}`);
    const ding = ok('/dingtalk', false)!.body as { msgtype: string; markdown: { title: string; text: string } };
    expect(ding.msgtype).toBe('markdown');
    expect(ding.markdown.title).toContain('红色预警');
    expect(ding.markdown.text).toContain(`http://duty.example/?alert=${alert.id}`);
    const hook = rx.got.find((g) => g.path === '/webhook')!.body as { alert: Alert; reason: string };
    expect(hook).toMatchObject({ reason: 'raised', alert: { id: alert.id, level: 'red' } });

    // 3 s unacknowledged: escalated, the alert event says so, each target gets an escalation message
    await waitFor(() => ok('/wecom', true) && ok('/dingtalk', true) && rx.got.find((g) => g.path === '/webhook' && g.status === 200), {
      what: 'the escalation messages',
      timeoutMs: 15_000,
    });
    const escalated = (await duty.get<Alert>(`/alerts/${alert.id}`)).body;
    expect(escalated.escalations).toBeGreaterThanOrEqual(1);
    expect(escalated.escalatedAt! - escalated.raisedAt).toBeGreaterThanOrEqual(3000);
    expect((rx.got.find((g) => g.path === '/webhook' && g.status === 200)!.body as { escalated: boolean }).escalated).toBe(true);

    const notes = (await duty.get<{ items: NotificationView[]; failed: number }>('/notifications?limit=50')).body;
    const raised = notes.items.filter((n) => n.alertId === alert.id && n.reason === 'raised');
    expect(raised.find((n) => n.channel === 'webhook')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(raised.find((n) => n.channel === 'webhook')!.lastError).toMatch(/HTTP 400/);
    expect(raised.find((n) => n.channel === 'wecom')).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(raised.find((n) => n.channel === 'dingtalk')).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(notes.failed).toBeGreaterThanOrEqual(1);

    const timeline = (await duty.get<{ action: string; actor?: string }[]>(`/alerts/${alert.id}/timeline`)).body;
    expect(timeline.map((e) => e.action).slice(0, 2)).toEqual(['raised', 'escalated']);
    expect(timeline[1]!.actor).toBe('system');
  });
});
