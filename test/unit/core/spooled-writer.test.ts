import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool, SpooledWriter } from '@lifeline/core/node';
import { waitFor } from '../../support/wait.js';

/** A stand-in for InfluxDB's /write: down (503), up (204, lines kept), and 400 for any batch with a "bad" line. */
function sink() {
  const got: string[] = [];
  let up = false;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (b: Buffer) => (body += b.toString()));
    req.on('end', () => {
      if (!up) return void res.writeHead(503).end('down');
      if (body.includes('bad')) return void res.writeHead(400).end('{"error":"unable to parse"}');
      got.push(...body.split('\n'));
      res.writeHead(204).end();
    });
  });
  return {
    got,
    setUp: (v: boolean) => (up = v),
    start: () => new Promise<string>((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const line = (i: number) => `telemetry,device=d-${i % 10} v=${i} ${1_795_000_000_000 + i}`;

describe('the spooled writer', () => {
  let dir: string;
  let s: ReturnType<typeof sink>;
  let url: string;
  const open = () => Spool.open(path.join(dir, 'spool'), { fsyncMs: 50, maxBytes: 1 << 26, segmentBytes: 64 * 1024 });
  const writerOpts = () => ({ url, db: 'x', batchSize: 100, flushMs: 10, maxBuffered: 1000, concurrency: 2, minRetryMs: 20, maxRetryMs: 100 });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-spooled-'));
    s = sink();
    url = await s.start();
  });
  afterEach(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds no more than its memory bound while InfluxDB is down, keeps the rest on disk, and writes every line once it is back', async () => {
    const w = new SpooledWriter(open(), writerOpts());
    w.start();
    for (let i = 0; i < 5000; i++) w.append([line(i)]);
    await waitFor(() => w.writer.stats.retries >= 2, { what: 'the writer to retry' });
    const down = w.backlog();
    expect(down).toMatchObject({ records: 5000, full: false, writeRatePerS: 0, drainEtaS: null });
    expect(down.inMemoryLines).toBeLessThanOrEqual(1000);
    expect(down.segments).toBeGreaterThan(1);

    s.setUp(true);
    expect(await w.settled(20_000)).toBe(true);
    expect(s.got.length).toBe(5000);
    expect(new Set(s.got)).toEqual(new Set(Array.from({ length: 5000 }, (_, i) => line(i))));
    expect(w.backlog()).toMatchObject({ records: 0, drainEtaS: 0 });
    expect(w.backlog().segments).toBe(1);
    expect(w.writer.stats.dropped).toBe(0);
    await w.close(1000);
  });

  it('reads the rest back from disk though everything it held in memory went out in one batch', async () => {
    s.setUp(true);
    const w = new SpooledWriter(open(), { ...writerOpts(), batchSize: 5000, concurrency: 1 });
    w.start();
    for (let i = 0; i < 3000; i++) w.append([line(i)]);
    expect(w.backlog().inMemoryLines).toBeLessThanOrEqual(1000);
    expect(await w.settled(10_000)).toBe(true);
    expect(s.got.length).toBe(3000);
    await w.close(1000);
  });

  it('hands the records of a turn over at their commit, not read back from disk when an earlier write finishes before it', async () => {
    s.setUp(true);
    const w = new SpooledWriter(open(), writerOpts());
    w.start();
    w.append([line(0)]);
    for (let i = 1; i <= 50; i++) w.stage([line(i)]);
    // The first record's write finishes while the others are staged: the writer asks for more.
    await waitFor(() => s.got.length >= 1, { what: 'the first record written' });
    w.commit();
    expect(await w.settled(5000)).toBe(true);
    expect(s.got).toEqual(Array.from({ length: 51 }, (_, i) => line(i)));
    expect(w.spool.stats.readBack).toBe(0);
    await w.close(1000);
  });

  it('lets a record go only when all of its lines are written, though they span batches', async () => {
    s.setUp(true);
    const w = new SpooledWriter(open(), writerOpts());
    w.start();
    w.append(Array.from({ length: 250 }, (_, i) => line(i)));
    expect(await w.settled(5000)).toBe(true);
    expect(s.got.length).toBe(250);
    await w.close(1000);
  });

  it('gives up a line InfluxDB refuses as bad data (a 4xx) instead of holding its record forever', async () => {
    s.setUp(true);
    const w = new SpooledWriter(open(), writerOpts());
    w.start();
    w.append([line(1)]);
    w.append(['telemetry,device=bad v="text" 1795000000500']);
    w.append([line(2)]);
    expect(await w.settled(5000)).toBe(true);
    expect(w.writer.stats.rejected).toBe(1);
    expect(s.got).toEqual(expect.arrayContaining([line(1), line(2)]));
    await w.close(1000);
  });

  it('stops in bounded time with InfluxDB down, and the next run writes what was left', async () => {
    const w = new SpooledWriter(open(), writerOpts());
    w.start();
    for (let i = 0; i < 300; i++) w.append([line(i)]);
    const t0 = Date.now();
    await w.close(300);
    expect(Date.now() - t0).toBeLessThan(2000);

    s.setUp(true);
    const next = new SpooledWriter(open(), writerOpts());
    expect(next.backlog()).toMatchObject({ records: 300, replayed: 300 });
    next.start();
    expect(await next.settled(10_000)).toBe(true);
    // Every line once at least (a request the first run had in flight may have landed too: InfluxDB keeps one point per series and time).
    const got = s.got.filter((l) => l.startsWith('telemetry'));
    expect(new Set(got).size).toBe(300);
    expect(new Set(got)).toEqual(new Set(Array.from({ length: 300 }, (_, i) => line(i))));
    await next.close(1000);
  });
});
