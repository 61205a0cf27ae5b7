/**
 * Snapshot files: what a process held in memory, written now and then so the
 * next start reads it from disk and asks InfluxDB only for what came after.
 * A snapshot is a cache, never the record: a missing, torn or damaged one is
 * "no snapshot" (the caller reads the record instead), never a failed start.
 *
 * Format: a header line (JSON: kind, version, the time the content is
 * complete up to, how many items, the body's bytes and SHA-256), then one
 * JSON item a line. The checksum tells a torn or altered file from a whole one
 * before anything in it is believed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as turn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { Type } from '@sinclair/typebox';
import { validator, type Validator } from '../validate.js';
import { fsyncDirectory, writeFileDurably, writeFileDurablyAsync } from './durable-file.js';
import { logger } from './logger.js';

const log = logger('snapshot');

/** Items serialised per turn of the event loop: a city's 100,000 devices never hold it for long. */
export const SNAPSHOT_ITEMS_PER_TURN = 2000;

const SnapshotHeader = Type.Object({
  kind: Type.String({ minLength: 1 }),
  version: Type.Integer({ minimum: 1 }),
  /** What the content is complete up to, in the caller's terms (a time, a log's high-water mark). */
  upTo: Type.Number(),
  /** What the content belongs to (an InfluxDB database): a snapshot of another is not used. */
  scope: Type.String(),
  savedAt: Type.Number(),
  count: Type.Integer({ minimum: 0 }),
  bytes: Type.Integer({ minimum: 0 }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});
const snapshotHeader = validator(SnapshotHeader);

export interface SnapshotKind {
  kind: string;
  version: number;
  scope: string;
}

export interface Snapshot<T> {
  upTo: number;
  savedAt: number;
  items: T[];
  /**
   * Written at a clean stop, after everything that changes the content had
   * stopped: nothing came after it. True once — reading it takes the mark
   * away — so a run that starts from it and then dies leaves a snapshot the
   * next start treats as any periodic one.
   */
  final: boolean;
}

/** Beside the snapshot: the checksum of the one written at a clean stop. */
const finalMarkOf = (file: string) => `${file}.final`;

export interface SnapshotWritten {
  sha256: string;
  items: number;
  bytes: number;
  /** Wall time of the write, and the longest the event loop was held by it (one slice's serialisation). */
  ms: number;
  longestTurnMs: number;
}

/**
 * Writes `items` as the snapshot `file` (temp file, fsync, rename: the old
 * snapshot or the new one, never half of one), serialising a slice per turn of
 * the event loop. The items are the caller's to keep unchanged meanwhile (a
 * copy taken at one instant, with `upTo` of that instant).
 */
export async function writeSnapshotFile(
  file: string,
  k: SnapshotKind,
  upTo: number,
  items: readonly unknown[],
  now: () => number = Date.now,
): Promise<SnapshotWritten> {
  const t0 = performance.now();
  let longestTurnMs = 0;
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  let bytes = 0;
  for (let i = 0; i < items.length; i += SNAPSHOT_ITEMS_PER_TURN) {
    const s = performance.now();
    let text = '';
    for (const item of items.slice(i, i + SNAPSHOT_ITEMS_PER_TURN)) text += JSON.stringify(item) + '\n';
    const part = Buffer.from(text, 'utf8');
    hash.update(part);
    parts.push(part);
    bytes += part.length;
    longestTurnMs = Math.max(longestTurnMs, performance.now() - s);
    await turn();
  }
  const header = { kind: k.kind, version: k.version, upTo, scope: k.scope, savedAt: now(), count: items.length, bytes, sha256: hash.digest('hex') };
  mkdirSync(path.dirname(file), { recursive: true });
  await writeFileDurablyAsync(file, [JSON.stringify(header) + '\n', ...parts]);
  return { sha256: header.sha256, items: items.length, bytes, ms: Math.round(performance.now() - t0), longestTurnMs: Math.round(longestTurnMs) };
}

/**
 * The snapshot in `file` with every item checked against `item`, or null —
 * missing (said at info), or torn, damaged, of another kind, version or scope,
 * or holding an item that is not valid (said at warn, with the reason) — and
 * then the caller reads from the record instead.
 */
export function readSnapshotFile<T>(file: string, k: SnapshotKind, item: Validator<T>): Snapshot<T> | null {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') log.info({ file, kind: k.kind }, 'no snapshot yet; reading from InfluxDB');
    else log.warn({ file, kind: k.kind, err: (err as Error).message }, 'snapshot cannot be read; reading from InfluxDB instead');
    return null;
  }
  const final = takeFinalMark(file);
  const r = parseSnapshot(buf, k, item, final);
  if (typeof r === 'string') {
    log.warn({ file, kind: k.kind, reason: r }, 'snapshot not used; reading from InfluxDB instead');
    return null;
  }
  return r;
}

