import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ensureDatabase, influxQuery, InfluxWriter, toLine } from '@lifeline/core/node';
import { freePort, runServicesScript, uniqueDbName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const opts = { batchSize: 5000, flushMs: 50, maxBuffered: 100_000, concurrency: 2, minRetryMs: 100, maxRetryMs: 500 };
const line = (i: number, town = '太和镇') => toLine('telemetry', { device: `d-${i % 50}`, town }, { v: i }, 1_795_000_000_000 + i);
const count = async (url: string, db: string) => Number((await influxQuery({ url, db }, 'SELECT count("v") FROM "telemetry"'))[0]?.values[0]?.[1] ?? 0);

describe('the InfluxDB batch writer', () => {
  const url = inject('influxUrl');

  it('writes many lines in batches of the configured size and keeps Chinese tags intact', async () => {
    const db = uniqueDbName('writer');
    await ensureDatabase({ url, db });
    const w = new InfluxWriter({ url, db, ...opts });
    for (let i = 0; i < 12_000; i++) w.write(line(i));
    await w.close();
    expect(w.stats).toMatchObject({ written: 12_000, rejected: 0, dropped: 0, buffered: 0 });
    expect(await count(url, db)).toBe(12_000);
    const towns = await influxQuery({ url, db }, 'SHOW TAG VALUES FROM "telemetry" WITH KEY = "town"');
    expect(towns[0]?.values).toEqual([['town', '太和镇']]);
  });

  it('keeps lines while InfluxDB is down and writes them once it is back', async () => {
    const port = await freePort();
    const db = uniqueDbName('down');
    const w = new InfluxWriter({ url: `http://127.0.0.1:${port}`, db, ...opts });
    for (let i = 0; i < 300; i++) w.write(line(i));
    await waitFor(() => w.stats.retries >= 2, { what: 'the writer to retry against a dead InfluxDB' });
    expect(w.stats.written).toBe(0);
    expect(w.healthy).toBe(false);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-test-'));
    try {
      // A new, empty InfluxDB: the writer must create its database itself, not take "database not found" for bad data.
      const started = await runServicesScript(['start', '--dir', dir, '--influx-port', String(port), '--no-mqtt']);
      expect(started.code, started.stderr).toBe(0);
      await w.drain(20_000);
      expect(w.stats).toMatchObject({ written: 300, dropped: 0, rejected: 0 });
      expect(w.healthy).toBe(true);
      expect(await count(`http://127.0.0.1:${port}`, db)).toBe(300);
    } finally {
      await w.close(1000);
      await runServicesScript(['stop', '--dir', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops the oldest batch when its bound is reached while InfluxDB is down, and counts it', async () => {
    const port = await freePort();
    const w = new InfluxWriter({ url: `http://127.0.0.1:${port}`, db: 'x', ...opts, batchSize: 100, maxBuffered: 1000 });
    for (let i = 0; i < 2000; i++) w.write(line(i));
    w.flush();
    await waitFor(() => w.stats.retries >= 1, { what: 'a failed write' });
    expect(w.stats.dropped).toBeGreaterThanOrEqual(900);
    expect(w.stats.buffered).toBeLessThanOrEqual(1000);
    await w.close(100);
  });

  it('does not retry lines InfluxDB refuses as bad data, and keeps the good lines of the batch', async () => {
    const db = uniqueDbName('refused');
    await ensureDatabase({ url, db });
    const w = new InfluxWriter({ url, db, ...opts });
    // In a new measurement InfluxDB refuses the whole batch for one conflicting line; the writer halves it.
    w.write(line(1));
    w.write('telemetry,device=d-x v="text" 1795000000500');
    w.write(line(2));
    w.write(line(3));
    await w.drain();
    expect(w.stats).toMatchObject({ retries: 0, rejected: 1, written: 3 });
    // Once the field exists, InfluxDB keeps the good lines itself (a partial write).
    w.write(line(4));
    w.write('telemetry,device=d-y v="again" 1795000000600');
    w.write('not line protocol');
    await w.close();
    expect(w.stats).toMatchObject({ retries: 0, rejected: 3, written: 4 });
    expect(await count(url, db)).toBe(4);
  });
});
