import {
  isOpen,
  LEVELS,
  type Alert,
  type DurationStat,
  type FalseAlarmRow,
  type OfflineDeviceRow,
  type Shift,
  STATS_MAX_DUTY_ROWS,
  type StatsAnswer,
  type StatsQuery,
  type StatsRankRow,
} from '@lifeline/core';
import { influxQuery, influxString, type InfluxSeries, type InfluxTarget, type LoadedRegistry } from '@lifeline/core/node';
import type { EscalationLimits } from '../alerts/escalation.js';
import { ALERT_JUDGED, ALERT_RAISED, ALERT_STAT, NONE, OFFLINE_RULE_ID } from './alert-stat-line.js';
import { ALERT_COUNT_1D, countSeries, countsRolledUntil } from './count-rollup.js';
import { readOffline, type OfflineTally } from './offline-rollup.js';
import { ALERT_STAT_1D, binOf, binValue, DAY_MS, histogramOf, rolledUntil, type Histogram } from './daily-rollup.js';
import { readDays } from './week-rollup.js';

/** Periods longer than this read MTTA and MTTR of their whole days from the daily rollup (a month's report stays exact). */
export const ROLLUP_MIN_SPAN_MS = 35 * 86_400_000;

/** Devices listed as most often offline. */
export const MOST_OFFLINE_ROWS = 10;
const MIN = 60_000;

export interface StatsDeps {
  influx: InfluxTarget;
  registry: LoadedRegistry;
  /** The alerts open now (the alert manager's, rebuilt from the log at start-up). */
  openAlerts: () => Alert[];
  limits: EscalationLimits;
  now?: () => number;
  /** Whether the daily rollup (`alert_stat_1d`) is kept and may be read for long periods. */
  rollup?: boolean;
  /** Whether the offline rollup (`alert_offline_1d`) may be read too (default: as `rollup`; off to compare). */
  offlineRollup?: boolean;
  /** The duty shifts overlapping [from, to) (the relational store's); none listed without it. */
  shifts?: (from: number, to: number) => Promise<Shift[]>;
}

/** A validated query with its period settled. */
export type StatsPeriodQuery = StatsQuery & { from: number; to: number };

interface Where {
  /** The conditions of the alert measurements: a suffix of `WHERE <period>` ('' for none). */
  alert: string;
  /** Scope of the online rate: place and owner only (rule and level do not apply to a device). */
  offline: string;
}

/**
 * The conditions of a query. Each dimension is a tag in some measurements and
 * a field in others; InfluxQL reads `"x" = '…'` as whichever it is.
 */
function whereOf(q: StatsPeriodQuery): Where {
  const place: string[] = [];
  if (q.town) place.push(`"town" = ${influxString(q.town)}`);
  if (q.industry) place.push(`"industry" = ${influxString(q.industry)}`);
  if (q.tenant) place.push(`"tenant" = ${influxString(q.tenant)}`);
  if (q.kind) place.push(`"kind" = ${influxString(q.kind)}`);
  const alertOnly: string[] = [];
  if (q.rule) alertOnly.push(`"rule" = ${influxString(q.rule)}`);
  if (q.level) alertOnly.push(`"level" = ${influxString(q.level)}`);
  const and = (xs: string[]) => xs.map((x) => ` AND ${x}`).join('');
  return { alert: and([...place, ...alertOnly]), offline: and(place) };
}

const period = (from: number, to: number) => `time >= ${from}ms AND time < ${to}ms`;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Each row of each series as a record of its columns, with the series' tags. */
function rows(series: InfluxSeries[]): { tags: Record<string, string>; row: Record<string, unknown> }[] {
  const out: { tags: Record<string, string>; row: Record<string, unknown> }[] = [];
  for (const s of series) {
    for (const v of s.values) {
      const row: Record<string, unknown> = {};
      s.columns.forEach((c, i) => (row[c] = v[i]));
      out.push({ tags: s.tags ?? {}, row });
    }
  }
  return out;
}

/** A row of the durations rollup with its histograms parsed (once, though it counts for the total, a town and an industry). */
interface RolledRow {
  n: number;
  escd: number;
  ack: Histogram;
  res: Histogram;
}

