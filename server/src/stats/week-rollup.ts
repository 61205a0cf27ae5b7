import { influxQuery, toLine, type InfluxSeries, type InfluxTarget } from '@lifeline/core/node';

/**
 * Rollups of the daily rollups over longer blocks, for the longest periods: a
 * year of the whole city read from the daily rollups is 365 rows per town and
 * industry and measurement (26,000 rows of JSON, seconds to read and add up);
 * from whole weeks 52, from blocks of four weeks 13. A block's row per town
 * and industry is the sum of its days' rows — every rollup field adds up:
 * counts, histograms (bin → count), count tables (key → count) and the
 * offline table (day → device → [times, seconds]) — so a period's whole
 * blocks read from here give exactly what their days give. Blocks are 7 and
 * 28 days from the Unix epoch (UTC), so each 28-day block is four weeks; a
 * week is made from its days, a 28-day block from its weeks. A marker point
 * (tag `mark`) says a block was rolled up.
 */
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** The levels above the daily rollup, shortest first: the measurement's suffix (instead of `_1d`) and the block. */
export const BLOCKS = [
  { suffix: '_1w', span: WEEK_MS },
  { suffix: '_4w', span: 4 * WEEK_MS },
] as const;

/** The measurement of level `level` of a daily rollup (0: itself; 1: `alert_stat_1d` → `alert_stat_1w`; 2: `…_4w`). */
export const levelOf = (daily: string, level: number): string => (level === 0 ? daily : daily.replace(/_1d$/, BLOCKS[level - 1]!.suffix));

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

/** The lines of level `level`'s block starting at `start`, from the rows of the level below in it. */
export async function rollupBlock(influx: InfluxTarget, daily: string, level: number, start: number): Promise<string[]> {
  const target = levelOf(daily, level);
  const span = BLOCKS[level - 1]!.span;
  // Grouped by `mark` too, so a marker point (tagged mark, no town) is told apart and left out.
  const series = await influxQuery(
    influx,
    `SELECT * FROM "${levelOf(daily, level - 1)}" WHERE time >= ${start}ms AND time < ${start + span}ms GROUP BY "town", "industry", "mark"`,
  );
  const lines: string[] = [];
  for (const s of series) {
    if (s.tags?.mark) continue;
    const sums: Sums = new Map();
    for (const v of s.values) addRow(sums, s.columns, v);
    const fields: Record<string, string | { int: number }> = {};
    for (const [k, v] of sums) fields[k] = typeof v === 'number' ? { int: v } : JSON.stringify(v);
    if (Object.keys(fields).length) lines.push(toLine(target, { town: s.tags?.town ?? '', industry: s.tags?.industry ?? '' }, fields, start));
  }
  // Its own field, read by no statistics query (an `n` there would be added to the counts).
  lines.push(toLine(target, { mark: 'block' }, { rolled: { int: series.length } }, start));
  return lines;
}

/** Where level `level` (≥ 1) of `daily` ends: the start of the first block not rolled up (0 when none is). */
export async function blocksRolledUntil(influx: InfluxTarget, daily: string, level: number): Promise<number> {
  const s = await influxQuery(influx, `SELECT last("rolled") FROM "${levelOf(daily, level)}" WHERE "mark" = 'block'`);
  const t = s[0]?.values[0]?.[0];
  return typeof t === 'number' ? t + BLOCKS[level - 1]!.span : 0;
}

/**
 * Rolls up the blocks of every level of `daily` that end by `end` (the end of
 * its last rolled day; for a level above the weeks, of its last rolled week):
 * from its first row, or again from the last block rolled up (its days may
 * have been rolled up again since); how many blocks.
 */
export async function catchUpBlocks(
  influx: InfluxTarget,
  daily: string,
  since: number,
  end: number,
  write: (lines: string[]) => Promise<void>,
): Promise<number> {
  const first = await influxQuery(influx, `SELECT * FROM "${daily}" WHERE time >= ${since}ms ORDER BY time ASC LIMIT 1`);
  const firstAt = first[0]?.values[0]?.[0];
  if (typeof firstAt !== 'number') return 0;
  let blocks = 0;
  for (let level = 1; level <= BLOCKS.length; level++) {
    const span = BLOCKS[level - 1]!.span;
    let at = Math.max(Math.floor(firstAt / span) * span, (await blocksRolledUntil(influx, daily, level)) - span);
    for (; at + span <= end; at += span) {
      await write(await rollupBlock(influx, daily, level, at));
      blocks++;
    }
    end = Math.min(end, at); // the next level up stops where this one did
  }
  return blocks;
}

/** One query of a plan: level `level`'s rows in [from, to). */
export interface Piece {
  level: number;
  from: number;
  to: number;
}

/**
 * How to read the whole days [a, b): the longest blocks inside it that are
 * rolled up (`until[level]`: where level `level` ends; `until[0]` unused),
 * then the shorter ones around them, then the days.
 */
export function planDays(a: number, b: number, until: readonly number[], level: number = BLOCKS.length): Piece[] {
  if (a >= b) return [];
  if (level === 0) return [{ level: 0, from: a, to: b }];
  const span = BLOCKS[level - 1]!.span;
  const w0 = Math.ceil(a / span) * span;
  const w1 = Math.min(Math.floor(b / span) * span, until[level] ?? 0);
  if (w1 <= w0) return planDays(a, b, until, level - 1);
  return [...planDays(a, w0, until, level - 1), { level, from: w0, to: w1 }, ...planDays(w1, b, until, level - 1)];
}

/**
 * The rows of the daily rollup `daily` over the whole days [a, b), read as
 * `planDays` says; for callers that add the rows up (a block's row is its
 * days' sum). `rest` follows the period in the WHERE clause (more
 * conditions, a GROUP BY).
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
  const until = [0];
  for (let level = 1; level <= BLOCKS.length; level++) until.push(await blocksRolledUntil(influx, daily, level));
  const out: InfluxSeries[] = [];
  for (const p of planDays(a, b, until))
    out.push(...(await run(`SELECT ${select} FROM "${levelOf(daily, p.level)}" WHERE time >= ${p.from}ms AND time < ${p.to}ms${rest}`)));
  return out;
}
