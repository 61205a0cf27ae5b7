import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert } from '@lifeline/core';
import { influxQuery, loadRegistry, type Config } from '@lifeline/core/node';
import type { Platform } from '../../server/src/platform.js';
import { login, startTestPlatform, testPassword, type TestPlatform } from '../support/platform.js';
import { createTestDatabase } from '../support/pg.js';
import { REPO_ROOT, uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { restartableOverrides, startPlatformChild, type PlatformChild } from '../support/platform-child.js';

const registry = loadRegistry(path.join(REPO_ROOT, 'data/qingxin-registry.json'));
// Each at a site of its own: a site alert's repeats are counted in memory and logged once a minute, so the
// snapshot (memory) is newer than the log there — the whole-log rebuild this test compares with would lag.
const gas = [...registry.byId.values()]
  .filter((d) => d.kind === 'gas' && d.site)
  .filter((d, i, all) => all.findIndex((x) => x.site === d.site) === i)
  .slice(0, 5);

/** What a start restores: the active alerts and every device's latest values, in a comparable order. */
const restoredOf = (p: Platform) => ({
  alerts: p.alerts.activeCopies().sort((a, b) => a.id.localeCompare(b.id)),
  latest: Object.fromEntries([...p.ingest.latest].sort(([a], [b]) => a.localeCompare(b))),
});

describe('a restart from the snapshots (clean stop, then SIGKILL)', () => {
  const influxUrl = inject('influxUrl');
  const db = uniqueDbName('snapshots');
  const clientId = uniqueName('ingest');
  let broker: PrivateBroker;
  let dir: string;
  let pg: { url: string; drop(): Promise<void> };
  let child: PlatformChild | null = null;
  let platform: TestPlatform | null = null;

  beforeAll(async () => {
    broker = await startPrivateBroker();
    pg = await createTestDatabase(inject('pgUrl'), 'snapshots');
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-snapshots-'));
  });

  afterAll(async () => {
    await child?.kill('SIGKILL');
    await platform?.stop();
    await broker?.stop();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const overrides = (o: Partial<Config> = {}): Partial<Config> => ({
    ...restartableOverrides({ mqttUrl: broker.url, influxUrl, influxDb: db, mqttClientId: clientId, dir, databaseUrl: pg.url }),
    reportsSchedule: false,
    // No periodic snapshot during the test: the one of the clean stop, then only what the log and telemetry add.
    alertSnapshotSeconds: 3600,
    latestSnapshotSeconds: 3600,
    ...o,
  });

  const publish = async (readings: [number, number][]) => {
    const device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
    for (const [i, ch4] of readings)
      await device.publishAsync(`lifeline/v1/${gas[i]!.tenant}/${gas[i]!.id}/telemetry`, JSON.stringify({ values: { ch4 } }), { qos: 1 });
    await device.endAsync();
  };

  it('gets back the same active alerts and latest values from snapshot + delta as from the whole alert log and the last day', async () => {
    // Run 1: three red gas alerts and a normal reading, then a clean stop (the final snapshots).
    platform = await startTestPlatform(overrides(), { databaseUrl: pg.url });
    await publish([
      [0, 60],
      [1, 60],
      [2, 60],
      [3, 1],
    ]);
    await waitFor(() => (platform!.platform.alerts.list({ state: 'open' }).length >= 3 && platform!.platform.ingest.latest.size >= 4) || null, {
      what: 'three alerts and four devices heard',
    });
    await platform.stop();
    platform = null;

    // Run 2, in a child: it starts from the final snapshots, changes alerts and hears devices, and is killed before any snapshot.
    child = await startPlatformChild(dir, overrides());
    const duty = await login(child.httpUrl, 'duty', testPassword('duty'));
    const open = (await duty.get<Alert[]>('/alerts?state=open')).body;
    const idOf = (i: number) => open.find((a) => a.device === gas[i]!.id && a.rule === 'ch4_high')!.id;
    expect((await duty.post(`/alerts/${idOf(0)}/acknowledge`, { note: '已电话联系' })).status).toBe(200);
    expect((await duty.post(`/alerts/${idOf(1)}/dispatch`, { unit: '清新区燃气公司' })).status).toBe(200);
    expect((await duty.post(`/alerts/${idOf(2)}/resolve`, { note: '已关阀，复测 0 %LEL', disposition: 'false_alarm' })).status).toBe(200);
    await publish([
      [3, 2],
      [4, 60],
    ]);
    await waitFor(async () => (await duty.get<Alert[]>('/alerts?state=open')).body.some((a) => a.device === gas[4]!.id) || null, {
      what: 'the new alert in the child',
    });
    await waitFor(
      async () => {
        const s = await influxQuery({ url: influxUrl, db }, `SELECT count("ch4") FROM "telemetry" WHERE "device" = '${gas[3]!.id}'`);
        return Number(s[0]?.values[0]?.[1] ?? 0) >= 2 || null;
      },
      { what: 'the second reading of gas 3 in InfluxDB' },
    );
    await child.kill('SIGKILL');
    child = null;

    // Run 3: the snapshots of run 1 and what run 2 logged and stored after them.
    platform = await startTestPlatform(overrides(), { databaseUrl: pg.url });
    const fromSnapshots = restoredOf(platform.platform);
    await platform.stop();
    // Run 4: no snapshots — the whole alert log and the last day of telemetry.
    platform = await startTestPlatform(overrides({ alertSnapshotSeconds: 0, latestSnapshotSeconds: 0 }), { databaseUrl: pg.url });
    const fromInflux = restoredOf(platform.platform);

    expect(fromSnapshots).toEqual(fromInflux);
    const byDevice = (i: number) => fromSnapshots.alerts.find((a) => a.device === gas[i]!.id && a.rule === 'ch4_high');
    expect(byDevice(0)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'duty' });
    expect(byDevice(1)).toMatchObject({ state: 'dispatched', dispatchedTo: '清新区燃气公司' });
    expect(byDevice(2)).toMatchObject({ state: 'resolved' });
    expect(byDevice(4)).toMatchObject({ state: 'raised', level: 'red' });
    expect(fromSnapshots.latest[gas[3]!.id]?.values).toEqual({ ch4: 2 });
  });
});