function rolledRows(series: InfluxSeries): RolledRow[] {
  const [in_, ie, ia, ir] = ['n', 'escd', 'ack', 'res'].map((c) => series.columns.indexOf(c)) as [number, number, number, number];
  return series.values.map((v) => ({ n: num(v[in_]), escd: num(v[ie]), ack: histogramOf(v[ia]), res: histogramOf(v[ir]) }));
}

/** The durations of a set of resolved alerts, as read back: each series' rows appended. */
class Durations {
  n = 0;
  escalated = 0;
  readonly ack: number[] = [];
  readonly res: number[] = [];
  /** Set once a day of the rollup is added: the medians are then the histograms'. */
  private ackH: Histogram | null = null;
  private resH: Histogram | null = null;

  add(series: InfluxSeries): void {
    const [ia, ir, ie] = ['ack_s', 'res_s', 'escd'].map((c) => series.columns.indexOf(c)) as [number, number, number];
    for (const v of series.values) {
      this.n++;
      if (typeof v[ia] === 'number') this.ack.push(v[ia]);
      if (typeof v[ir] === 'number') this.res.push(v[ir]);
      if (v[ie] === 1) this.escalated++;
    }
  }

  /** Rows of `alert_stat_1d` (or `_1w`), parsed once by `rolledRows`. */
  addRolled(rows: readonly RolledRow[]): void {
    this.ackH ??= new Map();
    this.resH ??= new Map();
    for (const r of rows) {
      this.n += r.n;
      this.escalated += r.escd;
      for (const [bin, c] of r.ack) this.ackH.set(bin, (this.ackH.get(bin) ?? 0) + c);
      for (const [bin, c] of r.res) this.resH.set(bin, (this.resH.get(bin) ?? 0) + c);
    }
  }

  get mtta(): DurationStat {
    return this.ackH ? histogramStat(this.ackH, this.ack) : durationStat(this.ack);
  }

  get mttr(): DurationStat {
    return this.resH ? histogramStat(this.resH, this.res) : durationStat(this.res);
  }
}

/** Median and p90 as `durationStat` takes them, over the bins of a histogram and a few exact values besides. */
export function histogramStat(h: Histogram, exact: number[]): DurationStat {
  const all = new Map(h);
  for (const v of exact) all.set(binOf(v), (all.get(binOf(v)) ?? 0) + 1);
  const bins = [...all.entries()].sort((a, b) => a[0] - b[0]);
  const n = bins.reduce((t, [, c]) => t + c, 0);
  if (n === 0) return { n, medianS: null, p90S: null, approx: true };
  const at = (rank: number) => {
    let seen = 0;
    for (const [bin, c] of bins) if ((seen += c) > rank) return binValue(bin);
    return binValue(bins[bins.length - 1]![0]);
  };
  const mid = n >> 1;
  const medianS = n % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  return { n, medianS, p90S: at(Math.min(n - 1, Math.max(0, Math.floor(n * 0.9 + 0.5) - 1))), approx: true };
}

/**
 * Median and 90th percentile as InfluxQL defines them (so a Grafana panel on
 * `alert_stat` agrees): MEDIAN the middle value, the mean of the two middle
 * ones for an even count; PERCENTILE(90) nearest rank, ⌊0.9·n + 0.5⌋.
 */
export function durationStat(values: number[]): DurationStat {
  const n = values.length;
  if (n === 0) return { n, medianS: null, p90S: null };
  const s = Float64Array.from(values).sort();
  const mid = n >> 1;
  const medianS = n % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const rank = Math.floor(n * 0.9 + 0.5) - 1;
  return { n, medianS, p90S: s[Math.min(n - 1, Math.max(0, rank))]! };
}

const noDuration = (): DurationStat => ({ n: 0, medianS: null, p90S: null });

/**
 * Statistics of a period from InfluxDB's statistics measurements (see
 * alert-stat-line.ts): `alert_raised` for what was raised, `alert_stat` for
 * dispositions, MTTA, MTTR and escalations, `alert_judged` for the false
 * alarms, `alert_offline` for offline time; the alert manager for what is open now.
 * Medians and percentiles are InfluxDB's own (MEDIAN; PERCENTILE nearest rank).
 */
