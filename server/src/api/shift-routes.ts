import { Router } from 'express';
import {
  acceptHandoverBody,
  HANDOVER_ALERT_IDS_MAX,
  handoverBody,
  LEVELS,
  shiftQuery,
  startShiftBody,
  type HandoverSummary,
  type Level,
  type ShiftCurrent,
} from '@lifeline/core';
import type { AlertManager } from '../alerts/alert-manager.js';
import type { AuditTrail } from '../auth/audit-trail.js';
import { mustAuth, requirePermission, type AuthContext } from '../auth/http-auth.js';
import type { HazardStore, ShiftStore } from '../store/register-types.js';
import { StoreError } from '../store/types.js';
import { HttpError, numericQuery, validated } from './http-errors.js';

export interface ShiftRouteDeps {
  shifts: ShiftStore;
  hazards: HazardStore;
  alerts: Pick<AlertManager, 'list' | 'openCount'>;
  audit: AuditTrail;
  now?: () => number;
}

const officerOf = (a: AuthContext) => ({ userId: a.user.id, username: a.user.username, displayName: a.user.displayName });

/** A store's refusal as the HTTP answer it means. */
function refused(err: unknown): never {
  if (err instanceof StoreError) throw new HttpError(err.code === 'conflict' ? 409 : err.code === 'not_found' ? 404 : 400, err.message);
  throw err;
}

/**
 * `/api/shifts`: who is on duty (值班), the handover (交接班) with what is still
 * open, and its acceptance by the next officer, when the shift changes hands.
 */
export function shiftRouter(d: ShiftRouteDeps): Router {
  const r = Router();
  const now = d.now ?? Date.now;

  /**
   * What is still open now: every open alert counted by level (a handover is
   * rare: one pass over the open alerts), the most severe ids, and the open,
   * overdue and major hazards.
   */
  const summary = async (): Promise<HandoverSummary> => {
    // Most severe first, newest first within a level.
    const open = d.alerts.list({ state: 'open', limit: Math.max(1, d.alerts.openCount) });
    const byLevel = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
    for (const a of open) byLevel[a.level]++;
    const alertIds = open.slice(0, HANDOVER_ALERT_IDS_MAX).map((a) => a.id);
    return { alerts: { total: open.length, byLevel }, alertIds, hazards: await d.hazards.counts(now()) };
  };

  r.get('/shifts/current', requirePermission('shifts:read'), async (_req, res) => {
    const [shift, handover] = await Promise.all([d.shifts.current(), d.shifts.pendingHandover()]);
    const body: ShiftCurrent = { shift: shift ?? null, handover: handover ?? null };
    res.json(body);
  });

  r.get('/shifts', requirePermission('shifts:read'), async (req, res) => {
    const q = validated(shiftQuery, numericQuery({ ...req.query }, ['from', 'to', 'limit']), 'shift query');
    res.json(await d.shifts.history(q));
  });

  // What a handover would list, before starting one.
  r.get('/shifts/open-items', requirePermission('shifts:read'), async (_req, res) => {
    res.json(await summary());
  });

  r.post('/shifts/start', requirePermission('shifts:take'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(startShiftBody, req.body ?? {}, 'start shift body');
    const shift = await d.shifts.start(officerOf(a), b.note ?? null).catch(refused);
    await d.audit.record(req, a, { action: 'shift.start', target: shift.id, after: { officer: shift.officer, startedAt: shift.startedAt } });
    res.status(201).json(shift);
  });

  r.post('/shifts/handover', requirePermission('shifts:take'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(handoverBody, req.body ?? {}, 'handover body');
    if (b.to === a.user.username) throw new HttpError(400, 'invalid handover body', ['/to: a shift is handed to another officer']);
    const ho = await d.shifts.handover({ from: a.user.username, to: b.to ?? null, note: b.note ?? null, summary: await summary() }).catch(refused);
    await d.audit.record(req, a, {
      action: 'shift.handover',
      target: ho.id,
      after: { shift: ho.shift, to: ho.to, summary: ho.summary.alerts, hazards: ho.summary.hazards },
    });
    res.status(201).json(ho);
  });

  r.post('/shifts/accept', requirePermission('shifts:take'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(acceptHandoverBody, req.body ?? {}, 'accept body');
    const out = await d.shifts.accept(officerOf(a), b.note ?? null).catch(refused);
    await d.audit.record(req, a, {
      action: 'shift.accept',
      target: out.handover.id,
      before: { shift: out.ended.id, officer: out.ended.officer },
      after: { shift: out.started.id, officer: out.started.officer },
    });
    res.json(out);
  });

  return r;
}
