import type { DeadLetter, DeadLetterCode } from '@lifeline/core';
import { logger } from '@lifeline/core/node';

const log = logger('dead-letters');
const PAYLOAD_PREVIEW = 512;
/** A topic or reason is cut here: an entry's size is bounded whatever a client sends. */
const TOPIC_MAX = 256;
const REASON_MAX = 500;
const ID_MAX = 64;
/** Past this many log lines a second, rejections are only counted and summarised. */
const LOG_PER_SECOND = 20;

/**
 * Rejected messages, kept where an operator can see them. A ring of the newest
 * `capacity` entries; totals by code are kept for every rejection ever seen.
 */
export class DeadLetters {
  private readonly ring: DeadLetter[] = [];
  private next = 0;
  private logWindow = 0;
  private logged = 0;
  private suppressed = 0;
  total = 0;
  readonly byCode: Partial<Record<DeadLetterCode, number>> = {};

  constructor(private readonly capacity: number) {}

  /** `quiet`: counted and kept but not logged (its source logs a summary, e.g. the writer's once-a-minute cardinality line). */
  add(entry: Omit<DeadLetter, 'payload' | 'at'> & { payload: Buffer | string; at?: number }, quiet = false): DeadLetter {
    const text = typeof entry.payload === 'string' ? entry.payload : entry.payload.subarray(0, PAYLOAD_PREVIEW * 4).toString('utf8');
    const dl: DeadLetter = {
      ...entry,
      topic: entry.topic.slice(0, TOPIC_MAX),
      reason: entry.reason.slice(0, REASON_MAX),
      ...(entry.tenant !== undefined ? { tenant: entry.tenant.slice(0, ID_MAX) } : {}),
      ...(entry.device !== undefined ? { device: entry.device.slice(0, ID_MAX) } : {}),
      at: entry.at ?? Date.now(),
      payload: text.slice(0, PAYLOAD_PREVIEW),
    };
    if (this.ring.length < this.capacity) this.ring.push(dl);
    else this.ring[this.next] = dl;
    this.next = (this.next + 1) % this.capacity;
    this.total++;
    this.byCode[dl.code] = (this.byCode[dl.code] ?? 0) + 1;
    if (!quiet) this.logRejection(dl);
    return dl;
  }

  private logRejection(dl: DeadLetter): void {
    const second = Math.floor(dl.at / 1000);
    if (second !== this.logWindow) {
      if (this.suppressed > 0) log.warn({ suppressed: this.suppressed }, 'more messages rejected (see /api/dead-letters)');
      this.logWindow = second;
      this.logged = 0;
      this.suppressed = 0;
    }
    if (this.logged++ < LOG_PER_SECOND) log.warn({ topic: dl.topic, code: dl.code, device: dl.device }, `rejected: ${dl.reason}`);
    else this.suppressed++;
  }

  /** Newest first. */
  list(limit = this.capacity): DeadLetter[] {
    const n = this.ring.length;
    const out: DeadLetter[] = [];
    for (let i = 1; i <= Math.min(limit, n); i++) out.push(this.ring[(this.next - i + n) % n]!);
    return out;
  }
}
