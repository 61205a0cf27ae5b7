import type { SpoolBacklog } from '../schemas/api.js';
import { InfluxWriter, type WriterOptions } from './influx-writer.js';
import { logger } from './logger.js';
import { SpoolFullError, type Spool, type SpoolRecord } from './spool.js';

const log = logger('spooled-writer');

/** Bytes read back from the spool at a time while the writer catches up. */
const READ_CHUNK_BYTES = 256 * 1024;
/** The write rate is averaged over this many seconds. */
const RATE_WINDOW_S = 10;

/**
 * The durable path to InfluxDB: every record (the lines of one message or one
 * alert change) goes to the spool first, then to an InfluxWriter; the spool
 * lets it go once the writer says every line of it is written (or refused as
 * bad data). The writer's memory holds at most `maxBuffered` lines of them:
 * what does not fit waits on disk and is read back, in order, as the writer
 * drains; so is everything a crashed run left (the replay, `start`).
 */
export class SpooledWriter {
  readonly writer: InfluxWriter;
  /** Next seq not yet handed to the writer: [fed, spool.end) is on disk only. */
  private fed: number;
  private ahead: SpoolRecord[] = [];
  /** This turn's batch, flat: seq, lines, seq, lines, … */
  private staged: (number | string[])[] = [];
  private aheadAt = 0;
  private refilling = false;
  private stopped = false;
  private readonly rate = new RateMeter(RATE_WINDOW_S);
  private settleWaiters: (() => void)[] = [];
  private readonly name: string;

  constructor(
    readonly spool: Spool,
    private readonly opts: WriterOptions & { name?: string },
  ) {
    this.name = opts.name ?? 'spool';
    this.writer = new InfluxWriter({ ...opts, onRecordsDone: (seqs) => this.done(seqs) });
    this.fed = spool.firstPending;
  }

  /** Hands the writer what the spool holds from an earlier run (the replay), then keeps it fed. */
  start(): void {
    if (this.spool.end > this.fed) log.info({ spool: this.name, records: this.spool.end - this.fed }, 'replaying the spool to InfluxDB');
    this.refill();
  }

  get full(): boolean {
    return this.spool.full;
  }

  whenNotFull(): Promise<void> {
    return this.spool.whenNotFull();
  }

  /**
   * One record: in the spool when this returns (a process kill keeps it),
   * then written. Throws SpoolFullError when the spool is full, or the I/O
   * error: then nothing was kept and the caller must not acknowledge.
   */
  append(lines: string[]): void {
    this.stage(lines);
    this.commit();
  }

  /**
   * One record into this turn's batch: kept by a process kill only once
   * `commit` returns, so its acknowledgement waits for that. Throws as
   * `append` does (an I/O error: the whole batch is lost and `commit` throws too).
   */
  stage(lines: string[]): void {
    let seq: number;
    try {
      seq = this.spool.stage(lines.length === 1 ? lines[0]! : lines.join('\n'));
    } catch (err) {
      if (!(err instanceof SpoolFullError)) this.staged = [];
      throw err;
    }
    this.staged.push(seq, lines);
  }

  /** Writes the batch (one write) and hands it to the writer; throws when the batch could not be kept. */
  commit(): void {
    const staged = this.staged;
    this.staged = [];
    this.spool.commit();
    for (let i = 0; i < staged.length; i += 2) {
      const seq = staged[i] as number;
      const lines = staged[i + 1] as string[];
      // A read of the spool may have written and handed out the batch already (seq < fed).
      if (seq === this.fed && this.hasRoom(lines.length)) {
        this.fed++;
        this.writer.writeRecord(seq, lines);
      }
    }
  }

