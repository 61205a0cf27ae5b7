import { Router } from 'express';
import { statsQuery, STATS_MAX_SPAN_MS, type StatsAnswer } from '@lifeline/core';
import { mustAuth, requirePermission, tenantScope } from '../auth/http-auth.js';
import type { StatsPeriodQuery } from '../stats/stats-query.js';
import { HttpError, numericQuery, validated } from './http-errors.js';

/** Without `from`, a period this long up to `to` (or now). */
export const DEFAULT_STATS_SPAN_MS = 86_400_000;
/** Concurrent statistics queries; beyond it a request answers 503 at once (each is several InfluxDB scans). */
export const MAX_STATS_QUERIES = 4;

export interface StatsRouteDeps {
  stats: (q: StatsPeriodQuery) => Promise<StatsAnswer>;
  now?: () => number;
}

/** `GET /api/stats`: the period's statistics; an enterprise user's are always its own tenant's. */
export function statsRouter(d: StatsRouteDeps): Router {
  const r = Router();
  let inFlight = 0;
  r.get('/stats', requirePermission('alerts:read'), async (req, res) => {
    const q = validated(statsQuery, numericQuery(req.query, ['from', 'to']), 'statistics query');
    const to = q.to ?? (d.now ?? Date.now)();
    const from = q.from ?? to - DEFAULT_STATS_SPAN_MS;
    if (from >= to) throw new HttpError(400, 'invalid statistics query', ['/from: must be before to']);
    if (to - from > STATS_MAX_SPAN_MS)
      throw new HttpError(400, 'invalid statistics query', [`/to: the period may span at most ${STATS_MAX_SPAN_MS / 86_400_000} days`]);
    const t = tenantScope(mustAuth(req).user);
    if (inFlight >= MAX_STATS_QUERIES) {
      res.setHeader('Retry-After', '1');
      throw new HttpError(503, `too many statistics queries at once (${MAX_STATS_QUERIES}); try again in a moment`);
    }
    inFlight++;
    try {
      res.json(await d.stats({ ...q, from, to, ...(t === null ? {} : { tenant: t }) }));
    } catch (err) {
      // A year of a whole city on a loaded box can pass InfluxDB's query timeout: say so, rather than a bare 500.
      if ((err as Error).name === 'TimeoutError') {
        res.setHeader('Retry-After', '30');
        throw new HttpError(503, 'InfluxDB did not answer the statistics query in time: try a shorter period or a filter (town, industry)');
      }
      throw err;
    } finally {
      inFlight--;
    }
  });
  return r;
}
