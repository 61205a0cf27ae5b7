/**
 * InfluxDB with the 1.x default cardinality limits (here scaled down to 3
 * values per tag, so the test needs no 100,000 devices): a refusal of new
 * series is a configuration error, counted and handed on once per line, not
 * retried and not logged per point; the project's own InfluxDB (services.sh)
 * has no such limit, which the city-scale test checks at 100,001 devices.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDatabase, influxQuery, InfluxWriter, pingInflux, toLine } from '@lifeline/core/node';
import { freePort } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const T = 1_795_000_000_000;
const line = (device: number, i: number) => toLine('telemetry', { device: `d-${device}` }, { v: i }, T + i);

describe('the writer against an InfluxDB that refuses new series (max-values-per-tag)', () => {
  let child: ChildProcess;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-influx-limit-'));
    const [http, rpc] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${http}`;
    const conf = path.join(dir, 'influxdb.conf');
    writeFileSync(
      conf,
      [
        'reporting-enabled = false',
        `bind-address = "127.0.0.1:${rpc}"`,
        '[meta]',
        `  dir = "${dir}/meta"`,
        '[data]',
        `  dir = "${dir}/data"`,
        `  wal-dir = "${dir}/wal"`,
        '  query-log-enabled = false',
        '  index-version = "inmem"',
        '  max-values-per-tag = 3',
        '[monitor]',
        '  store-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${http}"`,
        '  log-enabled = false',
        '',
      ].join('\n'),
    );
    child = spawn('influxd', ['run', '-config', conf], { stdio: 'ignore' });
    await waitFor(async () => (await pingInflux({ url, db: 'x' })).ok, { what: 'a private influxd', timeoutMs: 30_000 });
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the points of the series it has, refuses each line of a series past the limit once, and says why', async () => {
    const db = 'limits';
    await ensureDatabase({ url, db });
    const w = new InfluxWriter({ url, db, batchSize: 100, flushMs: 20, maxBuffered: 10_000, concurrency: 1 });
    const refused: { line: string; reason: string; cardinality: boolean }[] = [];
    w.onRefused((l, reason, cardinality) => refused.push({ line: l, reason, cardinality }));
    // Devices 0-2 first (they fit), then ten readings of each of devices 0-9 in one stream.
    for (let d = 0; d < 3; d++) w.write(line(d, d));
    await w.drain();
    for (let i = 0; i < 10; i++) for (let d = 0; d < 10; d++) w.write(line(d, 100 + i * 10 + d));
    await w.drain();
    expect(w.stats).toMatchObject({ written: 33, rejected: 70, refusedCardinality: 70, retries: 0 });
    expect(w.stats.cardinalityError?.message).toMatch(/max-values-per-tag limit exceeded/);
    expect(refused).toHaveLength(70);
    expect(refused.every((r) => r.cardinality && /d-[3-9]/.test(r.line))).toBe(true);
    const rows = await influxQuery({ url, db }, 'SELECT count("v") FROM "telemetry" GROUP BY "device"');
    expect(rows.map((s) => [s.tags?.device, s.values[0]?.[1]])).toEqual([
      ['d-0', 11],
      ['d-1', 11],
      ['d-2', 11],
    ]);
    await w.close();
  });
});
