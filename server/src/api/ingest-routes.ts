import express, { Router, type Request } from 'express';
import { deviceTopic, type DeadLetterCode } from '@lifeline/core';
import { logger, type LoadedRegistry } from '@lifeline/core/node';
import type { Ingest } from '@lifeline/ingest';
import type { ApiKey, ApiKeyStore } from '../store/types.js';
import { HttpError } from './http-errors.js';

const log = logger('http-ingest');

/** Requests per second one API key may send, and the burst it may save up. */
export const INGEST_RATE_PER_S = 50;
export const INGEST_BURST = 200;
/** A body holds at most a batch of readings (1,000 in core's schema). */
const BODY_LIMIT = '256kb';
/** Query parameters that would carry a key in the URL, where logs and proxies keep it. */
const KEY_IN_URL = ['key', 'api_key', 'apikey', 'token', 'access_token', 'authorization'];
/** Keys remembered by the rate limiter; the stalest are forgotten past it. */
const MAX_BUCKETS = 100_000;

const STATUS_OF: Record<DeadLetterCode | 'unavailable', number> = {
  bad_topic: 404,
  bad_json: 400,
  invalid_payload: 400,
  unknown_device: 404,
  tenant_mismatch: 403,
  bad_timestamp: 400,
  // Never an answer here (InfluxDB refuses after the message was taken); listed for completeness.
  refused_by_influxdb: 502,
  // Valid, but the spool is full or failing: nothing was kept, send it again.
  unavailable: 503,
};

export interface IngestRouteDeps {
  apiKeys: ApiKeyStore;
  ingest: Ingest;
  registry: LoadedRegistry;
}

/**
 * HTTP ingest for enterprises without MQTT:
 * `POST /ingest/v1/:device/telemetry|event` with `Authorization: Bearer <key>`,
 * the same payloads as MQTT, through the same validation and dead letters.
 * 202 once the reading is in the spool (as durable as an MQTT ack); 503 with
 * Retry-After when the spool cannot take it.
 */
export function ingestRouter(d: IngestRouteDeps): Router {
  const r = Router();
  const buckets = new Map<string, { tokens: number; at: number }>();

  const allow = (keyId: string): boolean => {
    const now = Date.now();
    const b = buckets.get(keyId) ?? { tokens: INGEST_BURST, at: now };
    b.tokens = Math.min(INGEST_BURST, b.tokens + ((now - b.at) / 1000) * INGEST_RATE_PER_S);
    b.at = now;
    buckets.delete(keyId);
    buckets.set(keyId, b);
    while (buckets.size > MAX_BUCKETS) buckets.delete(buckets.keys().next().value!);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };

  const keyOf = async (req: Request): Promise<ApiKey> => {
    if (KEY_IN_URL.some((k) => k in (req.query as Record<string, unknown>))) {
      throw new HttpError(401, 'an API key in the URL is refused: send it as "Authorization: Bearer <key>" (and replace the key: URLs are logged)');
    }
    const h = req.headers.authorization;
    if (!h) throw new HttpError(401, 'missing "Authorization: Bearer <key>" header');
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) throw new HttpError(401, 'the Authorization header must be "Bearer <key>"');
    const key = await d.apiKeys.verify(m[1]!);
    if (!key) throw new HttpError(401, 'unknown or revoked API key');
    return key;
  };

  r.post('/v1/:device/:channel', express.raw({ type: () => true, limit: BODY_LIMIT }), async (req, res) => {
    const key = await keyOf(req);
    if (!allow(key.id)) {
      res.setHeader('Retry-After', '1');
      throw new HttpError(429, `API key ${key.prefix}… sends more than ${INGEST_RATE_PER_S} requests a second`);
    }
    const { device, channel } = req.params as { device: string; channel: string };
    if (channel !== 'telemetry' && channel !== 'event') throw new HttpError(404, `no ingest channel "${channel}" (telemetry or event)`);
    const dev = d.registry.byId.get(device);
    if (key.devices.length > 0 && !key.devices.includes(device)) {
      throw new HttpError(403, `API key ${key.prefix}… may not post for device ${device}`);
    }
    if (dev && dev.tenant !== key.tenant) {
      log.warn({ key: key.prefix, tenant: key.tenant, device }, "API key used for another tenant's device");
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = d.ingest.handle(deviceTopic(key.tenant, device, channel), body);
    if (!result.ok) {
      if (result.code === 'unavailable') res.setHeader('Retry-After', '5');
      throw new HttpError(STATUS_OF[result.code], result.reason, [`code: ${result.code}`]);
    }
    res.status(202).json({ accepted: result.points });
  });

  return r;
}
