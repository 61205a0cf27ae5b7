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
import { CONFIG_KEYS, ensureDatabase, influxQuery, InfluxWriter, loadRegistry, pingInflux, toLine } from '@lifeline/core/node';
import { Ingest } from '@lifeline/ingest';
import { startTestPlatform } from '../support/platform.js';
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

  it('puts the refused points of ingest in its dead letters with the reason, without a log line each', async () => {
    const db = 'ingest-limits';
    await ensureDatabase({ url, db });
    const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
    const gas = registry.devices.filter((d) => d.kind === 'gas').slice(0, 8);
    const writer = new InfluxWriter({ url, db, batchSize: 100, flushMs: 20, maxBuffered: 10_000, concurrency: 1 });
    const ingest = new Ingest({ mqtt: { url: 'mqtt://127.0.0.1:1', clientId: 'unused' }, registry, writer, deadLetterMax: 100, onSignal: () => undefined });
    for (const [i, d] of gas.entries()) {
      const r = ingest.handle(`lifeline/v1/${d.tenant}/${d.id}/telemetry`, Buffer.from(JSON.stringify({ ts: T + i, values: { ch4: 0.5 } })));
      expect(r.ok).toBe(true);
      if (i < 3) await writer.drain(); // the first three devices' series exist before the rest arrive
    }
    await writer.drain();
    expect(ingest.deadLetters.byCode).toEqual({ refused_by_influxdb: 5 });
    const dl = ingest.deadLetters.list(10);
    expect(dl.map((x) => x.device).sort()).toEqual(
      gas
        .slice(3)
        .map((d) => d.id)
        .sort(),
    );
    expect(dl[0]).toMatchObject({ code: 'refused_by_influxdb', reason: expect.stringContaining('max-values-per-tag limit exceeded') });
    expect(dl[0]!.topic).toMatch(/^lifeline\/v1\/[^/]+\/gas-[^/]+\/telemetry$/);
    await writer.close();
  });

  it('turns the platform’s health degraded, naming the refusal, and counts it in the metrics', async () => {
    const t = await startTestPlatform({ influxUrl: url, influxDb: 'platform-limits' });
    try {
      const gas = loadRegistry(t.platform.config.registryPath)
        .devices.filter((d) => d.kind === 'gas')
        .slice(0, 8);
      for (const [i, d] of gas.entries()) {
        t.platform.ingest.handle(`lifeline/v1/${d.tenant}/${d.id}/telemetry`, Buffer.from(JSON.stringify({ ts: T + i, values: { ch4: 0.5 } })));
        if (i < 3) await waitFor(() => t.platform.writer.stats.written > i, { what: 'the first devices written' });
      }
      const admin = await t.login('admin');
      const health = await waitFor(
        async () => {
          const h = await admin.get<{ status: string; influx: { ok: boolean; detail?: string } }>('/health');
          return h.body.influx.ok ? null : h;
        },
        { what: 'health to name the refusal' },
      );
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        status: 'degraded',
        influx: { ok: false, detail: expect.stringMatching(/refusing new series \(\d+ points dead-lettered\)/) },
      });
      const metrics = await admin.get<{ influx: { refusedCardinality: number }; deadLetters: { byCode: Record<string, number> } }>('/metrics');
      expect(metrics.body.influx.refusedCardinality).toBeGreaterThan(0);
      expect(metrics.body.deadLetters.byCode.refused_by_influxdb).toBe(metrics.body.influx.refusedCardinality);
    } finally {
      await t.stop();
    }
  });
});
