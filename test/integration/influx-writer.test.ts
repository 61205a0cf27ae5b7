import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ensureDatabase, influxIdent, influxQuery, influxString, InfluxWriter, pingInflux, toLine } from '@lifeline/core/node';
import { freePort, REPO_ROOT, runServicesScript, SERVICES_SCRIPT, uniqueDbName, type RunResult } from '../support/services.js';
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

  it('wakes a waiting producer once fewer lines than it asked for are buffered, while the rest are still being written', async () => {
    const db = uniqueDbName('below');
    await ensureDatabase({ url, db });
    const w = new InfluxWriter({ url, db, ...opts, batchSize: 100, concurrency: 1 });
    for (let i = 0; i < 2000; i++) w.write(line(i));
    w.flush();
    expect(w.stats.buffered).toBeGreaterThanOrEqual(1900);
    await w.whenBelow(500);
    // Woken from the writer's own drain path: four batches still queued, so at most 1,500 lines are written.
    expect(w.stats.buffered).toBeLessThan(500);
    expect(w.stats.written).toBeLessThanOrEqual(1500);
    await expect(w.whenBelow(500)).resolves.toBeUndefined();
    await w.close();
    expect(await count(url, db)).toBe(2000);
  });

  it('holds a waiting producer while InfluxDB is down, and lets it go when the writer closes', async () => {
    const w = new InfluxWriter({ url: `http://127.0.0.1:${await freePort()}`, db: 'x', ...opts, batchSize: 100 });
    for (let i = 0; i < 1000; i++) w.write(line(i));
    w.flush();
    let released = false;
    const waiting = w.whenBelow(100).then(() => (released = true));
    await waitFor(() => w.stats.retries >= 2, { what: 'the writer to retry against a dead InfluxDB' });
    expect(released).toBe(false);
    await w.close(100);
    await waiting;
    expect(released).toBe(true);
  });

  it('quotes interpolated strings and identifiers so quotes, backslashes and new lines reach InfluxDB as they are', async () => {
    const db = uniqueDbName('quoting');
    await ensureDatabase({ url, db });
    const device = `o'neil "甲" 1'`;
    const note = `C:\\dir\\x 'q' "dq"`;
    const measurement = 'we"ird';
    const w = new InfluxWriter({ url, db, ...opts });
    w.write(toLine(measurement, { device }, { v: 1, note }, 1_795_000_000_000));
    w.write(toLine(measurement, { device: 'other' }, { v: 2, note: 'other' }, 1_795_000_000_000));
    await w.close();
    expect(w.stats).toMatchObject({ written: 2, rejected: 0 });
    const from = `FROM ${influxIdent(measurement)}`;
    const byTag = await influxQuery({ url, db }, `SELECT ${influxIdent('v')} ${from} WHERE "device" = ${influxString(device)}`);
    expect(byTag[0]?.values).toEqual([[1_795_000_000_000, 1]]);
    const byField = await influxQuery({ url, db }, `SELECT "v", "note" ${from} WHERE "note" = ${influxString(note)}`);
    expect(byField[0]?.values).toEqual([[1_795_000_000_000, 1, note]]);
    expect(await influxQuery({ url, db }, `SELECT "v" ${from} WHERE "device" = ${influxString("x'\n OR 1=1")}`)).toEqual([]);
  });
});

describe('InfluxDB credentials', () => {
  const creds = { username: 'lifeline', password: 'pa ss:wörd&p=1' };
  const basic = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;

  it('go in an Authorization header on every write, query, creation and ping, never in the URL', async () => {
    const seen: { url: string; auth: string | undefined }[] = [];
    // Records what a client sends; a real InfluxDB cannot tell a header from a URL parameter.
    const recorder = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      req.resume();
      req.on('end', () => {
        if (req.url?.startsWith('/query')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"statement_id":0}]}');
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => recorder.listen(0, '127.0.0.1', r));
    try {
      const target = { url: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`, db: 'lifeline', ...creds };
      const w = new InfluxWriter({ ...target, ...opts });
      w.write(line(1));
      await w.close();
      await influxQuery(target, 'SELECT * FROM "telemetry"');
      await ensureDatabase(target);
      await pingInflux(target);
      expect(seen.map((r) => r.url.split('?')[0])).toEqual(['/write', '/query', '/query', '/ping']);
      for (const r of seen) {
        expect(r.auth).toBe(basic);
        expect(r.url).not.toMatch(/[?&][up]=/);
        expect(decodeURIComponent(r.url)).not.toContain(creds.password);
      }
    } finally {
      recorder.close();
    }
  });

  it('are taken by an InfluxDB with authentication on, for writes and queries alike', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-test-'));
    const target = { url: `http://127.0.0.1:${port}`, db: uniqueDbName('auth'), ...creds };
    try {
      const started = await servicesWithInfluxAuth(['start', '--dir', dir, '--influx-port', String(port), '--no-mqtt']);
      expect(started.code, started.stderr).toBe(0);
      // With no user yet, InfluxDB lets the first admin be created without credentials.
      const q = `CREATE USER ${influxIdent(creds.username)} WITH PASSWORD ${influxString(creds.password)} WITH ALL PRIVILEGES`;
      expect((await fetch(`${target.url}/query`, { method: 'POST', body: new URLSearchParams({ q }) })).status).toBe(200);
      await expect(influxQuery({ url: target.url, db: target.db }, 'SHOW DATABASES')).rejects.toThrow(/authoriz|auth/i);
      await ensureDatabase(target);
      const w = new InfluxWriter({ ...target, ...opts });
      for (let i = 0; i < 100; i++) w.write(line(i));
      await w.close();
      expect(w.stats).toMatchObject({ written: 100, rejected: 0, retries: 0 });
      expect(Number((await influxQuery(target, 'SELECT count("v") FROM "telemetry"'))[0]?.values[0]?.[1])).toBe(100);
    } finally {
      await runServicesScript(['stop', '--dir', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** scripts/services.sh with InfluxDB's own environment override for `[http] auth-enabled`. */
function servicesWithInfluxAuth(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, INFLUXDB_HTTP_AUTH_ENABLED: 'true' };
    execFile('bash', [SERVICES_SCRIPT, ...args], { cwd: REPO_ROOT, env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
