/**
 * The hazard register in PostgreSQL: one row per hazard, its history in
 * `hazard_events`. Every change of state is one transaction that locks the
 * row, checks the state it starts from and writes the history line with it.
 */
import { randomBytes } from 'node:crypto';
import { OPEN_HAZARD_STATES, type Hazard, type HazardEvent, type HazardQuery, type HazardState } from '@lifeline/core';
import { inTransaction, ms, msOrNull, type Queryable, type StoreContext } from './store-context.js';
import type { HazardStore, HazardSummaryRow } from './register-types.js';

export const HAZARD_LIST_DEFAULT_LIMIT = 500;

const COLUMNS = `id, source, source_ref, tenant, department, unit_name, town, industry, device, level, state, description, deadline,
  created_at, created_by, updated_at, reported_at, signed_off_at, signed_off_by, escalations, escalated_at`;

interface HazardRow {
  id: string;
  source: Hazard['source'];
  source_ref: string | null;
  tenant: string | null;
  department: string | null;
  unit_name: string;
  town: string;
  industry: string | null;
  device: string | null;
  level: Hazard['level'];
  state: HazardState;
  description: string;
  deadline: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  reported_at: string | null;
  signed_off_at: string | null;
  signed_off_by: string | null;
  escalations: number;
  escalated_at: string | null;
}

interface EventRow {
  id: string;
  hazard_id: string;
  occurred_at: string;
  actor: string;
  action: HazardEvent['action'];
  from_state: HazardState | null;
  to_state: HazardState;
  note: string | null;
  attachments: string;
}

function toHazard(r: HazardRow): Hazard {
  return {
    id: r.id,
    source: r.source,
    sourceRef: r.source_ref,
    tenant: r.tenant,
    department: r.department,
    unitName: r.unit_name,
    town: r.town,
    industry: r.industry,
    device: r.device,
    level: r.level,
    state: r.state,
    description: r.description,
    deadline: ms(r.deadline),
    createdAt: ms(r.created_at),
    createdBy: r.created_by,
    updatedAt: ms(r.updated_at),
    reportedAt: msOrNull(r.reported_at),
    signedOffAt: msOrNull(r.signed_off_at),
    signedOffBy: r.signed_off_by,
    escalations: Number(r.escalations),
    escalatedAt: msOrNull(r.escalated_at),
  };
}

function toEvent(r: EventRow): HazardEvent {
  let attachments: string[] = [];
  try {
    const parsed = JSON.parse(r.attachments) as unknown;
    if (Array.isArray(parsed)) attachments = parsed.filter((x): x is string => typeof x === 'string');
  } catch {
    // A row written by hand with bad JSON still shows its note.
  }
  return {
    id: String(r.id),
    hazard: r.hazard_id,
    at: ms(r.occurred_at),
    actor: r.actor,
    action: r.action,
    from: r.from_state,
    to: r.to_state,
    note: r.note,
    attachments,
  };
}

const OPEN_IN = `(${OPEN_HAZARD_STATES.map((s) => `'${s}'`).join(', ')})`;

/** WHERE clause and values of a list query; `now` decides what is overdue. */
function filters(q: HazardQuery, now: number): { where: string; values: unknown[] } {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (q.state === 'open') where.push(`state IN ${OPEN_IN}`);
  else if (q.state === 'overdue') {
    where.push(`state IN ${OPEN_IN}`);
    add('deadline < ?', now);
  } else if (q.state !== undefined) add('state = ?', q.state);
  if (q.level !== undefined) add('level = ?', q.level);
  if (q.source !== undefined) add('source = ?', q.source);
  if (q.tenant !== undefined) add('tenant = ?', q.tenant);
  if (q.department !== undefined) add('department = ?', q.department);
  if (q.town !== undefined) add('town = ?', q.town);
  if (q.industry !== undefined) add('industry = ?', q.industry);
  if (q.from !== undefined) add('deadline >= ?', q.from);
  if (q.to !== undefined) add('deadline < ?', q.to);
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', values };
}

