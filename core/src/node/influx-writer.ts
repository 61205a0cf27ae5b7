import { backoff } from './backoff.js';
import { ensureDatabase, influxHeaders, type InfluxTarget } from './influx-client.js';
import { bodyOf, LineBatch, linesOf } from './line-batch.js';
import { logger } from './logger.js';

const log = logger('influx-writer');

/** Spread of the retry delays, so that writers failing together do not retry together. */
const RETRY_JITTER = 0.2;
/** InfluxDB refusing new series for its cardinality limits: a configuration error, not bad data. */
const CARDINALITY = /max-values-per-tag limit exceeded|max-series-per-database limit exceeded/;
/** A cardinality refusal is logged at most this often, with the count since the last line. */
const CARDINALITY_LOG_MS = 60_000;
/** Series refused for cardinality are remembered (and their lines refused without a request) this long, then tried again. */
const REFUSED_SERIES_MS = 60_000;
/** Series remembered as refused at most; past it the oldest are forgotten (and tried again). */
const REFUSED_SERIES_MAX = 100_000;

export interface WriterOptions extends InfluxTarget {
  batchSize: number;
  flushMs: number;
  /**
   * Lines held (queued and awaiting retry) before the oldest plain lines are
   * dropped. Lines of records (`writeRecord`) are never dropped: their feeder
   * (the spool) keeps them within this bound and the rest on disk.
   */
  maxBuffered: number;
  concurrency: number;
  minRetryMs?: number;
  maxRetryMs?: number;
  requestTimeoutMs?: number;
  /**
   * Told after each batch is done with (its lines out of memory), with the
   * records (`writeRecord`) whose every line InfluxDB has now taken or refused
   * as bad data; possibly none.
   */
  onRecordsDone?: (seqs: number[]) => void;
}

/** Told of each line InfluxDB refused (a 4xx for that line alone, or its series over the cardinality limits), with why. */
export type RefusedListener = (line: string, reason: string, cardinality: boolean) => void;

export interface WriterStats {
  written: number;
  /** Lines InfluxDB refused with a 4xx: bad data, never retried. */
  rejected: number;
  /** Of `rejected`, the lines refused for InfluxDB's cardinality limits (max-values-per-tag, max-series-per-database). */
  refusedCardinality: number;
  /** The last cardinality refusal (its text and when): a configuration error an operator must fix. */
  cardinalityError: { message: string; at: number } | null;
  /** Plain lines (`write`) dropped because the buffer was full; never lines of a record. */
  dropped: number;
  buffered: number;
  retries: number;
  lastError: string | null;
  lastWriteAt: number | null;
}

class RetryableError extends Error {}

/** A record's lines may span batches (and halves of a refused batch): it is done when its last part is. */
interface RecordToken {
  seq: number;
  parts: number;
}

/** A record wholly in one batch (nearly all: one message, one line) is its bare seq, not an object per message. */
type RecordRef = number | RecordToken;

interface Batch {
  /** The request body: UTF-8 lines, new-line separated. */
  body: Buffer;
  lines: number;
  records: RecordRef[];
}

/** A batch's first room (it doubles as lines come): what a timer-sealed batch of a quiet district needs, a few copies short of a full one. */
const BATCH_START_BYTES = 64 * 1024;

/**
 * Batches line-protocol lines and writes them to InfluxDB's v1 `/write`:
 * flushed when a batch fills or `flushMs` after its first line, at most
 * `concurrency` requests at once. Network errors, 429 and 5xx are retried with
 * exponential backoff (InfluxDB 1.6 answers 500 under write floods while keeping
 * the points); a 4xx is bad data: the batch is halved until the bad lines stand
 * alone, and only they are dropped and counted. Lines come plain (`write`)
 * or as records (`writeRecord`, from the spool), whose completion is
 * reported so the spool can let them go. When the buffer is full the oldest
 * plain batch is dropped and counted, so memory stays bounded.
 */
