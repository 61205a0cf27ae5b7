import { Router, type Request } from 'express';
import {
  acknowledgeBody,
  alertQuery,
  auditQuery,
  closeBody,
  DEVICE_SILENCE_MAX_MS,
  deviceListQuery,
  dispatchBody,
  historyQuery,
  notificationQuery,
  resolveBody,
  silenceBody,
  can,
  transitionRefusal,
  type Alert,
  type Hazard,
  type DeadLetterList,
  type DeviceHistory,
  type DistrictMeta,
  type Health,
  type Permission,
  type Silence,
  type SpoolBacklog,
  type Validator,
  type NotificationList,
  type NotificationStats,
  type NotificationView,
  type TimelineEntry,
} from '@lifeline/core';
import type { Ingest } from '@lifeline/ingest';
import type { LoadedRegistry } from '@lifeline/core/node';
import type { AlertManager } from '../alerts/alert-manager.js';
import type { SilenceStore } from '../alerts/silences.js';
import type { AuditTrail } from '../auth/audit-trail.js';
import { authOf, inScope, mustAuth, mustBeAllowed, requirePermission, tenantScope, type AuthContext } from '../auth/http-auth.js';
import type { DeviceViews } from '../device-views.js';
import type { HazardRegister } from '../hazards/hazard-register.js';
import type { HistoryReader } from '../history.js';
import type { AuditStore } from '../store/types.js';
import { HttpError, numericQuery, param, validated } from './http-errors.js';
import { sendJsonArray } from './json-stream.js';

/** Active (not yet ended) silences the platform keeps; one more is refused. */
export const MAX_ACTIVE_SILENCES = 10_000;
/** Concurrent history queries to InfluxDB; beyond it a request answers 503 at once. */
export const MAX_HISTORY_QUERIES = 8;

export interface ApiDeps {
  registry: LoadedRegistry;
  ingest: Ingest;
  alerts: AlertManager;
  views: DeviceViews;
  history: HistoryReader;
  health: () => Promise<Health>;
  writerStats: () => Record<string, unknown>;
  /** What the spools hold that InfluxDB does not have yet. */
  backlog: () => { ingest: SpoolBacklog; alerts: SpoolBacklog };
  timeline: (alertId: string) => Promise<TimelineEntry[]>;
  notifications: { list(limit: number): NotificationView[]; stats: NotificationStats };
  silences: SilenceStore;
  audit: AuditTrail;
  auditLog: AuditStore;
  /** The hazard register: a real alert opens a hazard as it is resolved. */
  hazards: HazardRegister;
}