async function insertEvent(
  c: Queryable,
  e: {
    hazard: string;
    at: number;
    actor: string;
    action: HazardEvent['action'];
    from: HazardState | null;
    to: HazardState;
    note?: string | null;
    attachments?: string[];
  },
): Promise<HazardEvent> {
  const r = await c.query<EventRow>(
    `INSERT INTO hazard_events (hazard_id, occurred_at, actor, action, from_state, to_state, note, attachments)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     RETURNING id, hazard_id, occurred_at, actor, action, from_state, to_state, note, attachments`,
    [e.hazard, e.at, e.actor, e.action, e.from, e.to, e.note ?? null, JSON.stringify(e.attachments ?? [])],
  );
  return toEvent(r.rows[0]!);
}

export function hazardStore(ctx: StoreContext): HazardStore {
  const { pool, now } = ctx;
  const getWith = async (c: Queryable, id: string, lock = false): Promise<Hazard | undefined> => {
    const r = await c.query<HazardRow>(`SELECT ${COLUMNS} FROM hazards WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return r.rows[0] ? toHazard(r.rows[0]) : undefined;
  };
  return {
    create(h, beforeCommit) {
      const t = now();
      const id = `hz-${t.toString(36)}-${randomBytes(3).toString('hex')}`;
      return inTransaction(pool, async (c) => {
        await c.query(
          `INSERT INTO hazards (id, source, source_ref, tenant, department, unit_name, town, industry, device, level, state, description, deadline,
             created_at, created_by, updated_at, escalations, escalate_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12, $13, $14, $13, 0, $12)`,
          [id, h.source, h.sourceRef, h.tenant, h.department, h.unitName, h.town, h.industry, h.device, h.level, h.description, h.deadline, t, h.actor],
        );
        const event = await insertEvent(c, { hazard: id, at: t, actor: h.actor, action: 'created', from: null, to: 'open', note: h.description });
        const hazard = (await getWith(c, id))!;
        // Whatever must happen with it (an alert resolved) happens before COMMIT: a throw there leaves no hazard behind.
        beforeCommit?.(hazard);
        return { hazard, event };
      });
    },

    get: (id) => getWith(pool, id),

    async list(q, at) {
      const { where, values } = filters(q, at);
      const limit = Math.min(q.limit ?? HAZARD_LIST_DEFAULT_LIMIT, 5000);
      const [items, counts] = await Promise.all([
        pool.query<HazardRow>(`SELECT ${COLUMNS} FROM hazards ${where} ORDER BY created_at DESC, id DESC FETCH FIRST ${limit} ROWS ONLY`, values),
        pool.query<{ total: string; overdue: string | null }>(
          `SELECT COUNT(*) AS total, SUM(CASE WHEN state IN ${OPEN_IN} AND deadline < $${values.length + 1} THEN 1 ELSE 0 END) AS overdue FROM hazards ${where}`,
          [...values, at],
        ),
      ]);
      return { total: Number(counts.rows[0]?.total ?? 0), overdue: Number(counts.rows[0]?.overdue ?? 0), items: items.rows.map(toHazard) };
    },

    async summary(by, q, at) {
      const { where, values } = filters(q, at);
      const key = by === 'unit' ? 'COALESCE(tenant, department)' : by;
      const n = values.length + 1;
      const r = await pool.query<{ k: string | null; unit: string | null; total: string; open: string; overdue: string; major: string; signed_off: string }>(
        `SELECT ${key} AS k, MIN(unit_name) AS unit, COUNT(*) AS total,
                SUM(CASE WHEN state IN ${OPEN_IN} THEN 1 ELSE 0 END) AS open,
                SUM(CASE WHEN state IN ${OPEN_IN} AND deadline < $${n} THEN 1 ELSE 0 END) AS overdue,
                SUM(CASE WHEN state IN ${OPEN_IN} AND level = 'major' THEN 1 ELSE 0 END) AS major,
                SUM(CASE WHEN state = 'signed_off' THEN 1 ELSE 0 END) AS signed_off
           FROM hazards ${where} GROUP BY ${key} ORDER BY overdue DESC, open DESC, k`,
        [...values, at],
      );
      return r.rows.map((row): HazardSummaryRow => ({
        key: row.k,
        label: by === 'unit' ? (row.unit ?? row.k ?? '') : (row.k ?? ''),
        total: Number(row.total),
        open: Number(row.open),
        overdue: Number(row.overdue),
        major: Number(row.major),
        signedOff: Number(row.signed_off),
      }));
    },

    async history(id) {
      const r = await pool.query<EventRow>(
        'SELECT id, hazard_id, occurred_at, actor, action, from_state, to_state, note, attachments FROM hazard_events WHERE hazard_id = $1 ORDER BY id',
        [id],
      );
      return r.rows.map(toEvent);
    },

    change(id, ch) {
      return inTransaction(pool, async (c) => {
        const before = await getWith(c, id, true);
        if (!before) return undefined;
        if (!ch.from.includes(before.state)) return { refused: before.state };
        const t = now();
        const signedOff = ch.to === 'signed_off';
        await c.query(
          `UPDATE hazards SET state = $2, updated_at = $3,
              reported_at = CASE WHEN $6 THEN $3 ELSE reported_at END,
              signed_off_at = CASE WHEN $4 THEN $3 ELSE signed_off_at END,
              signed_off_by = CASE WHEN $4 THEN $5 ELSE signed_off_by END,
              escalate_at = CASE WHEN $4 THEN NULL ELSE escalate_at END
            WHERE id = $1`,
          [id, ch.to, t, signedOff, ch.actor, ch.to === 'reported'],
        );
        const event = await insertEvent(c, {
          hazard: id,
          at: t,
          actor: ch.actor,
          action: ch.action,
          from: before.state,
          to: ch.to,
          note: ch.note,
          attachments: ch.attachments,
        });
        return { hazard: (await getWith(c, id))!, event, before };
      });
    },

    extend(id, e) {
      return inTransaction(pool, async (c) => {
        const before = await getWith(c, id, true);
        if (!before) return undefined;
        if (before.state === 'signed_off') return { refused: before.state };
        if (e.deadline <= before.deadline) return { notLater: before.deadline };
        const t = now();
        // The next escalation (督办) at the new deadline; the count of those before stays.
        await c.query('UPDATE hazards SET deadline = $2, escalate_at = $2, updated_at = $3 WHERE id = $1', [id, e.deadline, t]);
        const event = await insertEvent(c, {
          hazard: id,
          at: t,
          actor: e.actor,
          action: 'extended',
          from: before.state,
          to: before.state,
          note: e.note(before.deadline),
        });
        return { hazard: (await getWith(c, id))!, event, before };
      });
    },

    async due(at, limit) {
      const r = await pool.query<HazardRow>(
        `SELECT ${COLUMNS} FROM hazards WHERE escalate_at <= $1 ORDER BY escalate_at FETCH FIRST ${Math.max(1, limit)} ROWS ONLY`,
        [at],
      );
      return r.rows.map(toHazard);
    },

    escalated(id, at, next, note) {
      return inTransaction(pool, async (c) => {
        // Only if still due: a sign-off or another checker in between wins.
        const r = await c.query<{ state: HazardState }>(
          `UPDATE hazards SET escalations = escalations + 1, escalated_at = $2, escalate_at = $3, updated_at = $2
            WHERE id = $1 AND escalate_at IS NOT NULL AND escalate_at <= $2 RETURNING state`,
          [id, at, next],
        );
        const state = r.rows[0]?.state;
        if (!state) return undefined;
        const event = await insertEvent(c, { hazard: id, at, actor: 'system', action: 'escalated', from: state, to: state, note });
        return { hazard: (await getWith(c, id))!, event };
      });
    },

    async counts(at) {
      const r = await pool.query<{ open: string | null; overdue: string | null; major: string | null }>(
        `SELECT COUNT(*) AS open, SUM(CASE WHEN deadline < $1 THEN 1 ELSE 0 END) AS overdue, SUM(CASE WHEN level = 'major' THEN 1 ELSE 0 END) AS major
           FROM hazards WHERE state IN ${OPEN_IN}`,
        [at],
      );
      const row = r.rows[0];
      return { open: Number(row?.open ?? 0), overdue: Number(row?.overdue ?? 0), major: Number(row?.major ?? 0) };
    },
  };
}