export class InfluxWriter {
  private current: LineBatch;
  private currentRecords: RecordRef[] = [];
  private readonly queue: Batch[] = [];
  private queuedLines = 0;
  private inFlight = 0;
  private inFlightLines = 0;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private attempts = 0;
  private closed = false;
  /** Aborts the requests still in flight at close: nothing is sent, or waited for, after it (their lines stay in the spool). */
  private readonly closing = new AbortController();
  private idleWaiters: (() => void)[] = [];
  /** `whenBelow` callers by threshold: one promise per threshold however many wait on it. */
  private readonly belowWaiters = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  /** Series InfluxDB refused for cardinality, by series key, with when: their lines are refused at once until then + REFUSED_SERIES_MS. */
  private readonly refusedSeries = new Map<string, number>();
  private cardinalityLoggedAt = 0;
  private cardinalityUnlogged = 0;
  private refusedListener: RefusedListener | null = null;
  private readonly writeUrl: string;
  private readonly headers: Record<string, string>;
  readonly stats: WriterStats = {
    written: 0,
    rejected: 0,
    refusedCardinality: 0,
    cardinalityError: null,
    dropped: 0,
    buffered: 0,
    retries: 0,
    lastError: null,
    lastWriteAt: null,
  };

  constructor(private readonly opts: WriterOptions) {
    this.current = this.newBatch();
    this.writeUrl = `${opts.url}/write?db=${encodeURIComponent(opts.db)}&precision=ms`;
    this.headers = influxHeaders(opts, { 'content-type': 'text/plain; charset=utf-8' });
  }

  write(line: string): void {
    if (this.closed) throw new Error('InfluxWriter is closed');
    this.current.add(line);
    if (this.current.count >= this.opts.batchSize) this.seal();
    else if (!this.timer) this.timer = setTimeout(() => this.seal(), this.opts.flushMs);
  }

  /**
   * The lines of one record (one message, one alert change); `onRecordsDone`
   * hears `seq` once every line of it is written or refused as bad data.
   */
  writeRecord(seq: number, lines: string[]): void {
    if (this.closed) throw new Error('InfluxWriter is closed');
    if (lines.length === 0) {
      this.opts.onRecordsDone?.([seq]);
      return;
    }
    if (this.current.count + lines.length < this.opts.batchSize) {
      this.currentRecords.push(seq);
      for (const l of lines) this.current.add(l);
      if (!this.timer) this.timer = setTimeout(() => this.seal(), this.opts.flushMs);
      return;
    }
    const token: RecordToken = { seq, parts: 0 };
    let i = 0;
    while (i < lines.length) {
      token.parts++;
      this.currentRecords.push(token);
      while (i < lines.length && this.current.count < this.opts.batchSize) this.current.add(lines[i++]!);
      if (this.current.count >= this.opts.batchSize) this.seal();
    }
    if (this.current.count > 0 && !this.timer) this.timer = setTimeout(() => this.seal(), this.opts.flushMs);
  }

  /** Lines in memory: pending, queued, awaiting retry or being sent. */
  get heldLines(): number {
    return this.current.count + this.queuedLines + this.inFlightLines;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True when nothing is waiting and InfluxDB accepted the last write. */
  get healthy(): boolean {
    return this.attempts === 0;
  }

  /** Seals what is pending into a batch and starts writing it now. */
  flush(): void {
    this.seal();
  }

  /** Resolves once everything buffered so far has been written or given up. */
  async drain(timeoutMs = 30_000): Promise<void> {
    this.seal();
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        log.warn({ buffered: this.stats.buffered }, 'drain timed out with lines still buffered');
        resolve();
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /**
   * Resolves once fewer than `lines` are buffered (waiting to be sent or
   * retried), from the writer's own drain path: the way to hold a producer at
   * a high-water mark and let it go at a low one without polling. Also
   * resolves at `close()`, since nothing drains after it.
   */
  whenBelow(lines: number): Promise<void> {
    if (this.closed || this.stats.buffered < lines) return Promise.resolve();
    let w = this.belowWaiters.get(lines);
    if (!w) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.belowWaiters.set(lines, (w = { promise, resolve }));
    }
    return w.promise;
  }

  async close(timeoutMs = 30_000): Promise<void> {
    await this.drain(timeoutMs);
    this.closed = true;
    this.closing.abort();
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of this.belowWaiters.values()) w.resolve();
    this.belowWaiters.clear();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.current.count === 0 && this.inFlight === 0;
  }

