/**
 * Statistics at city scale: a year of synthetic alert history for a
 * 100k-device city loaded into a fresh InfluxDB database in the platform's own
 * layout (the statistics' points as the alert log writes them beside its
 * entries: alert_raised, alert_stat, alert_judged, alert_offline; with
 * --with-log the log's own alert_event too, a series per device), then `computeStats` (what `/api/stats` runs) timed over a day, a week,
 * a month and the year, unfiltered and filtered, each repeated; prints the
 * median and the spread (min–max) of the repeats.
 *
 *   npm run bench -- --part stats [--devices 100000] [--alerts-per-day 2000] [--days 365] [--runs 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LEVELS, type Alert, type Disposition } from '@lifeline/core';
import { checkRegistry, ensureDatabase, influxIdent, influxQuery, influxWrite, toLine, type InfluxTarget } from '@lifeline/core/node';
import { buildCity } from '@lifeline/simulators/dist/generate-registry.js';
import { statLines, type StatLookups } from '@lifeline/server/dist/stats/alert-stat-line.js';
import { computeStats, type StatsPeriodQuery } from '@lifeline/server/dist/stats/stats-query.js';
import { DailyRollup } from '@lifeline/server/dist/stats/daily-rollup.js';
import { DEFAULT_ESCALATION } from '@lifeline/server/dist/alerts/alert-manager.js';
import { parseFlags } from './lib/flags.js';
import { figure, median, round, say } from './lib/report.js';
import { startServices, stopServices } from './lib/services.js';

const flags = parseFlags(
  {
    part: { doc: 'accepted for `npm run bench -- --part stats`; only "stats" runs here', default: 'stats' },
    devices: { doc: 'devices in the synthetic city', default: 100_000 },
    alertsPerDay: { doc: 'alerts raised per day across the city', default: 2000 },
    days: { doc: 'days of history, ending now', default: 365 },
    runs: { doc: 'repeats of each query', default: 5 },
    influxUrl: { doc: 'an InfluxDB to use (empty: start one with scripts/services.sh)', default: '' },
    batch: { doc: 'lines per write request', default: 5000 },
    keep: { doc: 'keep the database afterwards (to query it by hand)', default: false },
    noRollup: { doc: 'read every resolved alert, as without the daily rollup', default: false },
    noOfflineRollup: { doc: 'read every offline alert of the period, as without the offline rollup (alert_offline_1d)', default: false },
    reuse: { doc: 'query this database, loaded by an earlier run with the same flags and --keep, instead of loading a new one', default: '' },
    withLog: { doc: 'also write the alert log (alert_event, a series per device and rule: slow to load, read by none of the queries)', default: false },
  },
  process.argv.slice(2),
  'bench/stats-scale.ts: /api/stats over a year of alert history at city scale',
);

const DAY = 86_400_000;
const DISPOSITIONS: Disposition[] = ['real', 'false_alarm', 'false_alarm', 'device_fault', 'test', 'other', 'real', 'real'];

/** A small deterministic generator (the history is the same run to run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function main(): Promise<void> {
  let dir: string | null = null;
  let influxUrl = flags.influxUrl;
  if (!influxUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-stats-'));
    say('starting InfluxDB (scripts/services.sh)');
    influxUrl = (await startServices(dir)).influxUrl;
  }
  try {
    await run(influxUrl);
  } finally {
    if (dir) {
      stopServices(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function load(influx: InfluxTarget, registry: ReturnType<typeof checkRegistry>, lookups: StatLookups, now: number): Promise<void> {
  const devices = [...registry.byId.values()];
  const rand = rng(20261202);
  const start = now - flags.days * DAY;
  const total = flags.alertsPerDay * flags.days;
  say(`writing ${total} alerts over ${flags.days} days into ${influx.db}`);
  const t0 = performance.now();
  let buf: string[] = [];
  let points = 0;
  let lastTs = 0;
  const flush = async () => {
    if (buf.length) await influxWrite(influx, buf);
    points += buf.length;
    buf = [];
  };
  for (let i = 0; i < total; i++) {
    const dev = devices[Math.floor(rand() * devices.length)]!;
    const offline = rand() < 0.25;
    const level = offline ? 'yellow' : LEVELS[Math.floor(rand() * LEVELS.length)]!;
    const raisedAt = Math.max(start + Math.floor((i / total) * flags.days * DAY), lastTs + 1);
    lastTs = raisedAt;
    const ackS = offline ? undefined : 20 + Math.floor(rand() * 1800);
    const resS = (ackS ?? 0) + 60 + Math.floor(rand() * 7200);
    const a: Alert = {
      id: `${raisedAt.toString(36)}-${i.toString(16)}`,
      device: dev.id,
      tenant: dev.tenant,
      kind: dev.kind,
      name: dev.name,
      town: dev.town,
      lon: dev.lon,
      lat: dev.lat,
      rule: offline ? 'offline' : `${dev.kind}_rule_${Math.floor(rand() * 3)}`,
      ruleType: offline ? 'offline' : 'threshold',
      level,
      state: 'resolved',
      count: 1,
      raisedAt,
      updatedAt: raisedAt + resS * 1000,
      clearedAt: null,
      ...(ackS !== undefined ? { acknowledgedAt: raisedAt + ackS * 1000, acknowledgedBy: 'duty' } : {}),
      resolvedAt: raisedAt + resS * 1000,
      resolvedBy: offline ? 'system' : 'duty',
      ...(offline ? {} : { disposition: DISPOSITIONS[Math.floor(rand() * DISPOSITIONS.length)]! }),
      escalations: rand() < 0.1 ? 1 : 0,
    };
    const tags = { tenant: a.tenant, device: a.device, kind: a.kind, town: a.town, rule: a.rule, level: a.level };
    if (flags.withLog) {
      // The log's entries; the raised one with the alert's JSON, as the real log has it (what a naive scan would read).
      buf.push(toLine('alert_event', { ...tags, action: 'raised' }, { alert_id: a.id, state: 'raised', count: { int: 1 }, json: JSON.stringify(a) }, raisedAt));
      if (a.acknowledgedAt)
        buf.push(toLine('alert_event', { ...tags, action: 'acknowledged' }, { alert_id: a.id, state: 'acknowledged', count: { int: 1 } }, a.acknowledgedAt));
      buf.push(toLine('alert_event', { ...tags, action: 'resolved' }, { alert_id: a.id, state: 'resolved', count: { int: 1 } }, a.resolvedAt!));
    }
    // What the platform writes beside the log: at the raise, and at the resolution.
    buf.push(...statLines(a, 'raised', raisedAt, lookups), ...statLines(a, 'resolved', a.resolvedAt!, lookups));
    if (buf.length >= flags.batch) await flush();
  }
  await flush();
  const loadS = (performance.now() - t0) / 1000;
  figure('stats.load.points', points);
  figure('stats.load.seconds', round(loadS, 1));
  figure('stats.load.points_per_s', Math.round(points / loadS));
  const series = await influxQuery(influx, 'SHOW SERIES CARDINALITY');
  figure('stats.series', String(series[0]?.values[0]?.[0] ?? '?'));
}

async function run(influxUrl: string): Promise<void> {
  say(`building a ${flags.devices}-device city`);
  const registry = checkRegistry(buildCity(flags.devices));
  const influx: InfluxTarget = { url: influxUrl, db: flags.reuse || `bench_stats_${Date.now().toString(36)}` };
  await ensureDatabase(influx);
  const lookups = { device: (id: string) => registry.byId.get(id), tenant: (id: string) => registry.tenantsById.get(id) };
  const now = Date.now();
  if (!flags.reuse) await load(influx, registry, lookups, now);
  else say(`querying ${influx.db} as loaded before`);
  // The daily rollup the platform keeps (an hourly job): made here for the whole loaded year, timed.
  const tr = performance.now();
  await new DailyRollup({ influx, write: (lines) => influxWrite(influx, lines), now: () => now }).run();
  figure('stats.rollup_backfill.seconds', round((performance.now() - tr) / 1000, 1));
  const towns = registry.towns;
  const industry = registry.tenants.find((t) => t.industry)?.industry;
  const cases: [string, Omit<StatsPeriodQuery, 'from' | 'to'>, number][] = [
    ['day', {}, 1],
    ['week', {}, 7],
    ['month', {}, 30],
    ['year', {}, flags.days],
    ['year.town', { town: towns[0]! }, flags.days],
    ['year.industry', industry ? { industry } : {}, flags.days],
    ['year.kind_level', { kind: 'gas', level: 'red' }, flags.days],
  ];
  const deps = {
    influx,
    registry,
    openAlerts: () => [],
    limits: DEFAULT_ESCALATION,
    now: () => now,
    rollup: !flags.noRollup,
    offlineRollup: !flags.noRollup && !flags.noOfflineRollup,
  };
  for (const [name, filter, days] of cases) {
    const q = { ...filter, from: now - days * DAY, to: now };
    const wall: number[] = [];
    let last = null as Awaited<ReturnType<typeof computeStats>> | null;
    await computeStats(deps, q); // warm: the first scan reads the shards from disk
    for (let r = 0; r < flags.runs; r++) {
      const t = performance.now();
      last = await computeStats(deps, q);
      wall.push(performance.now() - t);
    }
    figure(`stats.${name}.ms.median`, round(median(wall), 0));
    figure(`stats.${name}.ms.spread`, `${round(Math.min(...wall), 0)}–${round(Math.max(...wall), 0)}`);
    figure(`stats.${name}.alerts`, `${last!.raised.total} raised, ${last!.resolved.total} resolved, online ${((last!.online.rate ?? 0) * 100).toFixed(3)}%`);
    const m = (x: { medianS: number | null; p90S: number | null; approx?: boolean }) =>
      `${round(x.medianS ?? NaN, 1)}/${round(x.p90S ?? NaN, 1)} s${x.approx ? ' (rollup)' : ''}`;
    figure(`stats.${name}.mtta_mttr`, `MTTA ${m(last!.mtta)}, MTTR ${m(last!.mttr)}`);
  }
  if (flags.withLog) {
    // The naive path for comparison: reading every raised alert's JSON over the year.
    const t = performance.now();
    const raw = await influxQuery(influx, `SELECT "json" FROM "alert_event" WHERE "action" = 'raised' AND time >= ${now - flags.days * DAY}ms`);
    figure('stats.raw_json_year.ms', Math.round(performance.now() - t));
    figure(
      'stats.raw_json_year.rows',
      raw.reduce((n, s) => n + s.values.length, 0),
    );
  }
  if (flags.keep) say(`kept ${influx.db} at ${influx.url}`);
  else await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE ${influxIdent(influx.db)}` }) });
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