export async function computeStats(d: StatsDeps, q: StatsPeriodQuery): Promise<StatsAnswer> {
  const now = (d.now ?? Date.now)();
  const t0 = performance.now();
  const w = whereOf(q);
  const run = (sql: string) => influxQuery(d.influx, sql);
  const x = w.alert;
  // Two chains of queries, each one query after the other: on a small box InfluxDB answers six scans in a row sooner than
  // six at once (they compete for the same cores), but while this process parses one chain's answer InfluxDB reads the other's.
  // The offline time: a long period of the city, a town or an industry from the offline rollup for its whole days (exact).
  const offlineRead = readOffline(
    run,
    d.influx,
    q.from,
    q.to,
    w.offline,
    (d.offlineRollup ?? !!d.rollup) && q.to - q.from > ROLLUP_MIN_SPAN_MS && !q.tenant && !q.kind,
  );
  offlineRead.catch(() => undefined); // awaited below; a failure of the other chain first must not leave it unhandled
  // A long period without tenant, kind, rule or level filters counts its whole days from the count rollup (exact), the edges raw.
  const long = !!d.rollup && q.to - q.from > ROLLUP_MIN_SPAN_MS && !q.tenant && !q.kind && !q.rule && !q.level;
  const c0 = Math.ceil(q.from / DAY_MS) * DAY_MS;
  const c1 = long ? Math.min(Math.floor(q.to / DAY_MS) * DAY_MS, await countsRolledUntil(d.influx)) : 0;
  const counted = long && c1 > c0;
  const parts: [number, number][] = counted
    ? [
        [q.from, c0],
        [c1, q.to],
      ]
    : [[q.from, q.to]];
  const rolledCounts = counted
    ? countSeries(await readDays(run, d.influx, ALERT_COUNT_1D, '"raised", "disp", "judged"', c0, c1, `${x} GROUP BY "town", "industry"`))
    : { raised: [], disp: [], judged: [] };
  const rawCounts = async (sql: (p: string) => string) => {
    const out: InfluxSeries[] = [];
    for (const [a, b] of parts) if (a < b) out.push(...(await run(sql(period(a, b)))));
    return out;
  };
  const raised = [
    ...(await rawCounts((pp) => `SELECT count("n") AS n FROM "${ALERT_RAISED}" WHERE ${pp}${x} GROUP BY "town", "industry", "level"`)),
    ...rolledCounts.raised,
  ];
  // The durations themselves (three numbers a row), medians taken here: InfluxDB computes each MEDIAN and
  // PERCENTILE of a query by its own pass, which for the total, the towns and the industries is nine passes instead of one read.
  const rawDurations = (from: number, to: number) =>
    from >= to ? Promise.resolve([]) : run(`SELECT "ack_s", "res_s", "escd" FROM "${ALERT_STAT}" WHERE ${period(from, to)}${x} GROUP BY "town", "industry"`);
  // A long period of the whole city, a town or an industry reads its whole days from the daily rollup, the edges raw.
  let durations: InfluxSeries[];
  let rolled: InfluxSeries[] = [];
  if (long) {
    const d0 = Math.ceil(q.from / DAY_MS) * DAY_MS;
    const d1 = Math.min(Math.floor(q.to / DAY_MS) * DAY_MS, await rolledUntil(d.influx));
    if (d1 > d0) {
      rolled = await readDays(run, d.influx, ALERT_STAT_1D, '"n", "escd", "ack", "res"', d0, d1, `${x} GROUP BY "town", "industry"`);
      durations = [...(await rawDurations(q.from, d0)), ...(await rawDurations(d1, q.to))];
    } else durations = await rawDurations(q.from, q.to);
  } else durations = await rawDurations(q.from, q.to);
  const byDisp = [
    ...(await rawCounts((pp) => `SELECT count("n") AS n FROM "${ALERT_STAT}" WHERE ${pp}${x} GROUP BY "disposition", "by"`)),
    ...rolledCounts.disp,
  ];
  const judged = [
    ...(await rawCounts((pp) => `SELECT count("n") AS n FROM "${ALERT_JUDGED}" WHERE ${pp}${x} GROUP BY "rule", "model", "disposition"`)),
    ...rolledCounts.judged,
  ];
  const offline = await offlineRead;
  const queryMs = performance.now() - t0;
  const shifts = d.shifts ? await d.shifts(q.from, q.to) : [];

  const industryOf = (tenant: string) => d.registry.tenantsById.get(tenant)?.industry || NONE;
  const towns = new Map<string, StatsRankRow>();
  const industries = new Map<string, StatsRankRow>();
  const rankRow = (m: Map<string, StatsRankRow>, key: string) => {
    let r = m.get(key);
    if (!r) m.set(key, (r = { key, raised: 0, resolved: 0, mtta: noDuration(), mttr: noDuration(), escalated: 0 }));
    return r;
  };

  const byLevel: Record<string, number> = Object.fromEntries(LEVELS.map((l) => [l, 0]));
  let raisedTotal = 0;
  for (const { tags, row } of rows(raised)) {
    const n = num(row.n);
    raisedTotal += n;
    if (tags.level) byLevel[tags.level] = (byLevel[tags.level] ?? 0) + n;
    rankRow(towns, tags.town ?? NONE).raised += n;
    rankRow(industries, tags.industry ?? NONE).raised += n;
  }

  const sum = new Durations();
  const perTown = new Map<string, Durations>();
  const perIndustry = new Map<string, Durations>();
  const of = (m: Map<string, Durations>, k: string) => m.get(k) ?? m.set(k, new Durations()).get(k)!;
  for (const series of durations) {
    sum.add(series);
    of(perTown, series.tags?.town ?? NONE).add(series);
    of(perIndustry, series.tags?.industry ?? NONE).add(series);
  }
  for (const series of rolled) {
    const r = rolledRows(series);
    sum.addRolled(r);
    of(perTown, series.tags?.town ?? NONE).addRolled(r);
    of(perIndustry, series.tags?.industry ?? NONE).addRolled(r);
  }
  const fill = (per: Map<string, Durations>, m: Map<string, StatsRankRow>) => {
    for (const [key, v] of per)
      Object.assign(rankRow(m, key), { resolved: v.n, mtta: v.mtta, mttr: v.mttr, escalated: rankRow(m, key).escalated + v.escalated });
  };
  fill(perTown, towns);
  fill(perIndustry, industries);

  const byDisposition: Record<string, number> = {};
  let bySystem = 0;
  const fa = { rule: new Map<string, FalseAlarmRow>(), model: new Map<string, FalseAlarmRow>() };
  const faRow = (m: Map<string, FalseAlarmRow>, key: string) => {
    let r = m.get(key);
    if (!r) m.set(key, (r = { key, judged: 0, falseAlarms: 0, rate: null }));
    return r;
  };
  for (const { tags, row } of rows(byDisp)) {
    const n = num(row.n);
    const disp = tags.disposition ?? NONE;
    byDisposition[disp] = (byDisposition[disp] ?? 0) + n;
    if (tags.by === 'system') bySystem += n;
  }
  for (const { tags, row } of rows(judged)) {
    const n = num(row.n);
    // A raw row has both; the count rollup's rows one of the two (it keeps rules and models apart).
    const of = [
      tags.rule !== undefined || tags.model === undefined ? faRow(fa.rule, tags.rule ?? NONE) : null,
      tags.model !== undefined || tags.rule === undefined ? faRow(fa.model, tags.model ?? NONE) : null,
    ];
    for (const r of of) {
      if (!r) continue;
      r.judged += n;
      if (tags.disposition === 'false_alarm') r.falseAlarms += n;
    }
  }
  const faList = (m: Map<string, FalseAlarmRow>) =>
    [...m.values()]
      .map((r) => ({ ...r, rate: r.judged ? r.falseAlarms / r.judged : null }))
      .sort((a, b) => (b.rate ?? 0) - (a.rate ?? 0) || b.judged - a.judged || a.key.localeCompare(b.key));

  // What is open now comes from the alert manager, filtered like the queries.
  const inScope = (a: Alert) =>
    a.raisedAt >= q.from &&
    a.raisedAt < q.to &&
    (!q.town || a.town === q.town) &&
    (!q.tenant || a.tenant === q.tenant) &&
    (!q.kind || a.kind === q.kind) &&
    (!q.industry || industryOf(a.tenant) === q.industry);
  const open = d.openAlerts().filter((a) => isOpen(a.state));
  let openCount = 0;
  let overdue = 0;
  let escalatedOpen = 0;
  for (const a of open) {
    if (!inScope(a) || (q.rule && a.rule !== q.rule) || (q.level && a.level !== q.level)) continue;
    openCount++;
    if ((a.escalations ?? 0) > 0) {
      escalatedOpen++;
      rankRow(towns, a.town).escalated++;
      rankRow(industries, industryOf(a.tenant)).escalated++;
    }
    if (isOverdue(a, now, d.limits)) overdue++;
  }

  const online = onlineOf(d, q, now, offline, open);
  const slowest = (a: StatsRankRow, b: StatsRankRow) =>
    (b.mttr.medianS ?? -1) - (a.mttr.medianS ?? -1) || (b.mtta.medianS ?? -1) - (a.mtta.medianS ?? -1) || b.raised - a.raised || a.key.localeCompare(b.key);
  return {
    from: q.from,
    to: q.to,
    generatedAt: now,
    raised: { total: raisedTotal, byLevel },
    resolved: { total: sum.n, bySystem, byDisposition },
    mtta: sum.mtta,
    mttr: sum.mttr,
    escalated: sum.escalated + escalatedOpen,
    overdue,
    open: openCount,
    falseAlarms: { byRule: faList(fa.rule), byModel: faList(fa.model) },
    online,
    towns: [...towns.values()].sort(slowest),
    industries: [...industries.values()].sort(slowest),
    onDuty: shifts.slice(0, STATS_MAX_DUTY_ROWS).map((x) => ({ officer: x.officer, officerName: x.officerName, from: x.startedAt, to: x.endedAt })),
    onDutyTotal: shifts.length,
    queryMs: Math.round(queryMs * 10) / 10,
  };
}

