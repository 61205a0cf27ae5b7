import { randomBytes } from 'node:crypto';
import type { Alert, Hazard, NotifyChannel, NotifyReason, ReportContent, ReportEntry } from '@lifeline/core';
import { backoff, logger } from '@lifeline/core/node';
import type { AlertChange } from '../alerts/alert-manager.js';
import { renderMessage } from './formats.js';
import { renderHazardMessage } from './hazard-formats.js';
import { renderReportMessage } from './report-formats.js';
import type { Outbox, OutboxItem } from './outbox.js';

const log = logger('notifier');

export type NotifyTargets = Partial<Record<NotifyChannel, string | null>>;

export interface RetryOptions {
  /** First retry after this long; doubled each attempt up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** After this many attempts the message is given up and recorded as failed. */
  maxAttempts: number;
}

export interface NotifierOptions {
  outbox: Outbox;
  targets: NotifyTargets;
  publicUrl: string;
  retry?: Partial<RetryOptions>;
  /** How often the outbox is scanned for messages due. */
  pollMs?: number;
  requestTimeoutMs?: number;
  concurrency?: number;
}

const DEFAULT_RETRY: RetryOptions = { baseMs: 1000, maxMs: 5 * 60_000, maxAttempts: 12 };
/** Spread of the retry delays, so that messages failing together do not retry together. */
const RETRY_JITTER = 0.2;
const POLL_MS = 500;
const REQUEST_TIMEOUT_MS = 10_000;
const CONCURRENCY = 4;
/** How long `stop()` waits for requests in flight. */
const STOP_WAIT_MS = 5000;

type Outcome = { ok: true } | { ok: false; retry: boolean; error: string };

/**
 * Sends a message per configured target when an alert is raised, upgraded or
 * escalated. Messages go through the outbox (on disk before the first try),
 * then out with retries: network errors, 429, 5xx and a robot's `errcode != 0`
 * are retried with exponential backoff; any other 4xx is given up and recorded.
 */
export class Notifier {
  private readonly retry: RetryOptions;
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly opts: NotifierOptions) {
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  get channels(): NotifyChannel[] {
    return (Object.entries(this.opts.targets) as [NotifyChannel, string | null | undefined][]).filter(([, url]) => url).map(([c]) => c);
  }

  start(): void {
    this.timer ??= setInterval(() => this.pump(), this.opts.pollMs ?? POLL_MS);
    this.timer.unref();
    this.pump();
  }

  /** Stops sending; what is pending stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.race([Promise.allSettled(this.inFlight.values()), new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    this.opts.outbox.close();
  }

  /** The alert manager's listener. */
  onAlertChange(change: AlertChange): void {
    if (change.notify) this.enqueue(change.alert, change.notify);
  }

  enqueue(alert: Alert, reason: NotifyReason): void {
    this.enqueueMessage(alert.id, alert.level, reason, (channel) => renderMessage(channel, alert, reason, this.opts.publicUrl));
  }

  /** A hazard past its deadline (督办), to every target, through the outbox like an alert. */
  enqueueHazard(hazard: Hazard): void {
    this.enqueueMessage(hazard.id, hazard.level, 'hazard_overdue', (channel) => renderHazardMessage(channel, hazard, this.opts.publicUrl));
  }

  /** A report's summary with its link, to every target, through the outbox like an alert. */
  enqueueReport(entry: ReportEntry, content: ReportContent): void {
    this.enqueueMessage(entry.id, 'report', 'report', (channel) => renderReportMessage(channel, entry, content, this.opts.publicUrl));
  }

  /** One message per configured target about `ref` (an alert's or a hazard's id), on disk before the first try. */
  private enqueueMessage(ref: string, level: string, reason: NotifyReason, render: (channel: NotifyChannel) => unknown): void {
    const now = Date.now();
    const items: OutboxItem[] = [];
    for (const channel of this.channels) {
      items.push({
        id: `n-${now.toString(36)}-${randomBytes(4).toString('hex')}`,
        alertId: ref,
        channel,
        reason,
        level,
        createdAt: now,
        status: 'pending',
        attempts: 0,
        nextAt: now,
        url: this.opts.targets[channel]!,
        body: render(channel),
      });
    }
    this.opts.outbox.add(items);
    if (items.length) this.pump();
  }

  private pump(): void {
    if (this.stopped) return;
    const now = Date.now();
    const max = this.opts.concurrency ?? CONCURRENCY;
    for (const item of this.opts.outbox.pending()) {
      if (this.inFlight.size >= max) break;
      if (this.inFlight.has(item.id) || (item.nextAt ?? 0) > now) continue;
      const p = this.send(item)
        .catch((err) => log.error({ err, id: item.id }, 'notification bookkeeping failed'))
        .finally(() => {
          this.inFlight.delete(item.id);
          if (!this.stopped) setImmediate(() => this.pump());
        });
      this.inFlight.set(item.id, p);
    }
  }

  private async send(item: OutboxItem): Promise<void> {
    const outcome = await post(item, this.opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS);
    const attempts = item.attempts + 1;
    const now = Date.now();
    if (outcome.ok) {
      this.opts.outbox.set(item.id, { status: 'delivered', attempts, doneAt: now });
      log.info({ id: item.id, alert: item.alertId, channel: item.channel, reason: item.reason, attempts }, 'notification delivered');
      return;
    }
    if (!outcome.retry || attempts >= this.retry.maxAttempts) {
      this.opts.outbox.set(item.id, { status: 'failed', attempts, doneAt: now, lastError: outcome.error });
      log.error({ id: item.id, alert: item.alertId, channel: item.channel, attempts, error: outcome.error }, 'notification given up');
      return;
    }
    const retryInMs = backoff(attempts, { baseMs: this.retry.baseMs, maxMs: this.retry.maxMs, jitter: RETRY_JITTER });
    this.opts.outbox.set(item.id, { attempts, nextAt: now + retryInMs, lastError: outcome.error });
    log.warn({ id: item.id, channel: item.channel, attempts, retryInMs, error: outcome.error }, 'notification failed; will retry');
  }
}

async function post(item: OutboxItem, timeoutMs: number): Promise<Outcome> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(item.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(item.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { ok: false, retry: true, error: `network: ${e.cause?.code ?? e.message}` };
  }
  if (res.status === 429 || res.status >= 500) return { ok: false, retry: true, error: `HTTP ${res.status} ${text.slice(0, 200)}` };
  if (res.status < 200 || res.status >= 300) return { ok: false, retry: false, error: `HTTP ${res.status} ${text.slice(0, 200)}` };
  if (item.channel === 'webhook') return { ok: true };
  // Robots answer 200 with {errcode, errmsg}; anything but errcode 0 is a failure (rate limit, keyword, signature…).
  let reply: { errcode?: unknown; errmsg?: unknown };
  try {
    reply = JSON.parse(text) as typeof reply;
  } catch {
    return { ok: false, retry: true, error: `robot answered non-JSON: ${text.slice(0, 200)}` };
  }
  if (reply.errcode === 0) return { ok: true };
  return { ok: false, retry: true, error: `errcode ${String(reply.errcode)}: ${String(reply.errmsg ?? '')}` };
}
