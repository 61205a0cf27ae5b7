import { Router, type Request } from 'express';
import {
  HAZARD_GROUPS,
  HAZARD_TRANSITIONS,
  hazardProgressBody,
  hazardQuery,
  hazardExtendBody,
  hazardRejectBody,
  hazardSignOffBody,
  newHazardBody,
  type Hazard,
  type HazardCommand,
  type HazardDetail,
  type HazardList,
  type HazardQuery,
} from '@lifeline/core';
import type { AuditTrail } from '../auth/audit-trail.js';
import { inScope, mustAuth, mustBeAllowed, requirePermission, tenantScope, type AuthContext } from '../auth/http-auth.js';
import type { HazardRegister } from '../hazards/hazard-register.js';
import { hazardsCsv, hazardsXlsx } from '../hazards/hazard-export.js';
import type { HazardGroup } from '../store/register-types.js';
import { HttpError, numericQuery, param, validated } from './http-errors.js';

/** Rows an export may hold; a register larger than this is exported filtered (per town, per unit). */
export const HAZARD_EXPORT_MAX = 5000;
const FORMATS = ['json', 'csv', 'xlsx'] as const;

export interface HazardRouteDeps {
  register: HazardRegister;
  audit: AuditTrail;
  now?: () => number;
}

/** What the hazard's audit lines keep of it: enough to read the change, not the whole description. */
const brief = (h: Hazard) => ({ state: h.state, level: h.level, unit: h.tenant ?? h.department, deadline: h.deadline });

/**
 * `/api/hazards`: the register (隐患清单). An enterprise sees and updates only
 * its own tenant's hazards (another's is not there: 404) and never signs off.
 */
export function hazardRouter(d: HazardRouteDeps): Router {
  const r = Router();
  const now = d.now ?? Date.now;
  const store = d.register.store;

  const hazardFor = async (a: AuthContext, id: string): Promise<Hazard> => {
    const h = await store.get(id);
    // A department's hazard has no tenant: no enterprise sees it.
    if (!h || (tenantScope(a.user) !== null && (h.tenant === null || !inScope(a.user, h.tenant)))) throw new HttpError(404, `no hazard with id ${id}`);
    return h;
  };

  /** The list query, the format and grouping taken apart; an enterprise's own tenant whatever it asks. */
  const listQuery = (req: Request, extra: readonly string[]): { q: HazardQuery; rest: Record<string, unknown> } => {
    const raw = numericQuery({ ...req.query }, ['from', 'to', 'limit']);
    const rest: Record<string, unknown> = {};
    for (const k of extra) {
      rest[k] = raw[k];
      delete raw[k];
    }
    const q = validated(hazardQuery, raw, 'hazard query');
    const t = tenantScope(mustAuth(req).user);
    return { q: t === null ? q : { ...q, tenant: t }, rest };
  };

  r.get('/hazards', requirePermission('hazards:read'), async (req, res) => {
    const { q, rest } = listQuery(req, ['format']);
    const format = (rest.format ?? 'json') as string;
    if (!(FORMATS as readonly string[]).includes(format)) throw new HttpError(400, 'invalid hazard query', [`/format: must be one of ${FORMATS.join(', ')}`]);
    const t = now();
    if (format === 'json') {
      const list: HazardList = await store.list(q, t);
      res.json(list);
      return;
    }
    const list = await store.list({ ...q, limit: Math.min(q.limit ?? HAZARD_EXPORT_MAX, HAZARD_EXPORT_MAX) }, t);
    const name = `hazards-${new Date(t).toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
      res.send(hazardsCsv(list.items, t));
    } else {
      res.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader('content-disposition', `attachment; filename="${name}.xlsx"`);
      res.send(await hazardsXlsx(list.items, t));
    }
  });

  // Per unit, per town, per industry: counts of open, overdue, major and signed-off hazards, most overdue first.
  r.get('/hazards/summary', requirePermission('hazards:read'), async (req, res) => {
    const { q, rest } = listQuery(req, ['by']);
    const by = (rest.by ?? 'unit') as HazardGroup;
    if (!HAZARD_GROUPS.includes(by)) throw new HttpError(400, 'invalid hazard query', [`/by: must be one of ${HAZARD_GROUPS.join(', ')}`]);
    res.json(await store.summary(by, q, now()));
  });

  r.get('/hazards/:id', requirePermission('hazards:read'), async (req, res) => {
    const h = await hazardFor(mustAuth(req), param(req, 'id'));
    const detail: HazardDetail = { hazard: h, history: await store.history(h.id) };
    res.json(detail);
  });

  r.post('/hazards', requirePermission('hazards:create'), async (req, res) => {
    const a = mustAuth(req);
    const b = validated(newHazardBody, req.body ?? {}, 'hazard body');
    const { hazard } = await d.register.create(b, a.user.username);
    await d.audit.record(req, a, {
      action: 'hazard.create',
      target: hazard.id,
      after: { ...brief(hazard), source: hazard.source, sourceRef: hazard.sourceRef },
    });
    res.status(201).json(hazard);
  });

  /** One change by the logged-in person: role and tenant checked, the body validated, the change and the audit line written before the answer. */
  const command = (path: string, cmd: HazardCommand, body: (raw: unknown) => { note: string | null; attachments?: string[]; audit: object }) =>
    r.post(`/hazards/:id/${path}`, async (req, res) => {
      const a = mustAuth(req);
      const h = await hazardFor(a, param(req, 'id'));
      mustBeAllowed(a, HAZARD_TRANSITIONS[cmd].permission);
      const b = body(req.body ?? {});
      const out = await d.register.apply(h.id, cmd, a.user.username, b.note, b.attachments);
      await d.audit.record(req, a, { action: `hazard.${path}`, target: h.id, before: brief(out.before), after: { ...brief(out.hazard), ...b.audit } });
      res.json({ hazard: out.hazard, event: out.event });
    });
  command('progress', 'progress', (raw) => {
    const b = validated(hazardProgressBody, raw, 'progress body');
    return { note: b.note, attachments: b.attachments, audit: b };
  });
  command('report', 'report', (raw) => {
    const b = validated(hazardProgressBody, raw, 'report body');
    return { note: b.note, attachments: b.attachments, audit: b };
  });
  command('sign-off', 'sign_off', (raw) => {
    const b = validated(hazardSignOffBody, raw, 'sign-off body');
    return { note: b.note ?? null, audit: b };
  });
  command('reject', 'reject', (raw) => {
    const b = validated(hazardRejectBody, raw, 'reject body');
    return { note: b.reason, audit: b };
  });
  // 延期: a government reviewer moves the deadline (the next 督办 with it).
  r.post('/hazards/:id/extend', async (req, res) => {
    const a = mustAuth(req);
    const h = await hazardFor(a, param(req, 'id'));
    mustBeAllowed(a, 'hazards:signoff');
    const b = validated(hazardExtendBody, req.body ?? {}, 'extend body');
    const out = await d.register.extend(h.id, b, a.user.username, now());
    await d.audit.record(req, a, {
      action: 'hazard.extend',
      target: h.id,
      before: { ...brief(out.before), deadline: out.before.deadline },
      after: { ...brief(out.hazard), deadline: out.hazard.deadline, reason: b.reason },
    });
    res.json({ hazard: out.hazard, event: out.event });
  });

  return r;
}
