import { influxQuery, logger, toLine, type InfluxSeries, type InfluxTarget } from '@lifeline/core/node';
import { ALERT_OFFLINE, ALERT_RAISED, ALERT_STAT, NONE } from './alert-stat-line.js';
import { ALERT_COUNT_1D, countsRolledUntil, rollupCountsDay } from './count-rollup.js';
import { ALERT_OFFLINE_1D, DAY_MS, offlineRolledUntil, rollupOfflineDay } from './offline-rollup.js';
import { catchUpBlocks } from './week-rollup.js';

export { DAY_MS };

const log = logger('stats-rollup');

/**
 * The daily rollup of `alert_stat` for long periods: one point per UTC day,
 * town and industry with the count, the escalated count and the histograms of
 * the acknowledge and resolve times. A year is then 365 rows per town and
 * industry instead of every resolved alert; its medians are those of the
 * histograms (within 2 % above a minute, exact below).
 */
export const ALERT_STAT_1D = 'alert_stat_1d';
/** Days rolled up at most, going back (a statistics query spans at most 400). */
const BACKFILL_DAYS = 400;
/** A day is rolled up once it has been over this long (the alert spool's stragglers are in by then). */
const SETTLE_MS = 3_600_000;
/** The last days are rolled up again on every run: a spool replayed after an outage may add to them. */
const REROLL_DAYS = 2;
const RUN_EVERY_MS = 3_600_000;

/** Bins: one per second below a minute, then 2 % wide. */
const LINEAR = 60;
const RATIO = Math.log(1.02);
export const binOf = (s: number): number => (s < LINEAR ? Math.floor(s) : LINEAR + Math.floor(Math.log(s / LINEAR) / RATIO));
/** The value a bin stands for: itself below a minute, its geometric middle above. */
export const binValue = (b: number): number => (b < LINEAR ? b : LINEAR * Math.exp((b - LINEAR + 0.5) * RATIO));

export type Histogram = Map<number, number>;

export function histogramOf(json: unknown): Histogram {
  const h: Histogram = new Map();
  if (typeof json !== 'string' || !json) return h;
  for (const [k, v] of Object.entries(JSON.parse(json) as Record<string, number>)) h.set(Number(k), v);
  return h;
}

const histogramText = (h: Histogram) => JSON.stringify(Object.fromEntries(h));

/** The rollup lines of the UTC day starting at `day`, from its raw `alert_stat` points. */
export async function rollupDay(influx: InfluxTarget, day: number): Promise<string[]> {
  const series = await influxQuery(
    influx,
    `SELECT "ack_s", "res_s", "escd" FROM "${ALERT_STAT}" WHERE time >= ${day}ms AND time < ${day + DAY_MS}ms GROUP BY "town", "industry"`,
  );
  return series.map((s) => rollupLine(s, day));
}

function rollupLine(s: InfluxSeries, day: number): string {
  const [ia, ir, ie] = ['ack_s', 'res_s', 'escd'].map((c) => s.columns.indexOf(c)) as [number, number, number];
  const ack: Histogram = new Map();
  const res: Histogram = new Map();
  let escd = 0;
  for (const v of s.values) {
    if (typeof v[ia] === 'number') ack.set(binOf(v[ia]), (ack.get(binOf(v[ia])) ?? 0) + 1);
    if (typeof v[ir] === 'number') res.set(binOf(v[ir]), (res.get(binOf(v[ir])) ?? 0) + 1);
    if (v[ie] === 1) escd++;
  }
  return toLine(
    ALERT_STAT_1D,
    { town: s.tags?.town ?? NONE, industry: s.tags?.industry ?? NONE },
    { n: { int: s.values.length }, escd: { int: escd }, ack: histogramText(ack), res: histogramText(res) },
    day,
  );
}

/** Where the rollup ends: the start of the first day not rolled up (0 when none is). */
export async function rolledUntil(influx: InfluxTarget): Promise<number> {
  const s = await influxQuery(influx, `SELECT last("n") FROM "${ALERT_STAT_1D}"`);
  const t = s[0]?.values[0]?.[0];
  return typeof t === 'number' ? t + DAY_MS : 0;
}

export interface DailyRollupOptions {
  influx: InfluxTarget;
  /** Writes the rollup's lines to InfluxDB, resolving once they are readable (they can be made again from `alert_stat`: no spool needed). */
  write: (lines: string[]) => Promise<void>;
  now?: () => number;
}

/** Rolls up each finished day: at start (catching up) and every hour. */
export class DailyRollup {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly opts: DailyRollupOptions) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), RUN_EVERY_MS);
    this.timer.unref();
    void this.run();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  run(): Promise<void> {
    this.running ??= this.runNow()
      .catch((err) => log.warn({ err: (err as Error).message }, 'daily rollup failed; tried again in an hour'))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async runNow(): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    const lastDay = Math.floor((now - SETTLE_MS) / DAY_MS) * DAY_MS - DAY_MS; // the last finished, settled day
    // The durations (alert_stat_1d), the offline time (alert_offline_1d, offline-rollup.ts), the counts (alert_count_1d, count-rollup.ts).
    const days =
      (await this.catchUp(ALERT_STAT, now, lastDay, rolledUntil, rollupDay)) +
      (await this.catchUp(ALERT_OFFLINE, now, lastDay, offlineRolledUntil, rollupOfflineDay)) +
      (await this.catchUp(ALERT_RAISED, now, lastDay, countsRolledUntil, rollupCountsDay));
    // Then the whole weeks from the days, and the 4-week blocks from the weeks (week-rollup.ts).
    let blocks = 0;
    for (const daily of [ALERT_STAT_1D, ALERT_OFFLINE_1D, ALERT_COUNT_1D])
      blocks += await catchUpBlocks(this.opts.influx, daily, now - BACKFILL_DAYS * DAY_MS, lastDay + DAY_MS, this.opts.write);
    if (days > 3 * REROLL_DAYS || blocks > 6) log.info({ days, blocks }, 'daily, weekly and 4-week rollups caught up');
  }

  /** Rolls up the days of `source` from its first point (or the last rolled up, less REROLL_DAYS) to `lastDay`; how many. */
  private async catchUp(
    source: string,
    now: number,
    lastDay: number,
    until: (influx: InfluxTarget) => Promise<number>,
    rollup: (influx: InfluxTarget, day: number) => Promise<string[]>,
  ): Promise<number> {
    const first = await influxQuery(this.opts.influx, `SELECT first("n") FROM "${source}" WHERE time > ${now - BACKFILL_DAYS * DAY_MS}ms`);
    const firstAt = first[0]?.values[0]?.[0];
    if (typeof firstAt !== 'number') return 0;
    let day = Math.max(Math.floor(firstAt / DAY_MS) * DAY_MS, (await until(this.opts.influx)) - REROLL_DAYS * DAY_MS);
    let days = 0;
    for (; day <= lastDay; day += DAY_MS) {
      const lines = await rollup(this.opts.influx, day);
      if (lines.length) await this.opts.write(lines);
      days++;
    }
    return days;
  }
}
