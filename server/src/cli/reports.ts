#!/usr/bin/env node
/**
 * `npm run reports -- …`: makes and lists the reports (日报/周报/月报) in the
 * same environment as `npm start` (DATABASE_URL, INFLUX_URL, REGISTRY_PATH,
 * REPORT_TIMEZONE), without a running platform: the open alerts are read
 * back from the alert log as the platform does at start-up.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { REPORT_KINDS, REPORT_MAX_ROWS, type ReportKind } from '@lifeline/core';
import { ConfigError, ensureDatabase, loadConfig, loadRegistry, setLogLevel, type InfluxTarget } from '@lifeline/core/node';
import { loadActiveAlerts } from '../alerts/alert-snapshot.js';
import { ReportService } from '../reports/report-service.js';
import { parseDay, periodOf } from '../reports/periods.js';
import { computeStats } from '../stats/stats-query.js';
import { openStore } from '../store/open-store.js';

const HELP = `Usage: npm run reports -- COMMAND [options]

  generate --day YYYY-MM-DD [--kind daily|weekly|monthly] [--out FILE.xlsx]
                         makes (or makes again) the report of the period that
                         contains the day (in REPORT_TIMEZONE), keeps it in the
                         store, and writes its workbook to FILE when given;
                         it is not sent (the platform sends the ones it makes)
  list [--kind K] [--limit N]
                         the kept reports, newest period first

Environment: DATABASE_URL (required), INFLUX_URL, INFLUX_DB, REGISTRY_PATH,
REPORT_TIMEZONE. Exit codes: 0 done, 1 failed, 2 usage.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values: o, positionals: pos } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { day: { type: 'string' }, kind: { type: 'string' }, out: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (o.help || pos.length === 0) {
    process.stdout.write(`${HELP}\n`);
    if (!o.help) process.exitCode = 2;
    return;
  }
  const kind = (o.kind ?? 'daily') as ReportKind;
  if (!REPORT_KINDS.includes(kind)) throw new UsageError(`--kind must be one of ${REPORT_KINDS.join(', ')}, got "${o.kind}"`);
  const config = loadConfig();
  setLogLevel(config.logLevel === 'info' ? 'warn' : config.logLevel);
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set: the reports are kept in PostgreSQL');
  const store = await openStore(config.databaseUrl, { poolSize: 2 });
  try {
    if (pos[0] === 'list') {
      const limit = o.limit === undefined ? undefined : Number(o.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw new UsageError('--limit must be an integer from 1 to 1000');
      for (const r of await store.reports.list({ kind: o.kind ? kind : undefined, limit }))
        process.stdout.write(`${r.id}\t${r.kind}\t${r.periodLabel}\t${r.bytes} bytes\t${new Date(r.createdAt).toISOString()}\t${r.title}\n`);
      return;
    }
    if (pos[0] !== 'generate') throw new UsageError(`unknown command "${pos[0]}" (--help lists them)`);
    if (!o.day) throw new UsageError('generate needs --day YYYY-MM-DD');
    let day;
    try {
      day = parseDay(o.day);
    } catch (err) {
      throw new UsageError(`--day: ${(err as Error).message}`);
    }
    const registry = loadRegistry(config.registryPath);
    const influx: InfluxTarget = { url: config.influxUrl, db: config.influxDb, username: config.influxUsername, password: config.influxPassword };
    // As the platform does: a fresh installation's database may not exist yet (its report is then all zeros).
    await ensureDatabase(influx);
    // The whole alert log (the platform's snapshot is its own): what the platform rebuilds without one.
    const open = (await loadActiveAlerts({ influx, days: config.alertLogDays, file: null })).alerts;
    const limits = { minutes: config.escalationMinutes, dispatchOverdueMinutes: config.dispatchOverdueMinutes };
    const service = new ReportService({
      store: store.reports,
      sources: {
        district: registry.district.name,
        // As the platform's: the rollups it keeps for long periods, and who was on duty.
        stats: (q) =>
          computeStats({ influx, registry, openAlerts: () => open, limits, rollup: true, shifts: (from, to) => store.shifts.inPeriod(from, to) }, q),
        openAlerts: () => open,
        overdueHazards: async (at) => {
          const r = await store.hazards.list({ state: 'overdue', limit: REPORT_MAX_ROWS }, at);
          return { total: r.total, items: r.items };
        },
        shifts: (from, to) => store.shifts.inPeriod(from, to),
      },
      timeZone: config.reportTimeZone,
      dailyHour: config.reportDailyHour,
      schedule: false,
    });
    const period = periodOf(kind, day, config.reportTimeZone);
    const { entry } = await service.make(period, 'cli', false);
    if (o.out) {
      const w = await store.reports.workbook(entry.id);
      writeFileSync(o.out, w!.bytes);
    }
    process.stdout.write(`${entry.id}\t${entry.kind}\t${entry.periodLabel}\t${entry.bytes} bytes\t${entry.title}${o.out ? `\t→ ${o.out}` : ''}\n`);
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const usage = err instanceof UsageError;
  process.stderr.write(`reports: ${(err as Error).message}\n`);
  process.exitCode = usage ? 2 : 1;
});
