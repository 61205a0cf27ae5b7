import { influxQuery, toLine, type InfluxSeries, type InfluxTarget } from '@lifeline/core/node';
import { ALERT_JUDGED, ALERT_RAISED, ALERT_STAT, NONE } from './alert-stat-line.js';
import { DAY_MS } from './offline-rollup.js';

/**
 * The daily rollup of the statistics' counts, for long periods: one point per
 * UTC day, town and industry whose fields hold, as JSON, the alerts raised
 * per level (`raised`, from `alert_raised`), resolved per disposition and
 * resolver (`disp`, from `alert_stat`) and judged, and judged false alarms,
 * per rule and per model apart (`judged`, from `alert_judged`: the statistics
 * never cross the two, and the cross product was most of the rollup). Counts of points by the day they fell in: a period's whole
 * days are exact. A marker point (tag `mark`) says the day was rolled up.
 */
export const ALERT_COUNT_1D = 'alert_count_1d';

type Counts = Record<string, number>;
/** Between the parts of a key (a model may hold any character but `,`, `=` and spaces). */
const SEP = '\u001f';
interface Cell {
  raised: Counts;
  disp: Counts;
  judged: Counts;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const bump = (c: Counts, k: string, n: number) => (c[k] = (c[k] ?? 0) + n);

/** The count rollup lines of the UTC day starting at `day`. */
export async function rollupCountsDay(influx: InfluxTarget, day: number): Promise<string[]> {
  const p = `time >= ${day}ms AND time < ${day + DAY_MS}ms`;
  const cells = new Map<string, Cell>();
  const cell = (town: string | undefined, industry: string | undefined) => {
    const k = `${town ?? NONE}\u0000${industry ?? NONE}`;
    return cells.get(k) ?? cells.set(k, { raised: {}, disp: {}, judged: {} }).get(k)!;
  };
  const count = (s: InfluxSeries) => num(s.values[0]?.[s.columns.indexOf('n')]);
  for (const s of await influxQuery(influx, `SELECT count("n") AS n FROM "${ALERT_RAISED}" WHERE ${p} GROUP BY "town", "industry", "level"`))
    bump(cell(s.tags?.town, s.tags?.industry).raised, s.tags?.level ?? NONE, count(s));
  for (const s of await influxQuery(influx, `SELECT count("n") AS n FROM "${ALERT_STAT}" WHERE ${p} GROUP BY "town", "industry", "disposition", "by"`))
    bump(cell(s.tags?.town, s.tags?.industry).disp, `${s.tags?.disposition ?? NONE}${SEP}${s.tags?.by ?? ''}`, count(s));
  // Town and industry are fields of alert_judged (its tags are rule, model and disposition): its points are read.
  for (const s of await influxQuery(influx, `SELECT "n", "town", "industry" FROM "${ALERT_JUDGED}" WHERE ${p} GROUP BY "rule", "model", "disposition"`)) {
    const [it, ii] = [s.columns.indexOf('town'), s.columns.indexOf('industry')];
    const f = s.tags?.disposition === 'false_alarm' ? 1 : 0;
    for (const v of s.values) {
      const c = cell(String(v[it] ?? NONE), String(v[ii] ?? NONE));
      for (const k of [`r${SEP}${s.tags?.rule ?? NONE}`, `m${SEP}${s.tags?.model ?? NONE}`]) {
        bump(c.judged, k, 1);
        if (f) bump(c.judged, `${k}${SEP}f`, f);
      }
    }
  }
  const lines = [...cells.entries()].map(([k, c]) => {
    const [town, industry] = k.split('\u0000') as [string, string];
    return toLine(
      ALERT_COUNT_1D,
      { town, industry },
      { raised: JSON.stringify(c.raised), disp: JSON.stringify(c.disp), judged: JSON.stringify(c.judged) },
      day,
    );
  });
  lines.push(toLine(ALERT_COUNT_1D, { mark: 'day' }, { raised: '{}' }, day));
  return lines;
}

/** Where the count rollup ends: the start of the first day not rolled up (0 when none is). */
export async function countsRolledUntil(influx: InfluxTarget): Promise<number> {
  const s = await influxQuery(influx, `SELECT last("raised") FROM "${ALERT_COUNT_1D}" WHERE "mark" = 'day'`);
  const t = s[0]?.values[0]?.[0];
  return typeof t === 'number' ? t + DAY_MS : 0;
}

/**
 * Rollup rows as the raw count queries answer them (one row `n` per series),
 * so the statistics add them up the same way: `raised` grouped by town,
 * industry and level, `disp` by disposition and by, `judged` by rule or by
 * model, and disposition (false alarm or not).
 */
export function countSeries(rolled: InfluxSeries[]): { raised: InfluxSeries[]; disp: InfluxSeries[]; judged: InfluxSeries[] } {
  const out = { raised: [] as InfluxSeries[], disp: [] as InfluxSeries[], judged: [] as InfluxSeries[] };
  const one = (tags: Record<string, string>, n: number): InfluxSeries => ({ name: ALERT_COUNT_1D, tags, columns: ['time', 'n'], values: [[0, n]] });
  for (const s of rolled) {
    const town = s.tags?.town ?? NONE;
    const industry = s.tags?.industry ?? NONE;
    const [ir, id, ij] = ['raised', 'disp', 'judged'].map((c) => s.columns.indexOf(c)) as [number, number, number];
    for (const v of s.values) {
      const parse = (x: unknown): Counts => (typeof x === 'string' && x ? (JSON.parse(x) as Counts) : {});
      for (const [level, n] of Object.entries(parse(v[ir]))) out.raised.push(one({ town, industry, level }, n));
      for (const [k, n] of Object.entries(parse(v[id]))) {
        const [disposition = NONE, by = ''] = k.split(SEP);
        out.disp.push(one({ disposition, by }, n));
      }
      const judged = parse(v[ij]);
      for (const [k, n] of Object.entries(judged)) {
        const [what, key = NONE, f] = k.split(SEP);
        if (f) continue;
        const false_ = judged[`${k}${SEP}f`] ?? 0;
        const tag = what === 'r' ? 'rule' : 'model';
        out.judged.push(one({ [tag]: key, disposition: 'false_alarm' }, false_), one({ [tag]: key, disposition: 'other' }, n - false_));
      }
    }
  }
  return out;
}
