/**
 * Duty shifts in PostgreSQL. One shift is on at a time (a unique index on
 * `on_duty`), one handover pending at a time (on `pending`); accepting a
 * handover ends one shift and starts the next in the same transaction, so
 * there is never a moment with two officers on duty or none in between.
 */
import { randomBytes } from 'node:crypto';
import type { Handover, HandoverSummary, Shift } from '@lifeline/core';
import { inTransaction, isUniqueViolation, ms, msOrNull, type Queryable, type StoreContext } from './store-context.js';
import type { ShiftStore } from './register-types.js';
import { StoreError } from './types.js';

const SHIFT_COLUMNS = 'id, user_id, officer, officer_name, started_at, ended_at, note';
const HANDOVER_COLUMNS =
  'id, shift_id, from_officer, from_name, to_officer, state, created_at, note, summary_json, accepted_at, accepted_by, accept_note, next_shift';
const HISTORY_DEFAULT_LIMIT = 100;

interface ShiftRow {
  id: string;
  user_id: string;
  officer: string;
  officer_name: string;
  started_at: string;
  ended_at: string | null;
  note: string | null;
}

interface HandoverRow {
  id: string;
  shift_id: string;
  from_officer: string;
  from_name: string;
  to_officer: string | null;
  state: Handover['state'];
  created_at: string;
  note: string | null;
  summary_json: string;
  accepted_at: string | null;
  accepted_by: string | null;
  accept_note: string | null;
  next_shift: string | null;
}

const toShift = (r: ShiftRow): Shift => ({
  id: r.id,
  userId: r.user_id,
  officer: r.officer,
  officerName: r.officer_name,
  startedAt: ms(r.started_at),
  endedAt: msOrNull(r.ended_at),
  note: r.note,
});

const toHandover = (r: HandoverRow): Handover => ({
  id: r.id,
  shift: r.shift_id,
  from: r.from_officer,
  fromName: r.from_name,
  to: r.to_officer,
  state: r.state,
  createdAt: ms(r.created_at),
  note: r.note,
  summary: JSON.parse(r.summary_json) as HandoverSummary,
  acceptedAt: msOrNull(r.accepted_at),
  acceptedBy: r.accepted_by,
  acceptNote: r.accept_note,
  nextShift: r.next_shift,
});

const newId = (prefix: string, t: number) => `${prefix}-${t.toString(36)}-${randomBytes(3).toString('hex')}`;

type Officer = { userId: string; username: string; displayName: string };

async function insertShift(c: Queryable, o: Officer, t: number, note: string | null): Promise<Shift> {
  const id = newId('sh', t);
  const r = await c.query<ShiftRow>(
    `INSERT INTO duty_shifts (id, user_id, officer, officer_name, started_at, note, on_duty) VALUES ($1, $2, $3, $4, $5, $6, 1) RETURNING ${SHIFT_COLUMNS}`,
    [id, o.userId, o.username, o.displayName, t, note],
  );
  return toShift(r.rows[0]!);
}