  private seal(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.current.count > 0) {
      this.queue.push({ body: this.current.seal(), lines: this.current.count, records: this.currentRecords });
      this.queuedLines += this.current.count;
      this.current = this.newBatch();
      this.currentRecords = [];
      this.enforceBound();
    }
    this.pump();
  }

  private enforceBound(): void {
    while (this.queuedLines > this.opts.maxBuffered && this.queue.length > 1) {
      // Only plain lines: a record's lines are also in the spool, which keeps them within the bound.
      const i = this.queue.findIndex((b) => b.records.length === 0);
      if (i < 0) break;
      const [oldest] = this.queue.splice(i, 1);
      this.queuedLines -= oldest!.lines;
      this.stats.dropped += oldest!.lines;
      log.error({ lines: oldest!.lines, dropped: this.stats.dropped }, 'write buffer full: dropped the oldest batch');
    }
    this.setBuffered();
  }

  private setBuffered(): void {
    this.stats.buffered = this.queuedLines;
    if (this.belowWaiters.size === 0) return;
    for (const [lines, w] of this.belowWaiters) {
      if (this.queuedLines >= lines) continue;
      this.belowWaiters.delete(lines);
      w.resolve();
    }
  }

  private pump(): void {
    // Nothing is sent after close(): what is left of records stays in their spool for the next start.
    if (this.closed) return;
    const wait = this.retryAt - Date.now();
    if (wait > 0) {
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.pump();
        }, wait);
      }
      return;
    }
    while (this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const batch = this.queue.shift()!;
      this.queuedLines -= batch.lines;
      this.setBuffered();
      this.inFlight++;
      // Counted as sent: send() may leave out lines of refused series.
      const n = batch.lines;
      this.inFlightLines += n;
      void this.send(batch).then((done) => {
        this.inFlight--;
        this.inFlightLines -= n;
        // Told after the lines left memory, so a feeder waiting for room finds it.
        if (done) this.finished(batch);
        this.pump();
        if (this.isIdle()) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  /** True once the batch is done with: written, or its one line refused as bad data. */
  private async send(batch: Batch): Promise<boolean> {
    if (this.refusedSeries.size) {
      const kept = this.withoutRefusedSeries(linesOf(batch.body));
      if (kept.length < batch.lines) [batch.body, batch.lines] = [bodyOf(kept), kept.length];
      if (!batch.lines) return true;
    }
    try {
      await this.post(batch.body);
      this.stats.written += batch.lines;
      this.stats.lastWriteAt = Date.now();
      this.attempts = 0;
      this.retryAt = 0;
      return true;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.stats.lastError = message;
      if (err instanceof RetryableError || !(err instanceof HttpRefusal)) {
        this.attempts++;
        this.stats.retries++;
        this.retryAt =
          Date.now() + backoff(this.attempts, { baseMs: this.opts.minRetryMs ?? 200, maxMs: this.opts.maxRetryMs ?? 10_000, jitter: RETRY_JITTER });
        // Back at the front so order is kept; the bound still applies.
        this.queue.unshift(batch);
        this.queuedLines += batch.lines;
        this.enforceBound();
        if (this.attempts === 1 || this.attempts % 10 === 0) {
          log.warn({ err: message, attempts: this.attempts, buffered: this.queuedLines }, 'InfluxDB write failed; retrying');
        }
      } else if (batch.lines > 1) {
        // Bad line(s) somewhere in the batch: halve it until each bad line stands alone. Rewriting
        // points InfluxDB already kept from a partial write overwrites them with the same values.
        // Each record of the batch is in both halves as far as we know: one part becomes two.
        batch.records = batch.records.map((t) => {
          if (typeof t === 'number') return { seq: t, parts: 2 };
          t.parts++;
          return t;
        });
        const lines = linesOf(batch.body);
        const mid = Math.ceil(lines.length / 2);
        this.queue.unshift(
          { body: bodyOf(lines.slice(0, mid)), lines: mid, records: batch.records },
          { body: bodyOf(lines.slice(mid)), lines: lines.length - mid, records: batch.records },
        );
        this.queuedLines += lines.length;
        this.setBuffered();
      } else if (CARDINALITY.test(message)) {
        this.refusedForCardinality(batch.body.toString('utf8'), message);
        return true;
      } else {
        const line = batch.body.toString('utf8');
        this.stats.rejected++;
        log.error({ err: message, line: line.slice(0, 200) }, 'InfluxDB refused a line (not retried)');
        this.tellRefused(line, message, false);
        // Bad data is given up, not retried forever: its record is done (the line is in the log above).
        return true;
      }
      return false;
    }
  }

  /**
   * A line whose series InfluxDB will not create until its configuration
   * changes: counted, handed to the owner (dead letters), logged once a
   * minute with the count, and its series' next lines refused without a
   * request for a while (then tried again, in case the limit was raised).
   */
  private refusedForCardinality(line: string, message: string, known = false): void {
    const now = Date.now();
    this.stats.rejected++;
    this.stats.refusedCardinality++;
    this.stats.cardinalityError = { message, at: now };
    if (!known) {
      if (this.refusedSeries.size >= REFUSED_SERIES_MAX) this.refusedSeries.delete(this.refusedSeries.keys().next().value!);
      this.refusedSeries.set(seriesOfLine(line), now + REFUSED_SERIES_MS);
    }
    this.cardinalityUnlogged++;
    if (now - this.cardinalityLoggedAt >= CARDINALITY_LOG_MS) {
      log.error(
        { err: message, refused: this.cardinalityUnlogged, total: this.stats.refusedCardinality },
        'InfluxDB refuses new series: its cardinality limits are reached (a configuration error: set max-values-per-tag = 0 and max-series-per-database = 0, see the README). The refused points are dead-lettered; this is logged once a minute',
      );
      this.cardinalityLoggedAt = now;
      this.cardinalityUnlogged = 0;
    }
    this.tellRefused(line, message, true);
  }

  /** The lines whose series is not (or no longer) remembered as refused; the others are refused here. */
  private withoutRefusedSeries(lines: string[]): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const l of lines) {
      const key = seriesOfLine(l);
      const until = this.refusedSeries.get(key);
      if (until === undefined) out.push(l);
      else if (until < now) {
        this.refusedSeries.delete(key);
        out.push(l);
      } else this.refusedForCardinality(l, this.stats.cardinalityError?.message ?? 'refused for cardinality', true);
    }
    return out;
  }

  /** Who hears of refused lines: the owner of the dead letters (ingest). */
  onRefused(listener: RefusedListener): void {
    this.refusedListener = listener;
  }

  private tellRefused(line: string, reason: string, cardinality: boolean): void {
    try {
      this.refusedListener?.(line, reason, cardinality);
    } catch (err) {
      log.error({ err }, 'refused-line listener failed');
    }
  }

  private finished(batch: Batch): void {
    if (!this.opts.onRecordsDone) return;
    const done: number[] = [];
    for (const t of batch.records) {
      if (typeof t === 'number') done.push(t);
      else if (--t.parts === 0) done.push(t.seq);
    }
    try {
      this.opts.onRecordsDone(done);
    } catch (err) {
      log.error({ err }, 'records-done listener failed');
    }
  }

  private newBatch(): LineBatch {
    return new LineBatch(BATCH_START_BYTES);
  }

  private async post(body: Buffer): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.writeUrl, {
        method: 'POST',
        // A Buffer's memory is a plain ArrayBuffer here (allocUnsafe / from), never a shared one.
        body: body as Uint8Array<ArrayBuffer>,
        headers: this.headers,
        signal: AbortSignal.any([AbortSignal.timeout(this.opts.requestTimeoutMs ?? 15_000), this.closing.signal]),
      });
    } catch (err) {
      throw new RetryableError(`InfluxDB unreachable: ${(err as Error).message}`);
    }
    if (res.status === 204 || res.ok) {
      await res.arrayBuffer();
      return;
    }
    const text = (await res.text()).slice(0, 500);
    if (res.status === 429 || res.status >= 500) throw new RetryableError(`InfluxDB ${res.status}: ${text}`);
    // Wrong or missing credentials are a configuration error, not bad data: hold the lines and retry until fixed.
    if (res.status === 401 || res.status === 403) throw new RetryableError(`InfluxDB ${res.status}: ${text} (check INFLUX_USERNAME/INFLUX_PASSWORD)`);
    if (res.status === 404 && text.includes('database not found')) {
      // An InfluxDB restarted on empty storage: not bad data. Create the database and retry.
      await ensureDatabase(this.opts).catch(() => undefined);
      throw new RetryableError(`InfluxDB 404: ${text} (creating it)`);
    }
    throw new HttpRefusal(`InfluxDB ${res.status}: ${text}`);
  }
}

/** A 4xx: bad data, never retried as it is. */
class HttpRefusal extends Error {}

/** A line's measurement and tags: everything before its first unescaped space. */
function seriesOfLine(line: string): string {
  let i = line.indexOf(' ');
  while (i > 0 && line[i - 1] === '\\') i = line.indexOf(' ', i + 1);
  return i < 0 ? line : line.slice(0, i);
}