/** Thin routes: check who asks and what they may see, validate, call the stage, answer. */
export function apiRouter(d: ApiDeps): Router {
  const r = Router();
  const noDevice = (id: string) => new HttpError(404, `no device with id ${id}`);
  const noAlert = (id: string) => new HttpError(404, `no alert with id ${id}`);
  const siteTenants = new Map<string, Set<string>>();
  for (const dev of d.registry.byId.values()) if (dev.site) (siteTenants.get(dev.site) ?? siteTenants.set(dev.site, new Set()).get(dev.site)!).add(dev.tenant);

  /** The device, if it exists and the person may see it; another tenant's is simply not there (404). */
  const deviceFor = (a: AuthContext, id: string) => {
    const dev = d.registry.byId.get(id);
    if (!dev || !inScope(a.user, dev.tenant)) throw noDevice(id);
    return dev;
  };
  const alertFor = (a: AuthContext, id: string): Alert => {
    const al = d.alerts.get(id);
    if (!al || !inScope(a.user, al.tenant)) throw noAlert(id);
    return al;
  };
  const silenceVisible = (a: AuthContext, s: Silence): boolean => {
    const t = tenantScope(a.user);
    if (t === null) return true;
    if (s.device !== undefined) return d.registry.byId.get(s.device)?.tenant === t;
    if (s.site !== undefined) return siteTenants.get(s.site)?.has(t) ?? false;
    return s.tenant === t;
  };

  // Anonymous callers (a load balancer) learn only up or down; admins see the dependencies.
  r.get('/health', async (req, res) => {
    const h = await d.health();
    const a = authOf(req);
    res.status(h.status === 'ok' ? 200 : 503).json(a && can(a.user.role, 'metrics:read') ? h : { status: h.status });
  });

  r.get('/meta', (req, res) => {
    const a = mustAuth(req);
    const meta: DistrictMeta = {
      district: d.registry.district,
      towns: d.registry.towns,
      tenants: d.registry.tenants.filter((t) => inScope(a.user, t.id)).map((t) => ({ id: t.id, name: t.name, type: t.type })),
    };
    res.json(meta);
  });

  // A city's map asks for the compact form (columns): a fifth of the bytes, and no object per device to build or parse.
  r.get('/devices', requirePermission('devices:read'), (req, res) => {
    const q = validated(deviceListQuery, { ...req.query }, 'device list query');
    const tenant = tenantScope(mustAuth(req).user);
    if (q.format === 'compact') {
      res.json(d.views.compact(tenant));
      return;
    }
    // The full views of a city are tens of MB of JSON: made and sent a slice at a time.
    const { devices, view } = d.views.listing(tenant);
    return sendJsonArray(res, devices, view);
  });

  r.get('/devices/:id', requirePermission('devices:read'), (req, res) => {
    const a = mustAuth(req);
    deviceFor(a, param(req, 'id'));
    res.json(d.views.get(param(req, 'id')));
  });

  let historyInFlight = 0;
  // The readings with the device's bounds as its rules run now, so the chart's lines are the ones alerts are raised at.
  r.get('/devices/:id/history', requirePermission('devices:read'), async (req, res) => {
    const dev = deviceFor(mustAuth(req), param(req, 'id'));
    const q = validated(historyQuery, numericQuery(req.query, ['minutes', 'points']), 'history query');
    if (historyInFlight >= MAX_HISTORY_QUERIES) {
      res.setHeader('Retry-After', '1');
      throw new HttpError(503, `too many history queries at once (${MAX_HISTORY_QUERIES}); try again in a moment`);
    }
    historyInFlight++;
    try {
      const readings = await d.history.read(dev.id, q.minutes ?? 60, q.points ?? 120);
      const answer: DeviceHistory = { ...readings, bounds: d.views.bounds(dev.id) ?? [] };
      res.json(answer);
    } finally {
      historyInFlight--;
    }
  });

  r.get('/alerts', requirePermission('alerts:read'), (req, res) => {
    const q = validated(alertQuery, numericQuery(req.query, ['limit']), 'alert query');
    // An enterprise's own tenant, whatever the query asks for.
    const t = tenantScope(mustAuth(req).user);
    res.json(d.alerts.list(t === null ? q : { ...q, tenant: t }));
  });

  r.get('/alerts/:id', requirePermission('alerts:read'), (req, res) => {
    res.json(alertFor(mustAuth(req), param(req, 'id')));
  });

  /**
   * One action on an alert by the logged-in person: check role and tenant,
   * validate the body, change the alert, and answer only once the change is in
   * the alert log and the audit log, so a crash right after loses nothing.
   */
  const action = <B>(name: string, permission: Permission, body: Validator<B>, change: (id: string, actor: string, b: B) => Alert) =>
    r.post(`/alerts/:id/${name}`, async (req, res) => {
      const a = mustAuth(req);
      mustBeAllowed(a, permission);
      const before = alertFor(a, param(req, 'id'));
      const was = { state: before.state, level: before.level };
      const b = validated(body, req.body ?? {}, `${name} body`);
      const after = change(param(req, 'id'), a.user.username, b);
      await d.alerts.flush();
      await d.audit.record(req, a, { action: `alert.${name}`, target: after.id, before: was, after: { state: after.state, level: after.level, ...b } });
      res.json(after);
    });
  action('acknowledge', 'alerts:acknowledge', acknowledgeBody, (id, actor, b) => d.alerts.acknowledge(id, actor, b.note, b.judgement));
  action('dispatch', 'alerts:dispatch', dispatchBody, (id, actor, b) => d.alerts.dispatch(id, actor, b.unit, b.note));
  action('close', 'alerts:close', closeBody, (id, actor, b) => d.alerts.close(id, actor, b.note));

  /**
   * 处置完成 with its disposition; a `real` one may open a hazard in the same
   * step: the alert is resolved inside the hazard's transaction, so either
   * both are recorded or (a refusal, a database failure) neither.
   */
  r.post('/alerts/:id/resolve', async (req, res) => {
    const a = mustAuth(req);
    mustBeAllowed(a, 'alerts:resolve');
    const before = alertFor(a, param(req, 'id'));
    const was = { state: before.state, level: before.level };
    const b = validated(resolveBody, req.body ?? {}, 'resolve body');
    const actor = a.user.username;
    let after: Alert;
    let hazard: Hazard | undefined;
    if (b.hazard) {
      if (b.disposition !== 'real')
        throw new HttpError(400, 'invalid resolve body', [`/hazard: only a real alert opens a hazard (disposition is ${b.disposition})`]);
      mustBeAllowed(a, 'hazards:create');
      const refusal = transitionRefusal('resolve', before.state);
      if (refusal) throw new HttpError(409, `alert ${before.id} ${refusal}`);
      let resolved: Alert | undefined;
      try {
        ({ hazard } = await d.hazards.fromAlert(before, b.hazard, b.note, actor, (h) => {
          resolved = d.alerts.resolve(before.id, actor, b.note, { disposition: b.disposition, hazard: h.id });
        }));
      } catch (err) {
        // Only a failed COMMIT gets here with the alert resolved: say so on the record, for a person to enter the hazard by hand.
        if (resolved)
          await d.audit.record(req, a, {
            action: 'hazard.create',
            target: before.id,
            outcome: 'failed',
            detail: `alert ${before.id} was resolved as real, but its hazard ${resolved.hazard ?? ''} could not be stored: ${(err as Error).message}`,
          });
        throw err;
      }
      after = resolved!;
    } else after = d.alerts.resolve(before.id, actor, b.note, { disposition: b.disposition });
    await d.alerts.flush();
    await d.audit.record(req, a, {
      action: 'alert.resolve',
      target: after.id,
      before: was,
      after: { state: after.state, level: after.level, note: b.note, disposition: b.disposition, ...(hazard ? { hazard: hazard.id } : {}) },
    });
    if (hazard)
      await d.audit.record(req, a, {
        action: 'hazard.create',
        target: hazard.id,
        after: {
          state: hazard.state,
          level: hazard.level,
          unit: hazard.tenant ?? hazard.department,
          deadline: hazard.deadline,
          source: 'alert',
          sourceRef: after.id,
        },
      });
    res.json(after);
  });

  r.get('/alerts/:id/timeline', requirePermission('alerts:read'), async (req, res) => {
    const a = mustAuth(req);
    const id = param(req, 'id');
    // Staff may read the timeline of an alert long closed (only the log has it); an enterprise only of its own alerts.
    if (tenantScope(a.user) !== null) alertFor(a, id);
    else if (!d.alerts.get(id) && !/^[a-z0-9-]{1,40}$/.test(id)) throw noAlert(id);
    await d.alerts.flush();
    const t = await d.timeline(id);
    if (!t.length) throw noAlert(id);
    res.json(t);
  });

  r.get('/notifications', requirePermission('notifications:read'), (req, res) => {
    const q = validated(notificationQuery, numericQuery(req.query, ['limit']), 'notification query');
    const body: NotificationList = { ...d.notifications.stats, items: d.notifications.list(q.limit ?? 200) };
    res.json(body);
  });

  r.get('/silences', requirePermission('silences:read'), (req, res) => {
    const a = mustAuth(req);
    res.json(d.silences.list().filter((s) => silenceVisible(a, s)));
  });

  /** Whether this person may create or end this silence: device silences up to a day, anything else needs 'silences:any'. */
  const mustMaySilence = (a: AuthContext, s: { device?: string; from: number; to: number }) => {
    if (can(a.user.role, 'silences:any')) return;
    mustBeAllowed(a, 'silences:device');
    if (s.device === undefined) throw new HttpError(403, `role ${a.user.role} may silence single devices only (site and tenant silences need silences:any)`);
    if (s.to - s.from > DEVICE_SILENCE_MAX_MS)
      throw new HttpError(403, `role ${a.user.role} may silence a device for at most ${DEVICE_SILENCE_MAX_MS / 3600_000} h`);
  };

  r.post('/silences', async (req, res) => {
    const a = mustAuth(req);
    const b = validated(silenceBody, req.body ?? {}, 'silence body');
    const scopes = (['device', 'site', 'tenant'] as const).filter((k) => b[k] !== undefined);
    if (scopes.length !== 1)
      throw new HttpError(400, 'invalid silence body', [
        `/: exactly one of device, site, tenant is required, got ${scopes.length ? scopes.join(', ') : 'none'}`,
      ]);
    if (b.to <= b.from) throw new HttpError(400, 'invalid silence body', ['/to: must be after from']);
    mustMaySilence(a, b);
    if (b.device !== undefined) {
      const dev = d.registry.byId.get(b.device);
      if (!dev || !inScope(a.user, dev.tenant)) throw new HttpError(400, 'invalid silence body', [`/device: no device with id ${b.device}`]);
    }
    if (b.tenant !== undefined && !d.registry.tenants.some((t) => t.id === b.tenant))
      throw new HttpError(400, 'invalid silence body', [`/tenant: no tenant with id ${b.tenant}`]);
    if (b.site !== undefined && !siteTenants.has(b.site)) throw new HttpError(400, 'invalid silence body', [`/site: no site with id ${b.site}`]);
    if (d.silences.activeCount() >= MAX_ACTIVE_SILENCES) throw new HttpError(409, `${MAX_ACTIVE_SILENCES} silences are active already: end some first`);
    const s = d.silences.add(b, a.user.username);
    await d.audit.record(req, a, { action: 'silence.create', target: s.id, after: s });
    res.status(201).json(s);
  });

  // Silences are ended, never deleted: the record of who muted what stays.
  r.delete('/silences/:id', async (req, res) => {
    const a = mustAuth(req);
    const s = d.silences.get(param(req, 'id'));
    if (!s || !silenceVisible(a, s)) throw new HttpError(404, `no silence with id ${param(req, 'id')}`);
    mustMaySilence(a, { device: s.device, from: s.from, to: Math.min(s.to, s.from + 1) });
    const ended = d.silences.end(s.id, a.user.username);
    await d.audit.record(req, a, { action: 'silence.end', target: s.id, before: s, after: ended });
    res.json(ended);
  });

  r.get('/dead-letters', requirePermission('deadletters:read'), (req, res) => {
    const limit = Math.min(Number(req.query.limit ?? 200) || 200, 10_000);
    const dl = d.ingest.deadLetters;
    const body: DeadLetterList = { total: dl.total, byCode: dl.byCode, items: dl.list(limit) };
    res.json(body);
  });

  r.get('/metrics', requirePermission('metrics:read'), (_req, res) => {
    res.json({
      ingest: d.ingest.stats,
      deadLetters: { total: d.ingest.deadLetters.total, byCode: d.ingest.deadLetters.byCode },
      openAlerts: d.alerts.openCount,
      notifications: d.notifications.stats,
      influx: d.writerStats(),
      spool: d.backlog(),
    });
  });

  r.get('/audit', requirePermission('audit:read'), async (req: Request, res) => {
    const q = validated(auditQuery, numericQuery(req.query, ['from', 'to', 'limit']), 'audit query');
    res.json(await d.auditLog.list(q));
  });

  return r;
}