export function shiftStore(ctx: StoreContext): ShiftStore {
  const { pool, now } = ctx;
  const current = async (c: Queryable, lock = false) => {
    const r = await c.query<ShiftRow>(`SELECT ${SHIFT_COLUMNS} FROM duty_shifts WHERE on_duty = 1${lock ? ' FOR UPDATE' : ''}`);
    return r.rows[0] ? toShift(r.rows[0]) : undefined;
  };
  const pending = async (c: Queryable, lock = false) => {
    const r = await c.query<HandoverRow>(`SELECT ${HANDOVER_COLUMNS} FROM shift_handovers WHERE pending = 1${lock ? ' FOR UPDATE' : ''}`);
    return r.rows[0] ? toHandover(r.rows[0]) : undefined;
  };
  return {
    current: () => current(pool),
    pendingHandover: () => pending(pool),

    async start(o, note) {
      try {
        return await inTransaction(pool, async (c) => {
          const on = await current(c);
          if (on)
            throw new StoreError('conflict', `${on.officerName} (${on.officer}) is on duty: a shift changes hands by a handover the next officer accepts`);
          return insertShift(c, o, now(), note);
        });
      } catch (err) {
        // Two officers starting at the same moment: the unique index lets one through.
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'another officer has just started a shift');
        throw err;
      }
    },

    async handover(h) {
      try {
        return await inTransaction(pool, async (c) => {
          const on = await current(c, true);
          if (!on) throw new StoreError('conflict', 'nobody is on duty: start a shift instead');
          if (on.officer !== h.from) throw new StoreError('invalid', `only the officer on duty (${on.officer}) hands the shift over`);
          if (await pending(c)) throw new StoreError('conflict', 'a handover of this shift is already waiting for acceptance');
          const t = now();
          const r = await c.query<HandoverRow>(
            `INSERT INTO shift_handovers (id, shift_id, from_officer, from_name, to_officer, state, created_at, note, summary_json, pending)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, 1) RETURNING ${HANDOVER_COLUMNS}`,
            [newId('ho', t), on.id, on.officer, on.officerName, h.to, t, h.note, JSON.stringify(h.summary)],
          );
          return toHandover(r.rows[0]!);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new StoreError('conflict', 'a handover of this shift is already waiting for acceptance');
        throw err;
      }
    },

    accept(o, note) {
      return inTransaction(pool, async (c) => {
        const ho = await pending(c, true);
        if (!ho) throw new StoreError('conflict', 'no handover is waiting for acceptance');
        if (ho.from === o.username) throw new StoreError('invalid', 'the officer handing over cannot accept their own handover');
        if (ho.to !== null && ho.to !== o.username) throw new StoreError('invalid', `this handover is to ${ho.to}`);
        const t = now();
        const ended = await c.query<ShiftRow>(`UPDATE duty_shifts SET ended_at = $2, on_duty = NULL WHERE id = $1 RETURNING ${SHIFT_COLUMNS}`, [ho.shift, t]);
        const started = await insertShift(c, o, t, note);
        const r = await c.query<HandoverRow>(
          `UPDATE shift_handovers SET state = 'accepted', pending = NULL, accepted_at = $2, accepted_by = $3, accept_note = $4, next_shift = $5
            WHERE id = $1 RETURNING ${HANDOVER_COLUMNS}`,
          [ho.id, t, o.username, note, started.id],
        );
        return { handover: toHandover(r.rows[0]!), ended: toShift(ended.rows[0]!), started };
      });
    },

    async dutyOfficerAt(time) {
      const r = await pool.query<ShiftRow>(
        `SELECT ${SHIFT_COLUMNS} FROM duty_shifts WHERE started_at <= $1 AND (ended_at IS NULL OR ended_at > $1) ORDER BY started_at DESC FETCH FIRST 1 ROWS ONLY`,
        [time],
      );
      return r.rows[0] ? toShift(r.rows[0]) : undefined;
    },

    async inPeriod(from, to) {
      const r = await pool.query<ShiftRow>(
        `SELECT ${SHIFT_COLUMNS} FROM duty_shifts WHERE started_at < $2 AND (ended_at IS NULL OR ended_at > $1) ORDER BY started_at, id`,
        [from, to],
      );
      return r.rows.map(toShift);
    },

    async history(q) {
      const limit = Math.min(q.limit ?? HISTORY_DEFAULT_LIMIT, 1000);
      const from = q.from ?? 0;
      const to = q.to ?? Number.MAX_SAFE_INTEGER;
      const [shifts, handovers] = await Promise.all([
        pool.query<ShiftRow>(
          `SELECT ${SHIFT_COLUMNS} FROM duty_shifts WHERE started_at < $2 AND (ended_at IS NULL OR ended_at > $1) ORDER BY started_at DESC, id DESC FETCH FIRST ${limit} ROWS ONLY`,
          [from, to],
        ),
        pool.query<HandoverRow>(
          `SELECT ${HANDOVER_COLUMNS} FROM shift_handovers WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at DESC, id DESC FETCH FIRST ${limit} ROWS ONLY`,
          [from, to],
        ),
      ]);
      return { shifts: shifts.rows.map(toShift), handovers: handovers.rows.map(toHandover) };
    },
  };
}
