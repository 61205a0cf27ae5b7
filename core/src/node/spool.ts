import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { fsyncDirectory } from './durable-file.js';
import { logger } from './logger.js';
import { encodeFrameInto, maxFrameBytes, readFrames, SEGMENT_MAGIC } from './spool-frame.js';

const log = logger('spool');

export interface SpoolOptions {
  /** fsync of the open segment this often (ms); 0 fsyncs every append before it returns. */
  fsyncMs: number;
  /** Bytes on disk at which the spool is full and refuses appends until it drains. */
  maxBytes: number;
  /** The open segment is closed and a new one begun at this size (at most a quarter of maxBytes). */
  segmentBytes: number;
  /** Which spool, in logs. */
  name?: string;
}

export interface SpoolRecord {
  seq: number;
  payload: string;
}

export interface SpoolBacklogStats {
  /** Bytes of the segment files on disk. */
  bytes: number;
  /** Records not yet confirmed. */
  records: number;
  segments: number;
  /** Append time of the oldest unconfirmed record (to within a second), null when none. */
  oldestAt: number | null;
  full: boolean;
  maxBytes: number;
}

export interface SpoolStats {
  appended: number;
  confirmed: number;
  /** Records found at open, not confirmed before the last stop: handed out again. */
  replayed: number;
  /** Torn or corrupt records cut off at open. */
  torn: number;
  truncatedBytes: number;
  /** Times the spool filled up. */
  timesFull: number;
  /** Records read back from disk (a replay, or what did not fit in the writer's memory). */
  readBack: number;
}

/** Thrown by `append` while the spool is full: the caller holds its input (and the broker keeps it). */
export class SpoolFullError extends Error {}

/** An open segment that is wholly confirmed is closed (and so deleted) once this old, so a restart replays little. */
const IDLE_ROTATE_MS = 60_000;
/** (seq, append time) is sampled at most this often per segment: the oldest record's age without a time per record in memory. */
const TIME_SAMPLE_MS = 1000;
/** Every this many records of a segment, its offset is kept (4 bytes a record / this, in memory). */
const OFFSET_SAMPLE = 64;
/** Bytes read at a time when a segment is scanned at open. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
/** Bytes read to skip frames when a read starts between sampled offsets (fewer than OFFSET_SAMPLE frames). */
const SEEK_CHUNK_BYTES = 64 * 1024;
const SEGMENT_NAME = /^(\d{12})\.seg$/;
const LOCK_FILE = 'spool.lock';

/** Staged frames are encoded into one buffer of this size (larger for a larger record); a full one is written at once. */
const STAGE_BYTES = 1024 * 1024;

/** Spool directories open in this process: a second open of one would interleave frames. */
const openDirs = new Set<string>();

interface Segment {
  id: number;
  file: string;
  /** Open for the active segment; opened on demand to read a closed one. */
  fd: number | null;
  firstSeq: number;
  count: number;
  pending: number;
  bytes: number;
  openedAt: number;
  /** Flat [seq, at, seq, at, …]; the first record is always sampled. */
  times: number[];
  lastSampleAt: number;
  /** Byte offset of every OFFSET_SAMPLE-th record (the first included): a read anywhere skips fewer than that many frames. */
  offsets: number[];
}

/** What the accounting was before the first staged frame: restored when writing them fails. */
interface StageMark {
  nextSeq: number;
  segBytes: number;
  count: number;
  segPending: number;
  timesLength: number;
  lastSampleAt: number;
  offsetsLength: number;
  bytes: number;
  pending: number;
  appended: number;
}

/**
 * A write-ahead log of records (the line-protocol lines of one message or one
 * alert change) in segment files under one directory. `append` writes a
 * record with one positional writeSync, so it survives a SIGKILL of the
 * process once it returns (the kernel has it); the open segment is fsync'd
 * every `fsyncMs`, so a power cut loses at most that window (`0`: every
 * append). Records are numbered in append order (`seq`, per run); once every
 * record of a segment is confirmed, the file is deleted. At open, segments are
 * scanned, a torn or corrupt record cuts the segment there (counted, logged),
 * and every record found is pending again: replayed to the consumer from
 * `read(firstPending)`. Bounded by `maxBytes`: when full, appends are refused
 * until a segment is deleted and `whenNotFull()` resolves.
 *
 * `stage` + `commit` group the records of one turn of the event loop into one
 * write: a staged record has its seq but is only in this process's memory
 * until `commit` (or anything that must see the file) writes them all; its
 * acknowledgement must wait for that commit. When the write fails, every
 * staged record is forgotten (seqs reused) and the next `commit` throws.
 */