  /** Resolves true once every record so far is written (or given up), false after `timeoutMs`. */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.spool.pendingRecords === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.settleWaiters = this.settleWaiters.filter((w) => w !== ok);
        resolve(false);
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve(true);
      };
      this.settleWaiters.push(ok);
    });
  }

  /** What waits for InfluxDB, how fast it goes and how long it will take. */
  backlog(): SpoolBacklog {
    const b = this.spool.backlog();
    const perS = this.rate.perSecond();
    return {
      bytes: b.bytes,
      records: b.records,
      segments: b.segments,
      oldestAgeS: b.oldestAt === null ? null : Math.max(0, Math.round((Date.now() - b.oldestAt) / 1000)),
      full: b.full,
      maxBytes: b.maxBytes,
      inMemoryLines: this.writer.heldLines,
      writeRatePerS: Math.round(perS),
      // While InfluxDB fails nothing drains, whatever the last seconds' average says.
      drainEtaS: b.records === 0 ? 0 : perS > 0 && this.writer.healthy ? Math.ceil(b.records / perS) : null,
      replayed: this.spool.stats.replayed,
      torn: this.spool.stats.torn,
    };
  }

  /**
   * Writes what it can within `timeoutMs`, then stops: what is left stays in
   * the spool (fsync'd) and is written at the next start. Bounded, so a
   * SIGTERM while InfluxDB is down ends.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    await this.writer.close(timeoutMs);
    this.stopped = true;
    const left = this.spool.backlog();
    this.spool.close();
    if (left.records > 0) {
      log.warn(
        { spool: this.name, records: left.records, bytes: left.bytes, dir: this.spool.dir },
        'stopped with records not yet in InfluxDB: they stay in the spool and are written at the next start',
      );
    }
  }

  private hasRoom(lines: number): boolean {
    const held = this.writer.heldLines;
    return held === 0 || held + lines <= this.opts.maxBuffered;
  }

  private done(seqs: number[]): void {
    for (const s of seqs) this.spool.confirm(s);
    this.rate.add(seqs.length);
    if (this.settleWaiters.length > 0 && this.spool.pendingRecords === 0) for (const w of this.settleWaiters.splice(0)) w();
    this.refill();
  }

  /** Reads back from the spool what no longer waits in memory, as far as the writer has room. */
  private refill(): void {
    if (this.refilling || this.stopped || this.writer.isClosed) return;
    this.refilling = true;
    try {
      // Records staged in this turn are handed over by their commit: read back now, they would be decoded and checked twice.
      const end = this.staged.length > 0 ? (this.staged[0] as number) : this.spool.end;
      while (this.fed < end) {
        // What was read ahead may have been handed over since by a commit (records of a turn the read took along).
        if (this.aheadAt < this.ahead.length && this.ahead[this.aheadAt]!.seq !== this.fed) this.ahead = [];
        if (this.aheadAt >= this.ahead.length) {
          this.ahead = this.spool.read(this.fed, READ_CHUNK_BYTES);
          this.aheadAt = 0;
          if (this.ahead.length === 0) break;
        }
        const r = this.ahead[this.aheadAt]!;
        const lines = r.payload.split('\n');
        if (!this.hasRoom(lines.length)) break;
        this.aheadAt++;
        this.fed++;
        this.writer.writeRecord(r.seq, lines);
      }
    } catch (err) {
      log.error({ err, spool: this.name, seq: this.fed }, 'cannot read the spool back; retried when the next batch is written');
    } finally {
      this.refilling = false;
    }
  }
}

/** Events per second over the last `windowS` seconds, in one-second buckets. */
class RateMeter {
  private readonly buckets: Float64Array;
  private second = Math.floor(Date.now() / 1000);
  private readonly since = Date.now();

  constructor(private readonly windowS: number) {
    this.buckets = new Float64Array(windowS);
  }

  add(n: number): void {
    this.roll();
    this.buckets[this.second % this.windowS]! += n;
  }

  perSecond(): number {
    this.roll();
    let sum = 0;
    for (const b of this.buckets) sum += b;
    const span = Math.min(this.windowS, Math.max(1, (Date.now() - this.since) / 1000));
    return sum / span;
  }

  private roll(): void {
    const s = Math.floor(Date.now() / 1000);
    if (s - this.second >= this.windowS) this.buckets.fill(0);
    else for (let t = this.second + 1; t <= s; t++) this.buckets[t % this.windowS] = 0;
    this.second = s;
  }
}