/** Open past its deadline: unacknowledged past its level's limit since raised, or dispatched past the dispatch limit. */
export function isOverdue(a: Alert, now: number, limits: EscalationLimits): boolean {
  if (a.state === 'raised') return now - a.raisedAt > limits.minutes[a.level] * MIN;
  if (a.state === 'dispatched') return now - (a.dispatchedAt ?? a.raisedAt) > limits.dispatchOverdueMinutes * MIN;
  return false;
}

/**
 * 在线率: 1 − offline device-seconds / (devices in scope × seconds of the
 * period so far). Offline time is the offline alerts' (raised → resolved, or
 * now while open), clipped to the period.
 */
function onlineOf(d: StatsDeps, q: StatsPeriodQuery, now: number, tally: OfflineTally, open: Alert[]): StatsAnswer['online'] {
  const end = Math.min(q.to, now);
  const spanS = Math.max(0, (end - q.from) / 1000);
  let devices = 0;
  for (const dev of d.registry.byId.values()) {
    if (q.town && dev.town !== q.town) continue;
    if (q.tenant && dev.tenant !== q.tenant) continue;
    if (q.kind && dev.kind !== q.kind) continue;
    if (q.industry && (d.registry.tenantsById.get(dev.tenant)?.industry || NONE) !== q.industry) continue;
    devices++;
  }
  const add = (device: string, raisedAt: number, endAt: number) =>
    tally.add(device, 1, Math.max(0, (Math.min(endAt, end) - Math.max(raisedAt, q.from)) / 1000));
  for (const a of open) {
    if (a.rule !== OFFLINE_RULE_ID || a.raisedAt >= end) continue;
    const dev = d.registry.byId.get(a.device);
    if (!dev) continue;
    if ((q.town && dev.town !== q.town) || (q.tenant && dev.tenant !== q.tenant) || (q.kind && dev.kind !== q.kind)) continue;
    if (q.industry && (d.registry.tenantsById.get(dev.tenant)?.industry || NONE) !== q.industry) continue;
    add(a.device, a.raisedAt, now);
  }
  const { per, offlineS } = tally;
  const mostOffline: OfflineDeviceRow[] = [...per.entries()]
    .sort((a, b) => b[1].times - a[1].times || b[1].offlineS - a[1].offlineS || a[0].localeCompare(b[0]))
    .slice(0, MOST_OFFLINE_ROWS)
    .map(([device, r]) => {
      const dev = d.registry.byId.get(device);
      return { device, name: dev?.name ?? device, town: dev?.town ?? '', times: r.times, offlineS: Math.round(r.offlineS) };
    });
  const capacity = devices * spanS;
  return {
    devices,
    rate: capacity > 0 ? Math.max(0, Math.min(1, 1 - offlineS / capacity)) : null,
    offlineS: Math.round(offlineS),
    mostOffline,
  };
}
