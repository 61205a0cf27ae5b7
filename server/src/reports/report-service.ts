import type { ReportContent, ReportEntry } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { ReportStore } from '../store/reports.js';
import { generateReport, type ReportSources } from './generate-report.js';
import { duePeriods, type ReportPeriod } from './periods.js';

const log = logger('reports');

/** How often the schedule is looked at; a report is made within this long of its hour. */
export const REPORT_CHECK_MS = 60_000;
/** After a failed attempt, the same period is tried again no sooner than this. */
const RETRY_AFTER_MS = 10 * 60_000;

export interface ReportServiceOptions {
  store: ReportStore;
  sources: ReportSources;
  /** Sends the summary with its link to the notification targets (through the outbox). */
  notify?: (entry: ReportEntry, content: ReportContent) => void;
  timeZone: string;
  dailyHour: number;
  /** Whether reports are made on their own at the hour (off: only on request and from the CLI). */
  schedule: boolean;
  now?: () => number;
}

/**
 * Makes, keeps and sends the reports: the daily one at the configured hour
 * for the day before, the weekly on Mondays, the monthly on the 1st. What is
 * due and not kept is made at start-up too, so a platform down at 08:00
 * catches up; a period made again replaces its report.
 */
export class ReportService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly opts: ReportServiceOptions) {}

  private get now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Generates, keeps and (unless told not to) sends the report of `period`. */
  async make(period: ReportPeriod, createdBy: string, notify = true): Promise<{ entry: ReportEntry; content: ReportContent }> {
    const { content, workbook } = await generateReport(period, { ...this.opts.sources, now: this.opts.now });
    const entry = await this.opts.store.save(content, workbook, createdBy);
    log.info({ id: entry.id, kind: entry.kind, period: entry.periodLabel, bytes: entry.bytes }, 'report made');
    if (notify) {
      try {
        this.opts.notify?.(entry, content);
      } catch (err) {
        log.error({ err, id: entry.id }, 'report kept but its summary could not be queued');
      }
    }
    return { entry, content };
  }

  start(): void {
    if (!this.opts.schedule) return;
    this.timer ??= setInterval(() => void this.check(), REPORT_CHECK_MS);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Makes what is due and not kept yet; one check at a time. */
  check(): Promise<void> {
    this.running ??= this.checkNow().finally(() => (this.running = null));
    return this.running;
  }

  private async checkNow(): Promise<void> {
    const now = this.now;
    for (const p of duePeriods(now, this.opts.dailyHour, this.opts.timeZone)) {
      const key = `${p.kind}:${p.start}`;
      if (now - (this.failedAt.get(key) ?? -Infinity) < RETRY_AFTER_MS) continue;
      try {
        if (await this.opts.store.has(p.kind, p.start)) continue;
        await this.make(p, 'system');
        this.failedAt.delete(key);
      } catch (err) {
        this.failedAt.set(key, now);
        log.error({ err, kind: p.kind, period: p.label }, 'report could not be made; tried again later');
      }
    }
  }
}
