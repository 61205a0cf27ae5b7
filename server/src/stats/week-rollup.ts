import { influxQuery, toLine, type InfluxSeries, type InfluxTarget } from '@lifeline/core/node';

/**
 * Weekly rollups of the daily ones, for the longest periods: a year of the
 * whole city read from the daily rollups is 365 rows per town and industry
 * and measurement (26,000 rows of JSON, seconds to read and add up); from
 * whole weeks it is 52. A week's row per town and industry is the sum of its
 * days' rows — every rollup field adds up: counts, histograms (bin → count),
 * count tables (key → count) and the offline table (day → device →
 * [times, seconds]) — so a period's whole weeks read from here give exactly
 * what their days give. Weeks are 7-day blocks from the Unix epoch (UTC);
 * a marker point (tag `mark`) says a week was rolled up.
 */
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** The weekly rollup of a daily one (`alert_stat_1d` → `alert_stat_1w`). */
export const weeklyOf = (daily: string): string => daily.replace(/_1d$/, '_1w');

type Json = number | string | boolean | null | Json[] | { [k: string]: Json };

/** `into` plus `add`: numbers added, arrays element by element, objects key by key (anything else: the newer kept). */
export function addJson(into: Json, add: Json): Json {
  if (typeof into === 'number' && typeof add === 'number') return into + add;
  if (Array.isArray(into) && Array.isArray(add)) {
    const out = into.slice();
    add.forEach((v, i) => (out[i] = i < out.length ? addJson(out[i]!, v) : v));
    return out;
  }
  if (into && add && typeof into === 'object' && typeof add === 'object' && !Array.isArray(into) && !Array.isArray(add)) {
    for (const [k, v] of Object.entries(add)) into[k] = k in into ? addJson(into[k]!, v) : v;
    return into;
  }
  return add;
}

/** A day row's fields as they add up: integers, and the JSON text fields parsed. */
type Sums = Map<string, number | Json>;

function addRow(sums: Sums, columns: string[], row: unknown[]): void {
  columns.forEach((c, i) => {
    const v = row[i];
    if (c === 'time' || v === null || v === undefined) return;
    if (typeof v === 'number') sums.set(c, ((sums.get(c) as number | undefined) ?? 0) + v);
    else if (typeof v === 'string' && v) {
      const prev = sums.get(c);
      const parsed = JSON.parse(v) as Json;
      sums.set(c, prev === undefined ? parsed : addJson(prev as Json, parsed));
    }
  });
}

/** The weekly lines of the week starting at `week`, from the daily rows of `daily` in it. */
export async function rollupWeek(influx: InfluxTarget, daily: string, week: number): Promise<string[]> {
  const weekly = weeklyOf(daily);
  // Grouped by `mark` too, so a daily marker point (tagged mark, no town) is told apart and left out.
  const series = await influxQuery(
    influx,
    `SELECT * FROM "${daily}" WHERE time >= ${week}ms AND time < ${week + WEEK_MS}ms GROUP BY "town", "industry", "mark"`,
  );
  const lines: string[] = [];
  for (const s of series) {
    if (s.tags?.mark) continue;
    const sums: Sums = new Map();
    for (const v of s.values) addRow(sums, s.columns, v);
    const fields: Record<string, string | { int: number }> = {};
    for (const [k, v] of sums) fields[k] = typeof v === 'number' ? { int: v } : JSON.stringify(v);
    if (Object.keys(fields).length) lines.push(toLine(weekly, { town: s.tags?.town ?? '', industry: s.tags?.industry ?? '' }, fields, week));
  }
  // Its own field, read by no statistics query (an `n` there would be added to the counts).
  lines.push(toLine(weekly, { mark: 'week' }, { rolled: { int: series.length } }, week));
  return lines;
}

/** Where the weekly rollup of `daily` ends: the start of the first week not rolled up (0 when none is). */
export async function weeksRolledUntil(influx: InfluxTarget, daily: string): Promise<number> {
  const s = await influxQuery(influx, `SELECT last("rolled") FROM "${weeklyOf(daily)}" WHERE "mark" = 'week'`);
  const t = s[0]?.values[0]?.[0];
  return typeof t === 'number' ? t + WEEK_MS : 0;
}

/**
 * Rolls up the weeks of `daily` that end by `end` (the end of its last rolled
 * day): from its first row, or again from the last week rolled up (its days
 * may have been rolled up again since); how many weeks.
 */
export async function catchUpWeeks(
  influx: InfluxTarget,
  daily: string,
  since: number,
  end: number,
  write: (lines: string[]) => Promise<void>,
): Promise<number> {
  const first = await influxQuery(influx, `SELECT * FROM "${daily}" WHERE time >= ${since}ms ORDER BY time ASC LIMIT 1`);
  const firstAt = first[0]?.values[0]?.[0];
  if (typeof firstAt !== 'number') return 0;
  let week = Math.max(Math.floor(firstAt / WEEK_MS) * WEEK_MS, (await weeksRolledUntil(influx, daily)) - WEEK_MS);
  let weeks = 0;
  for (; week + WEEK_MS <= end; week += WEEK_MS) {
    await write(await rollupWeek(influx, daily, week));
    weeks++;
  }
  return weeks;
}

/**
 * The rows of the daily rollup `daily` over the whole days [a, b): the whole
 * weeks rolled up from the weekly rollup, the days around them from the
 * daily one; for callers that add the rows up (a week's row is its days'
 * sum). `rest` follows the period in the WHERE clause (more conditions, a
 * GROUP BY).
 */
export async function readDays(
  run: (sql: string) => Promise<InfluxSeries[]>,
  influx: InfluxTarget,
  daily: string,
  select: string,
  a: number,
  b: number,
  rest: string,
): Promise<InfluxSeries[]> {
  const q = (m: string, x: number, y: number) =>
    x < y ? run(`SELECT ${select} FROM "${m}" WHERE time >= ${x}ms AND time < ${y}ms${rest}`) : Promise.resolve([]);
  const w0 = Math.ceil(a / WEEK_MS) * WEEK_MS;
  const w1 = Math.min(Math.floor(b / WEEK_MS) * WEEK_MS, await weeksRolledUntil(influx, daily));
  if (w1 <= w0) return q(daily, a, b);
  return [...(await q(daily, a, w0)), ...(await q(weeklyOf(daily), w0, w1)), ...(await q(daily, w1, b))];
}
