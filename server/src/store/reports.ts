/**
 * Reports kept (报表): one row per kind and period, with what it says (JSON)
 * and its workbook's bytes. Generating a period again replaces its row.
 */
import { randomBytes } from 'node:crypto';
import { reportContent, type ReportContent, type ReportEntry, type ReportKind } from '@lifeline/core';
import { inTransaction, ms, type StoreContext } from './store-context.js';

export const REPORT_LIST_DEFAULT_LIMIT = 100;

export interface StoredReport {
  entry: ReportEntry;
  content: ReportContent;
}

export interface ReportStore {
  /** Keeps the report of its period, replacing one made before for the same kind and period. */
  save(content: ReportContent, workbook: Buffer, createdBy: string): Promise<ReportEntry>;
  /** Newest period first. */
  list(q: { kind?: ReportKind; limit?: number }): Promise<ReportEntry[]>;
  get(id: string): Promise<StoredReport | undefined>;
  workbook(id: string): Promise<{ entry: ReportEntry; bytes: Buffer } | undefined>;
  /** Whether the report of this kind and period start is kept (the scheduler's catch-up). */
  has(kind: ReportKind, periodStart: number): Promise<boolean>;
}

interface ReportRow {
  id: string;
  kind: ReportKind;
  title: string;
  period_start: string;
  period_end: string;
  period_label: string;
  created_at: string;
  created_by: string;
  bytes: number;
}

const ENTRY_COLUMNS = 'id, kind, title, period_start, period_end, period_label, created_at, created_by, bytes';

function toEntry(r: ReportRow): ReportEntry {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    periodStart: ms(r.period_start),
    periodEnd: ms(r.period_end),
    periodLabel: r.period_label,
    createdAt: ms(r.created_at),
    createdBy: r.created_by,
    bytes: Number(r.bytes),
  };
}

export function reportStore(ctx: StoreContext): ReportStore {
  return {
    async save(content, workbook, createdBy) {
      const id = `r-${ctx.now().toString(36)}-${randomBytes(4).toString('hex')}`;
      const row = [
        id,
        content.kind,
        content.title,
        content.periodStart,
        content.periodEnd,
        content.periodLabel,
        ctx.now(),
        createdBy,
        JSON.stringify(content),
        workbook,
        workbook.length,
      ];
      return inTransaction(ctx.pool, async (c) => {
        await c.query('DELETE FROM reports WHERE kind = $1 AND period_start = $2', [content.kind, content.periodStart]);
        const r = await c.query<ReportRow>(
          `INSERT INTO reports (id, kind, title, period_start, period_end, period_label, created_at, created_by, content, workbook, bytes)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ${ENTRY_COLUMNS}`,
          row,
        );
        return toEntry(r.rows[0]!);
      });
    },
    async list(q) {
      const limit = q.limit ?? REPORT_LIST_DEFAULT_LIMIT;
      const r = q.kind
        ? await ctx.pool.query<ReportRow>(`SELECT ${ENTRY_COLUMNS} FROM reports WHERE kind = $1 ORDER BY period_start DESC, kind LIMIT $2`, [q.kind, limit])
        : await ctx.pool.query<ReportRow>(`SELECT ${ENTRY_COLUMNS} FROM reports ORDER BY period_start DESC, kind LIMIT $1`, [limit]);
      return r.rows.map(toEntry);
    },
    async get(id) {
      const r = await ctx.pool.query<ReportRow & { content: string }>(`SELECT ${ENTRY_COLUMNS}, content FROM reports WHERE id = $1`, [id]);
      const row = r.rows[0];
      if (!row) return undefined;
      return { entry: toEntry(row), content: reportContent.parse(JSON.parse(row.content), `report ${id}`) };
    },
    async workbook(id) {
      const r = await ctx.pool.query<ReportRow & { workbook: Buffer }>(`SELECT ${ENTRY_COLUMNS}, workbook FROM reports WHERE id = $1`, [id]);
      const row = r.rows[0];
      return row ? { entry: toEntry(row), bytes: row.workbook } : undefined;
    },
    async has(kind, periodStart) {
      const r = await ctx.pool.query('SELECT 1 FROM reports WHERE kind = $1 AND period_start = $2', [kind, periodStart]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}