export class Spool {
  readonly stats: SpoolStats = { appended: 0, confirmed: 0, replayed: 0, torn: 0, truncatedBytes: 0, timesFull: 0, readBack: 0 };
  private readonly segments: Segment[] = [];
  private active!: Segment;
  private nextSeq = 0;
  private low = 0;
  private readonly confirmedAhead = new Set<number>();
  private bytes = 0;
  private pending = 0;
  private dirty = false;
  private syncingFd: number | null = null;
  private syncAgain = false;
  private syncWaiters: (() => void)[] = [];
  private readonly closeAfterSync = new Set<number>();
  private readonly timer: NodeJS.Timeout;
  private fullSince: number | null = null;
  private notFull: { promise: Promise<void>; resolve: () => void } | null = null;
  private readPos: { seq: number; segment: Segment; offset: number } | null = null;
  private closed = false;
  private arena = Buffer.allocUnsafe(STAGE_BYTES);
  private stagedBytes = 0;
  private mark: StageMark | null = null;
  private stageError: Error | null = null;
  private readonly name: string;
  private readonly segmentBytes: number;

  private constructor(
    readonly dir: string,
    private readonly opts: SpoolOptions,
  ) {
    this.name = opts.name ?? path.basename(dir);
    this.segmentBytes = Math.max(4096, Math.min(opts.segmentBytes, Math.floor(opts.maxBytes / 4)));
    this.timer = setInterval(() => this.tick(), opts.fsyncMs > 0 ? opts.fsyncMs : 1000);
    this.timer.unref();
  }

  /** Opens (creating) the spool in `dir`: scans and repairs what an earlier run left, then starts a fresh segment. */
  static open(dir: string, opts: SpoolOptions): Spool {
    const abs = path.resolve(dir);
    mkdirSync(abs, { recursive: true });
    if (openDirs.has(abs)) throw new Error(`spool ${abs} is already open in this process`);
    takeLock(abs);
    openDirs.add(abs);
    const spool = new Spool(abs, opts);
    try {
      spool.scan();
      spool.active = spool.createSegment((spool.segments.at(-1)?.id ?? 0) + 1);
    } catch (err) {
      spool.close();
      throw err;
    }
    return spool;
  }

  /** Seq of the next record appended. */
  get end(): number {
    return this.nextSeq;
  }

  /** Seq of the oldest record not yet confirmed (`end` when none). */
  get firstPending(): number {
    return this.low;
  }

  get full(): boolean {
    return this.fullSince !== null;
  }

  /** Records not yet confirmed. */
  get pendingRecords(): number {
    return this.pending;
  }

