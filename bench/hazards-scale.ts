/**
 * The hazard register at city scale: a fresh PostgreSQL database with
 * --hazards hazards (most signed off, some open, --due of them past their
 * deadline), then timed, each repeated --runs times: the escalation check's
 * query for what is due (and its plan: the index on the next escalation time),
 * a whole escalation check of the due ones (history, audit, the notifier
 * stubbed), the list of one town, the overdue count, the summaries per unit,
 * town and industry, and a 5,000-row CSV and .xlsx export. Prints medians.
 *
 *   node --import tsx bench/hazards-scale.ts [--hazards 100000] [--due 50] [--runs 5] [--database-url URL]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Hazard } from '@lifeline/core';
import { openStore } from '@lifeline/server/dist/store/open-store.js';
import { HazardEscalation } from '@lifeline/server/dist/hazards/hazard-escalation.js';
import { hazardsCsv, hazardsXlsx } from '@lifeline/server/dist/hazards/hazard-export.js';
import { AuditTrail } from '@lifeline/server/dist/auth/audit-trail.js';
import { parseFlags } from './lib/flags.js';
import { figure, median, round, say } from './lib/report.js';
import { startServices, stopServices } from './lib/services.js';

const flags = parseFlags(
  {
    hazards: { doc: 'hazards in the register', default: 100_000 },
    due: { doc: 'of them past their deadline and due to escalate', default: 50 },
    open: { doc: 'share of the rest still open (not yet due)', default: 0.2 },
    runs: { doc: 'repeats of each query', default: 5 },
    databaseUrl: { doc: 'a PostgreSQL server to use (empty: start one with scripts/services.sh); a database is created on it', default: '' },
  },
  process.argv.slice(2),
  'bench/hazards-scale.ts: the hazard register at city scale',
);

const TOWNS = ['太和镇', '太平镇', '山塘镇', '三坑镇', '龙颈镇', '禾云镇', '浸潭镇', '石潭镇'];
const INDUSTRIES = ['危化品', '燃气', '非煤矿山', '消防', '供水', null];
const HOUR = 3600_000;

async function timed<T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number; last: T }> {
  const times: number[] = [];
  let last!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    last = await fn();
    times.push(performance.now() - t0);
  }
  return { ms: round(median(times), 2), last };
}

async function main(): Promise<void> {
  const dir = flags.databaseUrl ? null : mkdtempSync(path.join(os.tmpdir(), 'lifeline-hazards-bench-'));
  const server = flags.databaseUrl || (await startServices(dir!)).databaseUrl;
  const admin = new pg.Pool({ connectionString: server, max: 1 });
  const db = `hazards_bench_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE ${db}`);
  const url = new URL(server);
  url.pathname = `/${db}`;
  const store = await openStore(url.toString());
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  try {
    const now = Date.now();
    say(`loading ${flags.hazards} hazards (${flags.due} due)`);
    const t0 = performance.now();
    const BATCH = 1000;
    for (let from = 0; from < flags.hazards; from += BATCH) {
      const rows: unknown[] = [];
      const values: string[] = [];
      for (let i = from; i < Math.min(flags.hazards, from + BATCH); i++) {
        const due = i < flags.due;
        const open = due || i % Math.round(1 / flags.open) === 0;
        const deadline = due ? now - (1 + (i % 48)) * HOUR : now + (1 + (i % 720)) * HOUR - (open ? 0 : 400 * 24 * HOUR);
        const tenant = i % 3 === 0 ? null : `ent-${String(1 + (i % 500)).padStart(3, '0')}`;
        const r = [
          `hz-bench-${i}`,
          i % 2 ? 'inspection' : 'alert',
          tenant,
          tenant ? null : `部门${i % 20}`,
          tenant ?? `部门${i % 20}`,
          TOWNS[i % TOWNS.length],
          tenant ? INDUSTRIES[i % INDUSTRIES.length] : null,
          i % 10 ? 'general' : 'major',
          open ? (i % 3 ? 'rectifying' : 'open') : 'signed_off',
          `隐患 ${i}：消防通道堵塞，配电房未设挡鼠板`,
          deadline,
          deadline - 30 * 24 * HOUR,
          open ? deadline : null,
        ];
        const base = rows.length;
        rows.push(...r);
        // updated_at = created_at (the 12th value).
        values.push(`(${r.map((_, k) => `$${base + k + 1}`).join(', ')}, 'bench', $${base + 12}, 0)`);
      }
      await pool.query(
        `INSERT INTO hazards (id, source, tenant, department, unit_name, town, industry, level, state, description, deadline, created_at, escalate_at, created_by, updated_at, escalations)
         VALUES ${values.join(', ')}`,
        rows,
      );
    }
    await pool.query('ANALYZE hazards');
    figure('hazards', flags.hazards);
    figure('load_s', round((performance.now() - t0) / 1000, 1), 's');

    const plan = await pool.query<{ 'QUERY PLAN': string }>(
      'EXPLAIN SELECT * FROM hazards WHERE escalate_at <= $1 ORDER BY escalate_at FETCH FIRST 100 ROWS ONLY',
      [now],
    );
    figure('due_plan', JSON.stringify(plan.rows.map((r) => r['QUERY PLAN'].trim()).join(' | ')));
    const due = await timed(flags.runs, () => store.hazards.due(now, 100));
    figure('due_query_ms', due.ms, 'ms');
    figure('due_found', due.last.length);

    let sent = 0;
    const escalation = new HazardEscalation({
      hazards: store.hazards,
      audit: new AuditTrail(store.audit),
      notify: () => void sent++,
      repeatMs: 24 * HOUR,
      checkMs: 60_000,
    });
    const c0 = performance.now();
    const escalated = await escalation.check();
    figure('escalation_check_ms', round(performance.now() - c0, 1), 'ms');
    figure('escalated', escalated);
    figure('notified', sent);
    const again = await timed(flags.runs, () => escalation.check());
    figure('escalation_check_nothing_due_ms', again.ms, 'ms');

    const town = await timed(flags.runs, () => store.hazards.list({ town: TOWNS[0], state: 'open', limit: 500 }, now));
    figure('list_town_open_ms', town.ms, 'ms');
    figure('list_town_open_total', town.last.total);
    const overdue = await timed(flags.runs, () => store.hazards.list({ state: 'overdue', limit: 500 }, now));
    figure('list_overdue_ms', overdue.ms, 'ms');
    figure('list_overdue_total', overdue.last.total);
    const tenant = await timed(flags.runs, () => store.hazards.list({ tenant: 'ent-007', limit: 500 }, now));
    figure('list_one_tenant_ms', tenant.ms, 'ms');
    for (const by of ['unit', 'town', 'industry'] as const) {
      const s = await timed(flags.runs, () => store.hazards.summary(by, {}, now));
      figure(`summary_${by}_ms`, s.ms, 'ms');
      figure(`summary_${by}_rows`, s.last.length);
    }
    const counts = await timed(flags.runs, () => store.hazards.counts(now));
    figure('handover_counts_ms', counts.ms, 'ms');

    const rows: Hazard[] = (await store.hazards.list({ limit: 5000 }, now)).items;
    const csv = await timed(flags.runs, async () => hazardsCsv(rows, now));
    figure('export_csv_5000_ms', csv.ms, 'ms');
    figure('export_csv_5000_kib', round(Buffer.byteLength(csv.last) / 1024, 0), 'KiB');
    const xlsx = await timed(flags.runs, () => hazardsXlsx(rows, now));
    figure('export_xlsx_5000_ms', xlsx.ms, 'ms');
    figure('export_xlsx_5000_kib', round(xlsx.last.length / 1024, 0), 'KiB');
  } finally {
    await pool.end();
    await store.close();
    await admin.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    await admin.end();
    if (dir) {
      stopServices(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
