import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ensureDatabase, InfluxWriter, loadRegistry, type InfluxTarget } from '@lifeline/core/node';
import { Ingest } from '@lifeline/ingest';
import { LATEST_DELTA_MARGIN_MS, LATEST_SNAPSHOT_FILE, latestSnapshots, restoreLatestValues } from '../../../server/src/latest-values.js';
import { REPO_ROOT, uniqueDbName } from '../../support/services.js';

const registry = loadRegistry(path.join(REPO_ROOT, 'data/qingxin-registry.json'));
const gas = [...registry.byId.values()].filter((d) => d.kind === 'gas').slice(0, 6);

/** An ingest stage that is never started (no broker): readings go in through `handle`, lines to the real InfluxDB. */
function ingestOf(influx: InfluxTarget) {
  const writer = new InfluxWriter({ ...influx, batchSize: 1000, flushMs: 10, maxBuffered: 100_000, concurrency: 1 });
  const ingest = new Ingest({ mqtt: { url: 'mqtt://127.0.0.1:1', clientId: 'unused' }, registry, writer, deadLetterMax: 100, onSignal: () => {} });
  const read = (i: number, ts: number, ch4: number) =>
    ingest.handle(`lifeline/v1/${gas[i]!.tenant}/${gas[i]!.id}/telemetry`, Buffer.from(JSON.stringify({ ts, values: { ch4 } })), ts);
  return { ingest, writer, read };
}

const mapOf = (i: Ingest) => Object.fromEntries([...i.latest].sort(([a], [b]) => a.localeCompare(b)));

describe('the latest-values snapshot', () => {
  const influx: InfluxTarget = { url: inject('influxUrl'), db: '' };
  let dir: string;
  let file: string;

  beforeEach(async () => {
    influx.db = uniqueDbName('latest');
    await ensureDatabase(influx);
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-latest-'));
    file = path.join(dir, LATEST_SNAPSHOT_FILE);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('with the telemetry after it gives the same latest values and last-heard times as the read of the last day', async () => {
    const t0 = Date.now() - 10 * 60_000;
    const before = ingestOf(influx);
    for (let i = 0; i < 4; i++) before.read(i, t0 + i * 1000, 10 + i);
    const snapAt = t0 + 5 * 60_000;
    await latestSnapshots({ file, influx, everyMs: 0, ingest: before.ingest, now: () => snapAt }).save();
    // After the snapshot: a device heard again, one heard for the first time, and one whose reading is
    // stamped a little before the snapshot's time (its clock behind), yet came after it.
    before.read(1, snapAt + 1000, 41);
    before.read(4, snapAt + 2000, 44);
    before.read(2, snapAt - LATEST_DELTA_MARGIN_MS / 2, 32);
    await before.writer.drain(5000);

    const fromSnapshot = ingestOf(influx).ingest;
    const fromDay = ingestOf(influx).ingest;
    expect(await restoreLatestValues(fromSnapshot, { influx, file })).toMatchObject({ from: 'snapshot', devices: 5, fromInflux: 3 });
    expect(await restoreLatestValues(fromDay, { influx, file: null })).toMatchObject({ from: 'influx', devices: 5 });
    expect(mapOf(fromSnapshot)).toEqual(mapOf(before.ingest));
    expect(mapOf(fromDay)).toEqual(mapOf(before.ingest));
    expect(fromSnapshot.latest.get(gas[1]!.id)).toEqual({ values: { ch4: 41 }, at: snapAt + 1000 });
    for (const i of [0, 1, 2, 3, 4]) expect(fromSnapshot.rules.lastSeenOf(gas[i]!.id)).toBe(fromDay.rules.lastSeenOf(gas[i]!.id));
    expect(fromSnapshot.rules.lastSeenOf(gas[5]!.id)).toBeNull();
  });

  it('keeps what the snapshot had when InfluxDB does not answer', async () => {
    const before = ingestOf(influx);
    before.read(0, Date.now() - 1000, 12);
    await latestSnapshots({ file, influx, everyMs: 0, ingest: before.ingest }).save();
    const after = ingestOf(influx).ingest;
    const r = await restoreLatestValues(after, { influx: { ...influx, url: 'http://127.0.0.1:1' }, file });
    expect(r).toMatchObject({ from: 'snapshot', devices: 1, fromInflux: 0 });
    expect(after.latest.get(gas[0]!.id)?.values).toEqual({ ch4: 12 });
  });

  it('is not used when it is older than a day: the last day is read instead', async () => {
    const before = ingestOf(influx);
    before.read(0, Date.now() - 1000, 12);
    await before.writer.drain(5000);
    await latestSnapshots({ file, influx, everyMs: 0, ingest: before.ingest, now: () => Date.now() - 2 * 86_400_000 }).save();
    const r = await restoreLatestValues(ingestOf(influx).ingest, { influx, file });
    expect(r).toMatchObject({ from: 'influx', devices: 1 });
  });
});