  /** Resolves once the spool takes appends again (at once when it does). */
  whenNotFull(): Promise<void> {
    if (this.fullSince === null || this.closed) return Promise.resolve();
    if (!this.notFull) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.notFull = { promise, resolve };
    }
    return this.notFull.promise;
  }

  /**
   * Appends one record and returns its seq. Once this returns the record is in
   * the kernel (a process kill keeps it); on disk within `fsyncMs`. Throws
   * SpoolFullError when full, or the I/O error (nothing is kept then).
   */
  append(payload: string): number {
    const seq = this.stage(payload);
    this.commit();
    return seq;
  }

  /**
   * Takes one record into this turn's batch and returns its seq; a process
   * kill loses it until `commit` returns. Throws SpoolFullError when full, or
   * the I/O error of writing the batch (then the whole batch is forgotten).
   */
  stage(payload: string): number {
    if (this.closed) throw new Error(`spool ${this.name} is closed`);
    if (this.fullSince !== null) throw new SpoolFullError(`spool ${this.name} is full (${this.bytes} of ${this.opts.maxBytes} bytes)`);
    const now = Date.now();
    const room = maxFrameBytes(payload);
    if (this.stagedBytes + room > this.arena.length) {
      this.writeStaged();
      if (this.stageError) throw this.stageError;
      if (room > this.arena.length) this.arena = Buffer.allocUnsafe(room);
    }
    const seg = this.active;
    if (this.mark === null) {
      this.mark = {
        nextSeq: this.nextSeq,
        segBytes: seg.bytes,
        count: seg.count,
        segPending: seg.pending,
        timesLength: seg.times.length,
        lastSampleAt: seg.lastSampleAt,
        offsetsLength: seg.offsets.length,
        bytes: this.bytes,
        pending: this.pending,
        appended: this.stats.appended,
      };
    }
    const frameBytes = encodeFrameInto(payload, now, this.arena, this.stagedBytes);
    this.stagedBytes += frameBytes;
    if (seg.count % OFFSET_SAMPLE === 0) seg.offsets.push(seg.bytes);
    const seq = this.nextSeq++;
    if (seg.count === 0 || now - seg.lastSampleAt >= TIME_SAMPLE_MS) {
      seg.times.push(seq, now);
      seg.lastSampleAt = now;
    }
    seg.count++;
    seg.pending++;
    seg.bytes += frameBytes;
    this.bytes += frameBytes;
    this.pending++;
    this.stats.appended++;
    if (this.bytes >= this.opts.maxBytes || seg.bytes >= this.segmentBytes) {
      this.writeStaged();
      // Left for the batch's commit to throw too: none of the batch may be acknowledged.
      if (this.stageError) throw this.stageError;
      if (this.bytes >= this.opts.maxBytes) this.becomeFull(now);
      else if (seg.bytes >= this.segmentBytes) this.rotate();
    }
    return seq;
  }

  /**
   * Writes every staged record with one positional write: a process kill keeps
   * them once this returns. Throws the error of a failed write since the last
   * commit (those records are forgotten: not to be acknowledged).
   */
  commit(): void {
    this.writeStaged();
    const err = this.stageError;
    if (err) {
      this.stageError = null;
      throw err;
    }
  }

  /** Records staged and not yet written. */
  get stagedRecords(): number {
    return this.mark === null ? 0 : this.nextSeq - this.mark.nextSeq;
  }

  /** The record `seq` is in InfluxDB (or given up): its segment goes once all of its records have. Idempotent. */
  confirm(seq: number): void {
    if (this.closed || seq < this.low || seq >= this.nextSeq || this.confirmedAhead.has(seq)) return;
    if (seq === this.low) {
      this.low++;
      while (this.confirmedAhead.delete(this.low)) this.low++;
    } else {
      this.confirmedAhead.add(seq);
    }
    const seg = this.segmentOf(seq);
    seg.pending--;
    this.pending--;
    this.stats.confirmed++;
    if (seg.pending > 0) return;
    if (seg !== this.active) this.remove(seg);
    else if (Date.now() - seg.openedAt >= IDLE_ROTATE_MS) this.rotate();
  }

  /**
   * Records from `seq` on, in order, about `maxBytes` of them (at least one;
   * none past the end), from one segment. Reads are from the kernel's cache
   * or the disk; sequential reads continue where the last one stopped.
   */
  read(seq: number, maxBytes: number): SpoolRecord[] {
    this.writeStaged();
    if (this.closed || seq >= this.nextSeq || seq < 0) return [];
    const seg = this.segmentOf(seq);
    if (seq < seg.firstSeq || seq >= seg.firstSeq + seg.count) return [];
    const fd = seg.fd ?? (seg.fd = openSync(seg.file, 'r'));
    let offset: number;
    if (this.readPos?.seq === seq && this.readPos.segment === seg) offset = this.readPos.offset;
    else offset = this.seek(seg, fd, seq);
    const chunk = readFrames(fd, offset, seg.bytes, maxBytes);
    if (chunk.bad && chunk.frames.length === 0) {
      throw new Error(`spool ${this.name}: segment ${seg.file} unreadable at ${chunk.bad.offset} (${chunk.bad.detail})`);
    }
    const out = chunk.frames.map((f, i) => ({ seq: seq + i, payload: f.payload.toString('utf8') }));
    this.readPos = { seq: seq + out.length, segment: seg, offset: chunk.next };
    this.stats.readBack += out.length;
    return out;
  }

  backlog(): SpoolBacklogStats {
    return {
      bytes: this.bytes,
      records: this.pending,
      segments: this.segments.length,
      oldestAt: this.oldestAt(),
      full: this.fullSince !== null,
      maxBytes: this.opts.maxBytes,
    };
  }

  /** Resolves once everything appended so far is on disk (fsync'd): what a power cut keeps. */
  sync(): Promise<void> {
    this.writeStaged();
    if (this.closed || (!this.dirty && this.syncingFd === null)) return Promise.resolve();
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve);
      this.startSync();
    });
  }

  /** fsyncs and closes every file; what is not confirmed stays for the next open. */
  close(): void {
    if (this.closed) return;
    this.writeStaged();
    this.closed = true;
    clearInterval(this.timer);
    const active = this.segments.includes(this.active) ? this.active : null;
    if (active?.fd != null && this.dirty) {
      try {
        fdatasyncSync(active.fd);
      } catch (err) {
        log.error({ err, spool: this.name }, 'spool: fsync at close failed');
      }
    }
    this.dirty = false;
    for (const seg of this.segments) {
      if (seg.fd !== null) this.closeFd(seg.fd);
      seg.fd = null;
    }
    // Wholly written (a clean stop with InfluxDB up): nothing in it for the next start to replay.
    if (active && active.pending === 0) this.remove(active);
    this.notFull?.resolve();
    this.notFull = null;
    if (this.syncingFd === null) for (const w of this.syncWaiters.splice(0)) w();
    try {
      unlinkSync(path.join(this.dir, LOCK_FILE));
    } catch {
      /* gone already */
    }
    openDirs.delete(this.dir);
  }

  private scan(): void {
    const names = readdirSync(this.dir)
      .filter((n) => SEGMENT_NAME.test(n))
      .sort();
    for (const name of names) {
      const file = path.join(this.dir, name);
      const seg = this.scanSegment(file, Number(SEGMENT_NAME.exec(name)![1]));
      if (seg) {
        this.segments.push(seg);
        this.bytes += seg.bytes;
        this.pending += seg.count;
        this.nextSeq += seg.count;
      }
    }
    this.stats.replayed = this.pending;
    if (this.pending > 0) {
      log.info(
        { spool: this.name, records: this.pending, bytes: this.bytes, segments: this.segments.length },
        'spool: records from before the last stop, to be written again',
      );
    }
    if (this.bytes >= this.opts.maxBytes) this.becomeFull(Date.now());
  }

  /** One segment left by an earlier run: its records counted and sampled, a bad tail cut off. Null when nothing is left of it. */
  private scanSegment(file: string, id: number): Segment | null {
    const fd = openSync(file, 'r+');
    let seg: Segment | null = null;
    let badHeader = false;
    try {
      let size = fstatSync(fd).size;
      const head = Buffer.alloc(SEGMENT_MAGIC.length);
      // Shorter than its header: killed while the segment was being created, nothing in it.
      if (size < head.length || readSync(fd, head, 0, head.length, 0) < head.length) return null;
      if (!head.equals(SEGMENT_MAGIC)) {
        badHeader = true;
        return null;
      }
      const s: Segment = {
        id,
        file,
        fd: null,
        firstSeq: this.nextSeq,
        count: 0,
        pending: 0,
        bytes: 0,
        openedAt: Date.now(),
        times: [],
        lastSampleAt: -Infinity,
        offsets: [],
      };
      let pos = SEGMENT_MAGIC.length;
      for (;;) {
        const c = readFrames(fd, pos, size, SCAN_CHUNK_BYTES);
        for (const f of c.frames) {
          if (s.count % OFFSET_SAMPLE === 0) s.offsets.push(f.offset);
          if (s.count === 0 || f.at - s.lastSampleAt >= TIME_SAMPLE_MS) {
            s.times.push(s.firstSeq + s.count, f.at);
            s.lastSampleAt = f.at;
          }
          s.count++;
        }
        pos = c.next;
        if (c.bad) {
          const cut = size - pos;
          ftruncateSync(fd, pos);
          fdatasyncSync(fd);
          this.stats.torn++;
          this.stats.truncatedBytes += cut;
          log.warn(
            { spool: this.name, file, offset: pos, reason: c.bad.reason, detail: c.bad.detail, bytesCut: cut, recordsKept: s.count },
            `spool: cut a ${c.bad.reason} record off the segment (what came before it is kept)`,
          );
          size = pos;
          break;
        }
        if (pos >= size) break;
      }
      if (s.count === 0) return null;
      s.pending = s.count;
      s.bytes = size;
      seg = s;
      return seg;
    } finally {
      closeSync(fd);
      if (badHeader) {
        renameSync(file, `${file}.bad`);
        log.error({ spool: this.name, file }, 'spool: not a segment file (bad header); set aside as .bad');
      } else if (!seg) {
        unlinkSync(file);
      }
    }
  }

  private createSegment(id: number): Segment {
    const file = path.join(this.dir, `${String(id).padStart(12, '0')}.seg`);
    const fd = openSync(file, 'wx+', 0o600);
    writeSync(fd, SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
    fdatasyncSync(fd);
    // The new file's name is durable too, or a power cut could lose the whole segment.
    fsyncDirectory(this.dir);
    const seg: Segment = {
      id,
      file,
      fd,
      firstSeq: this.nextSeq,
      count: 0,
      pending: 0,
      bytes: SEGMENT_MAGIC.length,
      openedAt: Date.now(),
      times: [],
      lastSampleAt: -Infinity,
      offsets: [],
    };
    this.segments.push(seg);
    this.bytes += seg.bytes;
    return seg;
  }

  /** Closes the open segment (on disk before it is closed) and begins the next; a wholly confirmed one goes at once. */
  private rotate(): void {
    this.writeStaged();
    const old = this.active;
    if (old.count === 0) return;
    fdatasyncSync(old.fd!);
    this.dirty = false;
    this.closeFd(old.fd!);
    old.fd = null;
    this.active = this.createSegment(old.id + 1);
    if (old.pending === 0) this.remove(old);
  }

  private remove(seg: Segment): void {
    const i = this.segments.indexOf(seg);
    if (i < 0) return;
    this.segments.splice(i, 1);
    if (seg.fd !== null) this.closeFd(seg.fd);
    seg.fd = null;
    if (this.readPos?.segment === seg) this.readPos = null;
    try {
      unlinkSync(seg.file);
    } catch (err) {
      log.error({ err, spool: this.name, file: seg.file }, 'spool: could not delete a written segment (it will be replayed)');
    }
    this.bytes -= seg.bytes;
    if (this.fullSince !== null && this.bytes + this.segmentBytes <= this.opts.maxBytes) {
      log.info({ spool: this.name, bytes: this.bytes, fullForS: Math.round((Date.now() - this.fullSince) / 1000) }, 'spool: room again; taking messages');
      this.fullSince = null;
      this.notFull?.resolve();
      this.notFull = null;
    }
  }

  private becomeFull(now: number): void {
    this.fullSince = now;
    this.stats.timesFull++;
    log.error(
      { spool: this.name, bytes: this.bytes, maxBytes: this.opts.maxBytes, records: this.pending },
      'spool: full; holding acknowledgements (the broker keeps the messages) until InfluxDB takes the backlog',
    );
    // The open segment could never be deleted while open: close it now so it goes once written.
    if (!this.closed && this.segments.includes(this.active)) this.rotate();
  }

  private tick(): void {
    if (this.opts.fsyncMs > 0 && this.dirty) this.startSync();
    const a = this.active;
    if (a && a.count > 0 && a.pending === 0 && Date.now() - a.openedAt >= IDLE_ROTATE_MS) this.rotate();
  }

  /** One fdatasync at a time, off the event loop; callers waiting for a later one get it next. */
  private startSync(): void {
    this.writeStaged();
    if (this.syncingFd !== null) {
      this.syncAgain = true;
      return;
    }
    if (!this.dirty || this.closed) {
      for (const w of this.syncWaiters.splice(0)) w();
      return;
    }
    const fd = this.active.fd!;
    const waiters = this.syncWaiters.splice(0);
    this.dirty = false;
    this.syncingFd = fd;
    fdatasync(fd, (err) => {
      this.syncingFd = null;
      if (err) log.error({ err, spool: this.name }, 'spool: fsync failed');
      // Closed while the fsync ran: the number may not be reused before it finishes.
      if (this.closeAfterSync.delete(fd)) closeSync(fd);
      for (const w of waiters) w();
      if (this.syncAgain || this.syncWaiters.length > 0) {
        this.syncAgain = false;
        this.startSync();
      }
    });
  }

  /** The staged frames to the open segment, in one writev; on failure they are forgotten and `stageError` says why. */
  private writeStaged(): void {
    const mark = this.mark;
    if (mark === null || this.closed) return;
    const seg = this.active;
    const bytes = this.stagedBytes;
    const records = this.nextSeq - mark.nextSeq;
    this.stagedBytes = 0;
    this.mark = null;
    try {
      // A short write (rare) goes on from where it stopped.
      for (let off = 0; off < bytes;) off += writeSync(seg.fd!, this.arena, off, bytes - off, mark.segBytes + off);
      if (this.opts.fsyncMs === 0) fdatasyncSync(seg.fd!);
      else this.dirty = true;
    } catch (err) {
      // The bytes past mark.segBytes are garbage now; the next write overwrites them (and a scan cuts them).
      seg.bytes = mark.segBytes;
      seg.count = mark.count;
      seg.pending = mark.segPending;
      seg.times.length = mark.timesLength;
      seg.lastSampleAt = mark.lastSampleAt;
      seg.offsets.length = mark.offsetsLength;
      this.nextSeq = mark.nextSeq;
      this.bytes = mark.bytes;
      this.pending = mark.pending;
      this.stats.appended = mark.appended;
      this.stageError = err as Error;
      log.error({ err, spool: this.name, records }, 'spool: could not write staged records; they are not kept');
    }
  }

  private closeFd(fd: number): void {
    if (this.syncingFd === fd) this.closeAfterSync.add(fd);
    else closeSync(fd);
  }

  private segmentOf(seq: number): Segment {
    const s = this.segments;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]!.firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    return s[lo]!;
  }

  /** Byte offset of record `seq` in its segment: from the nearest sampled offset, skipping the frames between. */
  private seek(seg: Segment, fd: number, seq: number): number {
    const i = Math.floor((seq - seg.firstSeq) / OFFSET_SAMPLE);
    let offset = seg.offsets[i] ?? SEGMENT_MAGIC.length;
    let at = seg.offsets[i] === undefined ? seg.firstSeq : seg.firstSeq + i * OFFSET_SAMPLE;
    while (at < seq) {
      const c = readFrames(fd, offset, seg.bytes, SEEK_CHUNK_BYTES);
      if (c.frames.length === 0) throw new Error(`spool ${this.name}: record ${seq} not found in ${seg.file}`);
      const take = Math.min(c.frames.length, seq - at);
      at += take;
      offset = take === c.frames.length ? c.next : c.frames[take]!.offset;
    }
    return offset;
  }

  private oldestAt(): number | null {
    if (this.pending === 0) return null;
    const seg = this.segmentOf(this.low);
    const t = seg.times;
    let at = t[1] ?? null;
    for (let i = 0; i < t.length && t[i]! <= this.low; i += 2) at = t[i + 1]!;
    return at;
  }
}

/** One process per spool directory: a live owner's lock is refused, a dead one's (a killed run) taken over. */
function takeLock(dir: string): void {
  const file = path.join(dir, LOCK_FILE);
  try {
    const owner = Number(readFileSync(file, 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new Error(`spool ${dir} is in use by process ${owner} (another Lifeline on the same DATA_DIR?)`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(file, String(process.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
