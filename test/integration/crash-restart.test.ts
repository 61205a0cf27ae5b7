import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert } from '@lifeline/core';
import { influxQuery, loadRegistry, type Config } from '@lifeline/core/node';
import { openStore } from '../../server/src/store/open-store.js';
import { login, startTestPlatform, testPassword, type TestPlatform } from '../support/platform.js';
import { createTestDatabase } from '../support/pg.js';
import { REPO_ROOT, uniqueDbName, uniqueName } from '../support/services.js';
import { receiver } from '../support/receiver.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { restartableOverrides, startPlatformChild, type PlatformChild } from '../support/platform-child.js';

const registry = loadRegistry(path.join(REPO_ROOT, 'data/qingxin-registry.json'));
const panel = [...registry.byId.values()].find((d) => d.kind === 'fire_panel')!;
const gas = [...registry.byId.values()].find((d) => d.kind === 'gas')!;

describe('a platform killed mid-incident (SIGKILL, no flush)', () => {
  const influxUrl = inject('influxUrl');
  const db = uniqueDbName('crash');
  const clientId = uniqueName('ingest');
  let broker: PrivateBroker;
  let dir: string;
  let robotUp = false;
  // Down (503) before the crash, so the messages are still in the outbox when the process dies.
  const robot = receiver(() => (robotUp ? {} : { status: 503, body: 'down' }));
  const got = () => robot.got.filter((g) => g.status === 200) as unknown as { body: { markdown: { content: string } } }[];
  let robotUrl = '';
  let child: PlatformChild | null = null;
  let platform: TestPlatform | null = null;
  let pg: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    broker = await startPrivateBroker();
    pg = await createTestDatabase(inject('pgUrl'), 'crash');
    // The duty officer exists before the first start, as on a real server.
    const store = await openStore(pg.url);
    await store.users.create({ username: 'duty', role: 'duty', password: testPassword('duty') });
    await store.close();
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-crash-'));
    robotUrl = `${await robot.start()}/wecom`;
  });

  afterAll(async () => {
    await child?.kill('SIGKILL');
    await platform?.stop();
    await broker?.stop();
    await pg?.drop();
    await robot.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no alert, no escalation deadline and no notification', async () => {
    const overrides: Partial<Config> = {
      ...restartableOverrides({ mqttUrl: broker.url, influxUrl, influxDb: db, mqttClientId: clientId, dir, databaseUrl: pg.url }),
      notifyWecomUrl: robotUrl,
      escalationMinutes: { red: 0.2, orange: 1, yellow: 1, blue: 1 }, // 12 s
      dispatchOverdueMinutes: 10,
    };
    const started = (child = await startPlatformChild(dir, overrides));
    const duty = await login(started.httpUrl, 'duty', testPassword('duty'));
    const api = async <T>(p: string, body?: unknown) => (body ? duty.post<T>(p, body) : duty.get<T>(p));

    const device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
    await device.publishAsync(`lifeline/v1/${panel.tenant}/${panel.id}/event`, JSON.stringify({ type: 'fire', point: '3-1-007' }), { qos: 1 });
    await device.publishAsync(`lifeline/v1/${gas.tenant}/${gas.id}/telemetry`, JSON.stringify({ values: { ch4: 60 } }), { qos: 1 });
    await device.endAsync();
    // A site-level (correlation) alert may join them when both devices share a site; these two are the ones followed.
    const open = await waitFor(
      async () => {
        const a = (await api<Alert[]>('/alerts?state=open')).body;
        return a.some((x) => x.rule === 'event:fire') && a.some((x) => x.rule === 'ch4_high') ? a : null;
      },
      { what: 'the fire and gas alerts in the child' },
    );
    const fire = open.find((a) => a.device === panel.id && a.rule === 'event:fire')!;
    const leak = open.find((a) => a.device === gas.id && a.rule === 'ch4_high')!;
    expect((await api(`/alerts/${leak.id}/dispatch`, { unit: '清新区燃气公司' })).status).toBe(200);
    // The raise of the fire alert is written to the log within milliseconds; be sure it is there before the kill.
    await waitFor(
      async () => {
        const s = await influxQuery({ url: influxUrl, db }, `SELECT count("json") FROM "alert_event" WHERE "alert_id" = '${fire.id}'`);
        return s.length > 0;
      },
      { what: 'the fire alert in the alert log' },
    );
    await waitFor(
      async () => {
        const n = (await api<{ items: { alertId: string; attempts: number }[] }>('/notifications')).body;
        return [fire.id, leak.id].every((id) => n.items.some((i) => i.alertId === id && i.attempts >= 1));
      },
      { what: 'both raise messages tried once (robot down)' },
    );

    await child.kill('SIGKILL');
    robotUp = true;

    platform = await startTestPlatform(overrides, { databaseUrl: pg.url });
    const duty2 = await platform.login('duty');
    const after = (await duty2.get<Alert[]>('/alerts?state=open')).body;
    expect(after.find((a) => a.id === fire.id)).toMatchObject({ state: 'raised', level: 'red', escalations: 0 });
    expect(after.find((a) => a.id === leak.id)).toMatchObject({ state: 'dispatched', dispatchedTo: '清新区燃气公司' });

    // The raise messages pending in the outbox at the kill arrive after the restart.
    await waitFor(() => got().filter((g) => !g.body.markdown.content.includes('升级督办')).length >= 2, {
      what: 'the pending raise messages',
      timeoutMs: 15_000,
    });
    const raisedFor = (a: Alert) => got().some((g) => g.body.markdown.content.includes(`?alert=${a.id}`) && !g.body.markdown.content.includes('升级督办'));
    expect(raisedFor(fire) && raisedFor(leak)).toBe(true);

    // The fire alert escalates 12 s after it was raised, counted from its persisted raisedAt across the kill.
    const escalated = await waitFor(
      async () => {
        const a = (await duty2.get<Alert>(`/alerts/${fire.id}`)).body;
        return a.escalations ? a : null;
      },
      { what: 'the escalation after the restart', timeoutMs: 20_000 },
    );
    expect(escalated.escalatedAt! - escalated.raisedAt).toBeGreaterThanOrEqual(12_000);
    expect(escalated.escalatedAt! - escalated.raisedAt).toBeLessThan(12_000 + 3_000);
    await waitFor(() => got().find((g) => g.body.markdown.content.includes('升级督办') && g.body.markdown.content.includes(fire.id)), {
      what: 'the escalation message',
    });
    // The dispatched leak is not due (10 min) and did not escalate.
    expect((await duty2.get<Alert>(`/alerts/${leak.id}`)).body.escalations).toBe(0);
  });
});
