import express, { Router } from 'express';
import {
  acknowledgeBody,
  alertQuery,
  closeBody,
  dispatchBody,
  historyQuery,
  notificationQuery,
  resolveBody,
  silenceBody,
  type Alert,
  type DistrictMeta,
  type Health,
  type Validator,
  type NotificationView,
  type TimelineEntry,
} from '@lifeline/core';
import type { Ingest } from '@lifeline/ingest';
import type { LoadedRegistry } from '@lifeline/core/node';
import type { AlertManager } from '../alerts/alert-manager.js';
import type { SilenceStore } from '../alerts/silences.js';
import type { DeviceViews } from '../device-views.js';
import type { HistoryReader } from '../history.js';
import { HttpError, numericQuery, validated } from './http-errors.js';

export interface ApiDeps {
  registry: LoadedRegistry;
  ingest: Ingest;
  alerts: AlertManager;
  views: DeviceViews;
  history: HistoryReader;
  health: () => Promise<Health>;
  writerStats: () => Record<string, unknown>;
  timeline: (alertId: string) => Promise<TimelineEntry[]>;
  notifications: { list(limit: number): NotificationView[]; stats: Record<string, number> };
  silences: SilenceStore;
}

/** Thin routes: validate, call the stage, answer. */
export function apiRouter(d: ApiDeps): Router {
  const r = Router();
  r.use(express.json({ limit: '16kb' }));

  r.get('/health', async (_req, res) => {
    const h = await d.health();
    res.status(h.status === 'ok' ? 200 : 503).json(h);
  });

  r.get('/meta', (_req, res) => {
    const meta: DistrictMeta = {
      district: d.registry.district,
      towns: d.registry.towns,
      tenants: d.registry.tenants.map((t) => ({ id: t.id, name: t.name, type: t.type })),
    };
    res.json(meta);
  });

  r.get('/devices', (_req, res) => {
    res.json(d.views.list());
  });

  r.get('/devices/:id', (req, res) => {
    const v = d.views.get(req.params.id);
    if (!v) throw new HttpError(404, `no device with id ${req.params.id}`);
    res.json(v);
  });

  r.get('/devices/:id/history', async (req, res) => {
    if (!d.registry.byId.has(req.params.id)) throw new HttpError(404, `no device with id ${req.params.id}`);
    const q = validated(historyQuery, numericQuery(req.query, ['minutes', 'points']), 'history query');
    res.json(await d.history.read(req.params.id, q.minutes ?? 60, q.points ?? 120));
  });

  r.get('/alerts', (req, res) => {
    const q = validated(alertQuery, numericQuery(req.query, ['limit']), 'alert query');
    res.json(d.alerts.list(q));
  });

  r.get('/alerts/:id', (req, res) => {
    const a = d.alerts.get(req.params.id);
    if (!a) throw new HttpError(404, `no alert with id ${req.params.id}`);
    res.json(a);
  });

  /**
   * One operator action on an alert: validate the body, change the alert, and
   * answer only once the change is in the alert log, so a crash right after loses nothing.
   */
  const action = <B>(name: string, body: Validator<B>, change: (id: string, b: B) => Alert) =>
    r.post(`/alerts/:id/${name}`, async (req, res) => {
      const a = change(req.params.id, validated(body, req.body ?? {}, `${name} body`));
      await d.alerts.flush();
      res.json(a);
    });
  action('acknowledge', acknowledgeBody, (id, b) => d.alerts.acknowledge(id, b.actor, b.note));
  action('resolve', resolveBody, (id, b) => d.alerts.resolve(id, b.actor, b.note));
  action('dispatch', dispatchBody, (id, b) => d.alerts.dispatch(id, b.actor, b.unit, b.note));
  action('close', closeBody, (id, b) => d.alerts.close(id, b.actor, b.note));

  r.get('/alerts/:id/timeline', async (req, res) => {
    if (!d.alerts.get(req.params.id) && !/^[a-z0-9-]{1,40}$/.test(req.params.id)) throw new HttpError(404, `no alert with id ${req.params.id}`);
    await d.alerts.flush();
    const t = await d.timeline(req.params.id);
    if (!t.length) throw new HttpError(404, `no alert with id ${req.params.id}`);
    res.json(t);
  });

  r.get('/notifications', (req, res) => {
    const q = validated(notificationQuery, numericQuery(req.query, ['limit']), 'notification query');
    res.json({ ...d.notifications.stats, items: d.notifications.list(q.limit ?? 200) });
  });

  r.get('/silences', (_req, res) => {
    res.json(d.silences.list());
  });

  r.post('/silences', (req, res) => {
    const b = validated(silenceBody, req.body ?? {}, 'silence body');
    const scopes = (['device', 'site', 'tenant'] as const).filter((k) => b[k] !== undefined);
    if (scopes.length !== 1) throw new HttpError(400, 'invalid silence body', [`/: exactly one of device, site, tenant is required, got ${scopes.length ? scopes.join(', ') : 'none'}`]);
    if (b.to <= b.from) throw new HttpError(400, 'invalid silence body', ['/to: must be after from']);
    if (b.device !== undefined && !d.registry.byId.has(b.device)) throw new HttpError(400, 'invalid silence body', [`/device: no device with id ${b.device}`]);
    if (b.tenant !== undefined && !d.registry.tenants.some((t) => t.id === b.tenant)) throw new HttpError(400, 'invalid silence body', [`/tenant: no tenant with id ${b.tenant}`]);
    res.status(201).json(d.silences.add(b));
  });

  r.delete('/silences/:id', (req, res) => {
    if (!d.silences.remove(req.params.id)) throw new HttpError(404, `no silence with id ${req.params.id}`);
    res.status(204).end();
  });

  r.get('/dead-letters', (req, res) => {
    const limit = Math.min(Number(req.query.limit ?? 200) || 200, 10_000);
    const dl = d.ingest.deadLetters;
    res.json({ total: dl.total, byCode: dl.byCode, items: dl.list(limit) });
  });

  r.get('/metrics', (_req, res) => {
    res.json({ ingest: d.ingest.stats, deadLetters: { total: d.ingest.deadLetters.total, byCode: d.ingest.deadLetters.byCode }, openAlerts: d.alerts.openCount, notifications: d.notifications.stats, influx: d.writerStats() });
  });

  r.use((req, _res) => {
    throw new HttpError(404, `no such API route: ${req.method} ${req.baseUrl}${req.path}`);
  });
  return r;
}
