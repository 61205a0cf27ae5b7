import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { Alert, Device, Signal } from '@lifeline/core';
import { ensureDatabase, Spool, SpooledWriter, type InfluxTarget } from '@lifeline/core/node';
import { AlertManager } from '../../../server/src/alerts/alert-manager.js';
import { InfluxAlertLog } from '../../../server/src/alerts/alert-log.js';
import { ALERT_SNAPSHOT_FILE, alertSnapshots, loadActiveAlerts } from '../../../server/src/alerts/alert-snapshot.js';
import { uniqueDbName } from '../../support/services.js';

const devices: Device[] = [1, 2, 3, 4, 5].map((i) => ({
  id: `gas-${i}`,
  tenant: 'qx-gas',
  kind: 'gas',
  name: `太和镇某酒家 ${i} 号燃气探测器`,
  town: '太和镇',
  lon: 113,
  lat: 23.7,
}));
const byId = new Map(devices.map((d) => [d.id, d]));

const red = (device: string, ts: number): Signal => ({
  device,
  rule: 'ch4_high',
  ruleType: 'threshold',
  level: 'red',
  ts,
  metric: 'ch4',
  direction: 'above',
  value: 60,
  threshold: 50,
});

const byIdOrder = (alerts: Alert[]) => [...alerts].sort((a, b) => a.id.localeCompare(b.id));

/** One run of the platform's alert stage: manager, log, spool, against the real InfluxDB; a clock the test moves. */
function run(influx: InfluxTarget, spoolDir: string, clock: { t: number }) {
  const sink = new SpooledWriter(Spool.open(spoolDir, { fsyncMs: 0, maxBytes: 1 << 26, segmentBytes: 1 << 20 }), {
    ...influx,
    batchSize: 1000,
    flushMs: 10,
    maxBuffered: 10_000,
    concurrency: 1,
  });
  sink.start();
  const log = new InfluxAlertLog(sink, undefined, () => clock.t);
  const alerts = new AlertManager({ lookup: (id) => byId.get(id), log, now: () => clock.t });
  const idOf = (device: string) => alerts.list().find((a) => a.device === device)!.id;
  return { sink, log, alerts, idOf, close: () => sink.close(5000) };
}

describe('the active-alert snapshot', () => {
  const influx: InfluxTarget = { url: inject('influxUrl'), db: '' };
  let dir: string;
  let file: string;
  const clock = { t: 0 };

  beforeEach(async () => {
    influx.db = uniqueDbName('alert_snapshot');
    await ensureDatabase(influx);
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-alert-snapshot-'));
    file = path.join(dir, ALERT_SNAPSHOT_FILE);
    clock.t = Date.now() - 3_600_000;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('with the alert log after it gives the same active alerts as a rebuild from the whole log', async () => {
    const r = run(influx, path.join(dir, 'spool'), clock);
    for (const d of ['gas-1', 'gas-2', 'gas-3', 'gas-5']) r.alerts.onSignal(red(d, (clock.t += 1000)));
    r.alerts.acknowledge(r.idOf('gas-1'), '值班员张三');
    const closedBefore = r.idOf('gas-5');
    r.alerts.resolve(closedBefore, '燃气公司李四', '已关阀');
    r.alerts.close(closedBefore, '带班领导赵六', '销号');
    await alertSnapshots({ file, influx, everyMs: 0, alerts: r.alerts, log: r.log }).save();

    // After the snapshot: one alert changed, one closed, one new.
    const changed = r.idOf('gas-2');
    const closedAfter = r.idOf('gas-3');
    r.alerts.acknowledge(changed, '值班员王五', '已电话联系');
    r.alerts.resolve(closedAfter, '燃气公司李四', '复测 0 %LEL');
    r.alerts.close(closedAfter, '带班领导赵六', '核查属实，销号');
    r.alerts.onSignal(red('gas-4', (clock.t += 1000)));
    const held = byIdOrder(r.alerts.activeCopies());
    await r.close();

    const fromSnapshot = await loadActiveAlerts({ influx, days: 90, file });
    const fromLog = await loadActiveAlerts({ influx, days: 90, file: null });
    expect(fromSnapshot.from).toBe('snapshot');
    expect(fromLog.from).toBe('log');
    expect(byIdOrder(fromSnapshot.alerts)).toEqual(byIdOrder(fromLog.alerts));
    expect(byIdOrder(fromSnapshot.alerts)).toEqual(held);
    expect(fromSnapshot.mark).toBe(fromLog.mark);
    expect(fromSnapshot.alerts.find((a) => a.id === changed)).toMatchObject({ state: 'acknowledged', acknowledgedBy: '值班员王五' });
    expect(fromSnapshot.alerts.map((a) => a.id)).not.toContain(closedAfter);
    expect(fromSnapshot.alerts.map((a) => a.id)).not.toContain(closedBefore);
    expect(fromSnapshot.alerts.map((a) => a.device).sort()).toEqual(['gas-1', 'gas-2', 'gas-4']);
    // Only the alerts that changed after the snapshot were read from the log.
    expect(fromSnapshot.logAlerts).toBe(3);
  });

  it('reads a change made after a restart whose clock is behind the last run’s mark (a burst ran the log’s times ahead)', async () => {
    const first = run(influx, path.join(dir, 'spool'), clock);
    // Five alerts in one millisecond: the log's times run 4 ms ahead of the clock.
    for (const d of ['gas-1', 'gas-2', 'gas-3', 'gas-4', 'gas-5']) first.alerts.onSignal(red(d, clock.t));
    await alertSnapshots({ file, influx, everyMs: 0, alerts: first.alerts, log: first.log }).save();
    await first.close();

    const loaded = await loadActiveAlerts({ influx, days: 90, file });
    const second = run(influx, path.join(dir, 'spool'), clock);
    second.alerts.restore(loaded.alerts);
    second.log.continueAfter(loaded.mark);
    // The same millisecond again, and then the process is killed before its first snapshot.
    second.alerts.acknowledge(second.idOf('gas-3'), '值班员张三');
    await second.close();

    const after = await loadActiveAlerts({ influx, days: 90, file });
    expect(after.from).toBe('snapshot');
    expect(after.alerts.find((a) => a.device === 'gas-3')).toMatchObject({ state: 'acknowledged', acknowledgedBy: '值班员张三' });
  });

  it('falls back to the whole log when the snapshot is damaged', async () => {
    const r = run(influx, path.join(dir, 'spool'), clock);
    r.alerts.onSignal(red('gas-1', (clock.t += 1000)));
    await r.close();
    writeFileSync(file, '{"kind":"active-alerts","version":1');
    const loaded = await loadActiveAlerts({ influx, days: 90, file });
    expect(loaded.from).toBe('log');
    expect(loaded.alerts.map((a) => a.device)).toEqual(['gas-1']);
  });
});
