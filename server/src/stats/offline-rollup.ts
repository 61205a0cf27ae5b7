import { influxQuery, toLine, type InfluxSeries, type InfluxTarget } from '@lifeline/core/node';
import { ALERT_OFFLINE, NONE } from './alert-stat-line.js';
import { DAY_MS, readDays } from './week-rollup.js';

/**
 * The daily rollup of the offline alerts (`alert_offline`), for the online
 * rate and the most-offline devices of long periods: one point per UTC day of
 * *resolution*, town and industry, whose `off` field holds, per day the
 * alerts overlapped and per device, [alerts raised that day, offline seconds
 * within that day]. An offline alert is written when it is resolved (up to
 * OFFLINE_LOOKAHEAD_MS after it was raised), so rolling up by the day it was
 * resolved takes every alert once, and its seconds stay split by the days they
 * fell in: a period's whole days are then exact, not approximated. A marker
 * point (tag `mark`) says the day was rolled up even when it had no alert.
 */
export const ALERT_OFFLINE_1D = 'alert_offline_1d';
export { DAY_MS };
/** An offline alert still counts for a period when it was resolved up to this long after the period ended. */
export const OFFLINE_LOOKAHEAD_MS = 30 * DAY_MS;

type DayDevices = Record<string, Record<string, [number, number]>>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The rollup lines of the UTC day starting at `day`: the offline alerts resolved in it. */
export async function rollupOfflineDay(influx: InfluxTarget, day: number): Promise<string[]> {
  const series = await influxQuery(
    influx,
    `SELECT "device", "dur_s", "raised" FROM "${ALERT_OFFLINE}" WHERE time >= ${day}ms AND time < ${day + DAY_MS}ms GROUP BY "town", "industry"`,
  );
  const lines = series.map((s) => {
    const [id, ids, ir] = ['device', 'dur_s', 'raised'].map((c) => s.columns.indexOf(c)) as [number, number, number];
    const off: DayDevices = {};
    for (const v of s.values) {
      const device = String(v[id]);
      const raised = num(v[ir]);
      const end = raised + num(v[ids]) * 1000;
      const first = Math.floor(raised / DAY_MS);
      const last = Math.max(first, Math.ceil(end / DAY_MS) - 1);
      for (let d = first; d <= last; d++) {
        const s0 = Math.max(raised, d * DAY_MS);
        const s1 = Math.min(end, (d + 1) * DAY_MS);
        const e = ((off[d] ??= {})[device] ??= [0, 0]);
        if (d === first) e[0]++;
        e[1] += Math.max(0, (s1 - s0) / 1000);
      }
    }
    return toLine(
      ALERT_OFFLINE_1D,
      { town: s.tags?.town ?? NONE, industry: s.tags?.industry ?? NONE },
      { n: { int: s.values.length }, off: JSON.stringify(off) },
      day,
    );
  });
  lines.push(toLine(ALERT_OFFLINE_1D, { mark: 'day' }, { n: { int: series.length } }, day));
  return lines;
}

/** Where the offline rollup ends: the start of the first day not rolled up (0 when none is). */
export async function offlineRolledUntil(influx: InfluxTarget): Promise<number> {
  const s = await influxQuery(influx, `SELECT last("n") FROM "${ALERT_OFFLINE_1D}" WHERE "mark" = 'day'`);
  const t = s[0]?.values[0]?.[0];
  return typeof t === 'number' ? t + DAY_MS : 0;
}

/** Offline time per device and in all, as the online rate and the most-offline list take it. */
export class OfflineTally {
  readonly per = new Map<string, { times: number; offlineS: number }>();
  offlineS = 0;

  add(device: string, times: number, seconds: number): void {
    this.offlineS += seconds;
    const r = this.per.get(device) ?? { times: 0, offlineS: 0 };
    r.times += times;
    r.offlineS += seconds;
    this.per.set(device, r);
  }

  /** Raw `alert_offline` rows: seconds clipped to [from, to), the alert counted when `counts(raised)`. */
  addRaw(series: InfluxSeries[], from: number, to: number, counts: (raised: number) => boolean): void {
    for (const s of series) {
      const [id, ids, ir] = ['device', 'dur_s', 'raised'].map((c) => s.columns.indexOf(c)) as [number, number, number];
      for (const v of s.values) {
        const raised = num(v[ir]);
        const end = raised + num(v[ids]) * 1000;
        this.add(String(v[id]), counts(raised) ? 1 : 0, Math.max(0, (Math.min(end, to) - Math.max(raised, from)) / 1000));
      }
    }
  }

  /** Rollup rows: the days in [d0, d1) of each. */
  addRolled(series: InfluxSeries[], d0: number, d1: number): void {
    const [lo, hi] = [d0 / DAY_MS, d1 / DAY_MS];
    for (const s of series) {
      const io = s.columns.indexOf('off');
      for (const v of s.values) {
        if (typeof v[io] !== 'string') continue;
        for (const [day, devices] of Object.entries(JSON.parse(v[io]) as DayDevices)) {
          const d = Number(day);
          if (d < lo || d >= hi) continue;
          for (const [device, [times, seconds]] of Object.entries(devices)) this.add(device, times, seconds);
        }
      }
    }
  }
}

/**
 * The offline time of [from, to) in the scope `where` (a suffix of AND
 * conditions on town and industry only when `rolled`). Without the rollup,
 * one read of every offline alert that may overlap. With it, the whole days
 * [d0, d1) come from the rollup rows made so far and the raw alerts resolved
 * since; the edges [from, d0) and [d1, to) from the raw alerts; each alert is
 * counted once, in the piece its max(raised, from) falls in.
 */
export async function readOffline(
  run: (sql: string) => Promise<InfluxSeries[]>,
  influx: InfluxTarget,
  from: number,
  to: number,
  where: string,
  rolled: boolean,
): Promise<OfflineTally> {
  const t = new OfflineTally();
  const raw = (t0: number, t1: number, raisedBelow: number) =>
    t0 >= t1
      ? Promise.resolve([])
      : run(`SELECT "device", "dur_s", "raised" FROM "${ALERT_OFFLINE}" WHERE "raised" < ${raisedBelow} AND time >= ${t0}ms AND time < ${t1}ms${where}`);
  const d0 = Math.ceil(from / DAY_MS) * DAY_MS;
  const d1 = Math.floor(to / DAY_MS) * DAY_MS;
  if (!rolled || d1 <= d0) {
    t.addRaw(await raw(from, to + OFFLINE_LOOKAHEAD_MS, to), from, to, () => true);
    return t;
  }
  const until = Math.min(await offlineRolledUntil(influx), d1 + OFFLINE_LOOKAHEAD_MS);
  // Head: alerts raised before d0 and resolved after `from` (counted here, even when from = d0).
  t.addRaw(await raw(from, d0 + OFFLINE_LOOKAHEAD_MS, d0), from, d0, () => true);
  // Whole days: rolled up by the day of resolution, then the raw alerts resolved since the last day rolled up.
  if (until > d0) t.addRolled(await readDays(run, influx, ALERT_OFFLINE_1D, '"off"', d0, until, where), d0, d1);
  t.addRaw(await raw(Math.max(until, d0), d1 + OFFLINE_LOOKAHEAD_MS, d1), d0, d1, (r) => r >= d0);
  // Tail: counted when raised in it.
  t.addRaw(await raw(d1, to + OFFLINE_LOOKAHEAD_MS, to), d1, to, (r) => r >= d1);
  return t;
}
