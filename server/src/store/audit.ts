/**
 * The audit log: who did what, to what, when, with what outcome. Append-only
 * by construction: this module has no statement that updates or deletes it.
 */
import type { AuditEntry } from '@lifeline/core';
import { ms, type StoreContext } from './store-context.js';
import { StoreError, type AuditStore } from './types.js';

export const AUDIT_LIST_DEFAULT_LIMIT = 200;
/** The most AuditQuery lets a reader ask for in one page. */
export const AUDIT_LIST_MAX_LIMIT = 5000;
const OUTCOMES = ['ok', 'denied', 'failed'] as const;

interface AuditRow {
  id: string;
  occurred_at: string;
  actor: string | null;
  actor_role: string | null;
  tenant: string | null;
  ip: string | null;
  session_id: string | null;
  action: string;
  target: string | null;
  before_json: string | null;
  after_json: string | null;
  outcome: AuditEntry['outcome'];
  detail: string | null;
}

/** undefined → NULL (absent), anything else as JSON; a value JSON cannot hold is recorded as its description. */
function toJson(v: unknown): string | null {
  if (v === undefined) return null;
  try {
    return JSON.stringify(v) ?? null;
  } catch (err) {
    return JSON.stringify({ unserializable: String((err as Error).message) });
  }
}

function fromJson(s: string | null): unknown {
  return s === null ? null : (JSON.parse(s) as unknown);
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: String(r.id),
    at: ms(r.occurred_at),
    actor: r.actor,
    role: r.actor_role,
    tenant: r.tenant,
    ip: r.ip,
    session: r.session_id,
    action: r.action,
    target: r.target,
    before: fromJson(r.before_json),
    after: fromJson(r.after_json),
    outcome: r.outcome,
    detail: r.detail,
  };
}

export function auditStore(ctx: StoreContext): AuditStore {
  const { pool, now } = ctx;
  return {
    async append(e) {
      if (typeof e.action !== 'string' || e.action === '') throw new StoreError('invalid', 'an audit entry needs an action');
      const outcome = e.outcome ?? 'ok';
      if (!OUTCOMES.includes(outcome)) throw new StoreError('invalid', `audit outcome must be one of ${OUTCOMES.join(', ')}`);
      await pool.query(
        `INSERT INTO audit_log (occurred_at, actor, actor_role, tenant, ip, session_id, action, target, before_json, after_json, outcome, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [e.at ?? now(), e.actor, e.role, e.tenant, e.ip, e.session, e.action, e.target, toJson(e.before), toJson(e.after), outcome, e.detail ?? null],
      );
    },

    async list(q) {
      const where: string[] = [];
      const values: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        values.push(v);
        where.push(sql.replace('?', `$${values.length}`));
      };
      if (q.actor !== undefined) add('actor = ?', q.actor);
      if (q.action !== undefined) add('action = ?', q.action);
      if (q.target !== undefined) add('target = ?', q.target);
      if (q.tenant !== undefined) add('tenant = ?', q.tenant);
      if (q.from !== undefined) add('occurred_at >= ?', q.from);
      if (q.to !== undefined) add('occurred_at <= ?', q.to);
      const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? AUDIT_LIST_DEFAULT_LIMIT)), AUDIT_LIST_MAX_LIMIT);
      values.push(limit);
      const r = await pool.query<AuditRow>(
        `SELECT id, occurred_at, actor, actor_role, tenant, ip, session_id, action, target, before_json, after_json, outcome, detail
           FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY occurred_at DESC, id DESC
          FETCH FIRST $${values.length} ROWS ONLY`,
        values,
      );
      return r.rows.map(toEntry);
    },
  };
}