/**
 * Removes a snapshot that is not to be used (snapshots turned off): a later
 * start with them on must not take an old one written at a clean stop for the
 * last word on what came after.
 */
export function discardSnapshot(file: string): void {
  for (const f of [finalMarkOf(file), file]) {
    try {
      unlinkSync(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** The checksum the clean-stop mark names (or null), the mark removed durably before anything else runs. */
function takeFinalMark(file: string): string | null {
  const mark = finalMarkOf(file);
  let sha: string;
  try {
    sha = readFileSync(mark, 'utf8').trim();
  } catch {
    return null;
  }
  unlinkSync(mark);
  fsyncDirectory(path.dirname(mark));
  return sha;
}

/** The snapshot in `buf`, or why it is not one to use. */
function parseSnapshot<T>(buf: Buffer, k: SnapshotKind, item: Validator<T>, finalSha: string | null): Snapshot<T> | string {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return 'no header line (a torn or empty file)';
  let raw: unknown;
  try {
    raw = JSON.parse(buf.subarray(0, nl).toString('utf8'));
  } catch {
    return 'the header is not JSON';
  }
  const h = snapshotHeader.check(raw);
  if (!h.ok) return `the header is not valid: ${h.errors.join('; ')}`;
  const header = h.value;
  if (header.kind !== k.kind || header.version !== k.version) return `a ${header.kind} snapshot of version ${header.version}, not ${k.kind} ${k.version}`;
  if (header.scope !== k.scope) return `the snapshot is of ${header.scope}, not ${k.scope}`;
  const body = buf.subarray(nl + 1);
  if (body.length !== header.bytes) return `the body has ${body.length} bytes, the header says ${header.bytes} (torn)`;
  if (createHash('sha256').update(body).digest('hex') !== header.sha256) return 'the checksum does not match (the file was altered or damaged)';
  const lines = body.toString('utf8').split('\n');
  lines.pop(); // after the last item's newline
  if (lines.length !== header.count) return `${lines.length} items, the header says ${header.count}`;
  const items: T[] = [];
  for (let i = 0; i < lines.length; i++) {
    let v: unknown;
    try {
      v = JSON.parse(lines[i]!);
    } catch {
      return `item ${i + 1} is not JSON`;
    }
    const c = item.check(v);
    if (!c.ok) return `item ${i + 1} is not valid: ${c.errors.join('; ')}`;
    items.push(c.value);
  }
  return { upTo: header.upTo, savedAt: header.savedAt, items, final: finalSha === header.sha256 };
}

export interface SnapshotScheduleOptions {
  file: string;
  kind: SnapshotKind;
  /** How often a snapshot is written; 0: only `save()` writes one. */
  everyMs: number;
  /** What to write, taken at one instant: `upTo` says what the items are complete up to. */
  capture: () => { upTo: number; items: readonly unknown[] };
  now?: () => number;
}

/**
 * Writes a snapshot every `everyMs` and once more at `stop()`; one write at a
 * time (a tick that finds one running is skipped). A failed write is logged
 * and the previous snapshot stays: the next start reads more from InfluxDB.
 */
export class SnapshotSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SnapshotWritten | null> | null = null;
  private stopped = false;
  /** The last write's figures (tests and the log read them). */
  last: SnapshotWritten | null = null;

  constructor(private readonly o: SnapshotScheduleOptions) {}

  start(): void {
    if (!this.o.everyMs || this.timer) return;
    this.timer = setInterval(() => {
      if (!this.running) void this.enqueue();
    }, this.o.everyMs);
    this.timer.unref();
  }

  /** Writes a snapshot now (after the one running, if any). */
  async save(): Promise<void> {
    await this.enqueue();
  }

  private enqueue(): Promise<SnapshotWritten | null> {
    // write() never rejects: a failure is logged there.
    const p = (this.running ?? Promise.resolve()).then(() => this.write());
    this.running = p;
    void p.then(() => {
      if (this.running === p) this.running = null;
    });
    return p;
  }

  /**
   * No more ticks; a last snapshot, marked final (see `Snapshot.final`): to be
   * called once every stage that changes what `capture` returns has stopped.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const last = await this.enqueue();
    if (!last) return;
    try {
      writeFileDurably(finalMarkOf(this.o.file), last.sha256);
    } catch (err) {
      log.error({ err, file: this.o.file }, 'could not mark the snapshot as written at a clean stop; the next start reads a little more from InfluxDB');
    }
  }

  private async write(): Promise<SnapshotWritten | null> {
    try {
      const { upTo, items } = this.o.capture();
      this.last = await writeSnapshotFile(this.o.file, this.o.kind, upTo, items, this.o.now);
      log.debug({ file: this.o.file, ...this.last }, 'snapshot written');
      return this.last;
    } catch (err) {
      log.error({ err, file: this.o.file }, 'snapshot not written; the previous one stays (the next start reads more from InfluxDB)');
      return null;
    }
  }
}
