import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, SpoolFullError, type SpoolOptions } from '@lifeline/core/node';
import { REPO_ROOT } from '../../support/services.js';

const dirs: string[] = [];
const opened: Spool[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'lifeline-spool-'));
  dirs.push(d);
  return d;
};
const open = (dir: string, o: Partial<SpoolOptions> = {}) => {
  const s = Spool.open(dir, { fsyncMs: 100, maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024, ...o });
  opened.push(s);
  return s;
};
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
/** Everything the spool hands out from its first pending record on, as the writer reads it back. */
const readAll = (s: Spool) => {
  const out: { seq: number; payload: string }[] = [];
  for (let seq = s.firstPending; seq < s.end;) {
    const chunk = s.read(seq, 4096);
    if (chunk.length === 0) break;
    out.push(...chunk);
    seq = chunk.at(-1)!.seq + 1;
  }
  return out;
};
const line = (i: number) => `telemetry,device=gas-${i % 7} ch4=${i / 10} ${1_795_000_000_000 + i}`;

afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the spool', () => {
  it('keeps what was appended across a close and a reopen, and hands it out again in append order', () => {
    const dir = tempDir();
    const first = open(dir, { segmentBytes: 4096 });
    const payloads = Array.from({ length: 200 }, (_, i) => `${line(i)}\n${line(i + 1000)}`);
    for (const p of payloads) first.append(p);
    expect(segments(dir).length).toBeGreaterThan(3);
    first.close();

    const again = open(dir, { segmentBytes: 4096 });
    expect(again.stats).toMatchObject({ replayed: 200, torn: 0 });
    expect(again.backlog()).toMatchObject({ records: 200, full: false });
    const back = readAll(again);
    expect(back.map((r) => r.payload)).toEqual(payloads);
    expect(back.map((r) => r.seq)).toEqual(payloads.map((_, i) => i));
  });

  it('reads back records in Chinese and other non-ASCII text whole, their checksums good after a reopen', () => {
    const dir = tempDir();
    const first = open(dir);
    const payloads = ['telemetry,town=庐阳区,device=gas-1 ch4=1.5 1795000000000', 'device_event,detail=温度\\ 过高 ✓ 1795000000001', 'a'.repeat(3000) + '合肥'];
    for (const p of payloads) first.append(p);
    first.close();
    const again = open(dir);
    expect(again.stats).toMatchObject({ replayed: 3, torn: 0 });
    expect(readAll(again).map((r) => r.payload)).toEqual(payloads);
  });

  it('keeps a record once append has returned, though the process is killed (SIGKILL) right after', () => {
    const dir = tempDir();
    const script = path.join(dir, 'append-and-die.mts');
    writeFileSync(
      script,
      [
        `import { Spool } from ${JSON.stringify(path.join(REPO_ROOT, 'core/src/node.ts'))};`,
        `const s = Spool.open(${JSON.stringify(path.join(dir, 'spool'))}, { fsyncMs: 60_000, maxBytes: 1 << 24, segmentBytes: 1 << 20 });`,
        `for (let i = 0; i < 500; i++) s.append('record ' + i);`,
        `process.kill(process.pid, 'SIGKILL');`,
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.signal, run.stderr).toBe('SIGKILL');
    // Neither closed nor fsync'd (a minute's timer): the records are in the kernel's page cache, which a kill does not touch.
    const s = open(path.join(dir, 'spool'));
    expect(s.stats.replayed).toBe(500);
    expect(readAll(s).map((r) => r.payload)).toEqual(Array.from({ length: 500 }, (_, i) => `record ${i}`));
  });

  it("writes a turn's staged records with one commit: a kill before the commit keeps none of them, after it all", () => {
    const dir = tempDir();
    const script = path.join(dir, 'stage-and-die.mts');
    writeFileSync(
      script,
      [
        `import { Spool } from ${JSON.stringify(path.join(REPO_ROOT, 'core/src/node.ts'))};`,
        `const s = Spool.open(${JSON.stringify(path.join(dir, 'spool'))}, { fsyncMs: 60_000, maxBytes: 1 << 24, segmentBytes: 1 << 20 });`,
        `for (let i = 0; i < 300; i++) s.stage('kept ' + i);`,
        `s.commit();`,
        `for (let i = 0; i < 200; i++) s.stage('staged only ' + i);`,
        `console.log(s.end, s.stagedRecords);`,
        `process.kill(process.pid, 'SIGKILL');`,
      ].join('\n'),
    );
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(run.signal, run.stderr).toBe('SIGKILL');
    expect(run.stdout.trim()).toBe('500 200');
    const s = open(path.join(dir, 'spool'));
    expect(s.stats).toMatchObject({ replayed: 300, torn: 0 });
    expect(readAll(s).map((r) => r.payload)).toEqual(Array.from({ length: 300 }, (_, i) => `kept ${i}`));
  });

  it('writes staged records before anything reads the file, so a reader never sees a gap', () => {
    const s = open(tempDir());
    s.append('first');
    s.stage('second');
    s.stage('third');
    expect(s.stagedRecords).toBe(2);
    expect(readAll(s).map((r) => r.payload)).toEqual(['first', 'second', 'third']);
    expect(s.stagedRecords).toBe(0);
    s.commit();
  });

  it('forgets a whole batch whose write fails, says so, and throws at its commit so none of it is acknowledged', () => {
    const dir = tempDir();
    const script = path.join(dir, 'stage-past-the-limit.mts');
    // A file-size limit (ulimit -f, in KiB) makes the segment's write fail with EFBIG: a real failed write.
    writeFileSync(
      script,
      [
        `import { Spool } from ${JSON.stringify(path.join(REPO_ROOT, 'core/src/node.ts'))};`,
        `process.on('SIGXFSZ', () => {});`,
        `const s = Spool.open(${JSON.stringify(path.join(dir, 'spool'))}, { fsyncMs: 60_000, maxBytes: 1 << 24, segmentBytes: 1 << 22 });`,
        `for (let i = 0; i < 100; i++) s.stage('kept ' + i);`,
        `s.commit();`,
        `const kept = s.end;`,
        `for (let i = 0; i < 2000; i++) s.stage('lost ' + 'x'.repeat(100) + i);`,
        `let error = 'none';`,
        `try { s.commit(); } catch (err) { error = err.code; }`,
        `console.log(JSON.stringify({ kept, error, end: s.end, staged: s.stagedRecords, next: s.append('after') }));`,
        `s.close();`,
      ].join('\n'),
    );
    const run = spawnSync('bash', ['-c', `ulimit -f 64 && exec "${process.execPath}" --import tsx "${script}"`], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(
      run.stdout
        .trim()
        .split('\n')
        .find((l) => l.startsWith('{"kept"'))!,
    );
    // The failed batch is gone, its seqs are reused, and the spool goes on.
    expect(out).toEqual({ kept: 100, error: 'EFBIG', end: 100, staged: 0, next: 100 });
    expect(run.stdout + run.stderr).toContain('could not write staged records');
    const s = open(path.join(dir, 'spool'));
    expect(readAll(s).map((r) => r.payload)).toEqual([...Array.from({ length: 100 }, (_, i) => `kept ${i}`), 'after']);
  });

  it('reads from any record, in the open segment and in one found at open, without reading it from the start', () => {
    const dir = tempDir();
    const first = open(dir, { segmentBytes: 1 << 20 });
    const payloads = Array.from({ length: 1000 }, (_, i) => line(i));
    for (const p of payloads) first.stage(p);
    first.commit();
    for (const seq of [999, 0, 64, 63, 65, 500, 128, 1]) expect(first.read(seq, 1)[0]).toEqual({ seq, payload: payloads[seq] });
    first.close();
    const again = open(dir, { segmentBytes: 1 << 20 });
    for (const seq of [777, 0, 192, 191, 999]) expect(again.read(seq, 1)[0]).toEqual({ seq, payload: payloads[seq] });
  });

  it('cuts off a torn last record (a write that never finished), counts it and keeps every record before it', () => {
    const dir = tempDir();
    const s = open(dir);
    for (let i = 0; i < 10; i++) s.append(line(i));
    s.close();
    const [seg] = segments(dir);
    const file = path.join(dir, seg!);
    truncateSync(file, statSync(file).size - 7);

    const again = open(dir);
    expect(again.stats).toMatchObject({ replayed: 9, torn: 1 });
    expect(again.stats.truncatedBytes).toBeGreaterThan(0);
    expect(readAll(again).map((r) => r.payload)).toEqual(Array.from({ length: 9 }, (_, i) => line(i)));
    // The spool goes on: a new record after the replayed ones.
    expect(again.append('after')).toBe(9);
    expect(readAll(again).at(-1)).toEqual({ seq: 9, payload: 'after' });
  });

  it('cuts off a last record whose bytes were changed (its CRC fails) and keeps the rest', () => {
    const dir = tempDir();
    const s = open(dir);
    for (let i = 0; i < 5; i++) s.append(line(i));
    s.close();
    const file = path.join(dir, segments(dir)[0]!);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3]! ^= 0x20;
    writeFileSync(file, bytes);

    const again = open(dir);
    expect(again.stats).toMatchObject({ replayed: 4, torn: 1 });
    expect(readAll(again).map((r) => r.payload)).toEqual([0, 1, 2, 3].map(line));
  });

  it('deletes a segment file only once every record in it is confirmed, whatever the order', () => {
    const dir = tempDir();
    const s = open(dir, { segmentBytes: 4096 });
    const seqs: number[] = [];
    // The first segment closes after the append that fills it: the records up to that one are in it.
    let inFirst: number[] = [];
    for (let i = 0; i < 40; i++) {
      seqs.push(s.append(`${line(i)} ${'x'.repeat(300)}`));
      if (inFirst.length === 0 && segments(dir).length > 1) inFirst = [...seqs];
    }
    const before = segments(dir);
    expect(before.length).toBeGreaterThanOrEqual(4);
    expect(inFirst.length).toBeGreaterThan(2);
    // All of the first segment's records but its first, out of order.
    for (const q of inFirst.slice(1).reverse()) s.confirm(q);
    // A record of a later segment, confirmed, does not delete the first either.
    s.confirm(seqs[39]!);
    expect(segments(dir)[0]).toBe(before[0]);
    s.confirm(inFirst[0]!);
    expect(segments(dir)).not.toContain(before[0]);
    expect(s.firstPending).toBe(inFirst.length);
    expect(s.backlog().records).toBe(40 - inFirst.length - 1);
    // Confirming again changes nothing.
    s.confirm(inFirst[0]!);
    expect(s.backlog().records).toBe(40 - inFirst.length - 1);
  });

  it('leaves nothing to replay after a close once everything is confirmed', () => {
    const dir = tempDir();
    const s = open(dir);
    const seqs = [s.append('a'), s.append('b')];
    for (const q of seqs) s.confirm(q);
    s.close();
    expect(segments(dir)).toEqual([]);
    expect(open(dir).stats.replayed).toBe(0);
  });

  it('refuses appends when full, says so, and takes them again once written segments are deleted', async () => {
    const dir = tempDir();
    const s = open(dir, { maxBytes: 16 * 1024, segmentBytes: 4096 });
    const seqs: number[] = [];
    let refused: unknown = null;
    for (let i = 0; i < 1000 && !refused; i++) {
      try {
        seqs.push(s.append(`${line(i)} ${'y'.repeat(200)}`));
      } catch (err) {
        refused = err;
      }
    }
    expect(refused).toBeInstanceOf(SpoolFullError);
    expect((refused as Error).message).toMatch(/full \(\d+ of 16384 bytes\)/);
    expect(s.full).toBe(true);
    expect(s.backlog()).toMatchObject({ full: true, maxBytes: 16 * 1024 });
    expect(s.stats.timesFull).toBe(1);
    expect(s.backlog().bytes).toBeLessThan(16 * 1024 + 4096);
    let released = false;
    const waiting = s.whenNotFull().then(() => (released = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(released).toBe(false);

    for (const q of seqs) s.confirm(q);
    await waiting;
    expect(s.full).toBe(false);
    expect(s.backlog()).toMatchObject({ records: 0, full: false });
    expect(s.append('again')).toBe(seqs.length);
  });

  it('tells the age of its oldest unconfirmed record and how much it holds', async () => {
    const dir = tempDir();
    const s = open(dir);
    expect(s.backlog()).toMatchObject({ records: 0, oldestAt: null });
    const t0 = Date.now();
    const a = s.append('a');
    await new Promise((r) => setTimeout(r, 1100));
    s.append('b');
    const b = s.backlog();
    expect(b.records).toBe(2);
    expect(b.oldestAt).toBeGreaterThanOrEqual(t0);
    expect(b.oldestAt).toBeLessThan(t0 + 50);
    s.confirm(a);
    expect(s.backlog().oldestAt).toBeGreaterThanOrEqual(t0 + 1000);
  });

  it('is refused to a second owner while the first runs', () => {
    const dir = tempDir();
    open(dir);
    expect(() => Spool.open(dir, { fsyncMs: 100, maxBytes: 1 << 24, segmentBytes: 1 << 20 })).toThrow(/already open/);
  });
});
