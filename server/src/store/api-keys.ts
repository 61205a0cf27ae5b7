/** Keys for HTTP ingest, scoped to a tenant and optionally some of its devices; stored as SHA-256 only. */
import { randomUUID } from 'node:crypto';
import { ID_PATTERN } from '@lifeline/core';
import { API_KEY_PREFIX, API_KEY_SHOWN_CHARS, newApiKey, sha256Hex } from './secrets.js';
import { ms, msOrNull, type StoreContext } from './store-context.js';
import { StoreError, type ApiKey, type ApiKeyStore } from './types.js';

/** lastUsedAt is written at most this often: a busy feed posts many times a second. */
export const API_KEY_TOUCH_MS = 60_000;
const ID = new RegExp(ID_PATTERN);
const NAME_MAX_LENGTH = 64;
/** Keys are 46 characters; anything far longer is not ours and is not hashed. */
const KEY_MAX_LENGTH = 128;

interface ApiKeyRow {
  id: string;
  name: string;
  tenant: string;
  devices: string;
  prefix: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
}

const COLUMNS = 'id, name, tenant, devices, prefix, created_at, revoked_at, last_used_at';

function toApiKey(r: ApiKeyRow): ApiKey {
  return {
    id: r.id,
    name: r.name,
    tenant: r.tenant,
    devices: JSON.parse(r.devices) as string[],
    prefix: r.prefix,
    createdAt: ms(r.created_at),
    revokedAt: msOrNull(r.revoked_at),
    lastUsedAt: msOrNull(r.last_used_at),
  };
}

export function apiKeyStore(ctx: StoreContext): ApiKeyStore {
  const { pool, now } = ctx;
  return {
    async create(k) {
      const name = typeof k.name === 'string' ? k.name.trim() : '';
      if (!name || name.length > NAME_MAX_LENGTH) throw new StoreError('invalid', `an API key needs a name of 1 to ${NAME_MAX_LENGTH} characters`);
      if (typeof k.tenant !== 'string' || !ID.test(k.tenant))
        throw new StoreError('invalid', `tenant ${JSON.stringify(k.tenant)} does not match ${ID_PATTERN}`);
      const devices = k.devices ?? [];
      const bad = devices.find((d) => typeof d !== 'string' || !ID.test(d));
      if (bad !== undefined) throw new StoreError('invalid', `device id ${JSON.stringify(bad)} does not match ${ID_PATTERN}`);
      if (new Set(devices).size !== devices.length) throw new StoreError('invalid', 'the device list has duplicates');
      const key = newApiKey();
      const record: ApiKey = {
        id: randomUUID(),
        name,
        tenant: k.tenant,
        devices: [...devices],
        prefix: key.slice(0, API_KEY_SHOWN_CHARS),
        createdAt: now(),
        revokedAt: null,
        lastUsedAt: null,
      };
      await pool.query(
        `INSERT INTO api_keys (id, name, tenant, devices, prefix, key_hash, created_at, revoked_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)`,
        [record.id, record.name, record.tenant, JSON.stringify(record.devices), record.prefix, sha256Hex(key), record.createdAt],
      );
      return { key, record };
    },

    async verify(key) {
      if (typeof key !== 'string' || !key.startsWith(API_KEY_PREFIX) || key.length > KEY_MAX_LENGTH) return undefined;
      const r = await pool.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1`, [sha256Hex(key)]);
      const row = r.rows[0];
      if (!row || row.revoked_at !== null) return undefined;
      const record = toApiKey(row);
      const t = now();
      if (record.lastUsedAt === null || t - record.lastUsedAt >= API_KEY_TOUCH_MS) {
        // Guarded, so concurrent posts with one key write once.
        await pool.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)', [
          record.id,
          t,
          t - API_KEY_TOUCH_MS,
        ]);
        record.lastUsedAt = t;
      }
      return record;
    },

    async list(tenant) {
      const r =
        tenant === undefined
          ? await pool.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`)
          : await pool.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE tenant = $1 ORDER BY created_at, id`, [tenant]);
      return r.rows.map(toApiKey);
    },

    async revoke(id) {
      const r = await pool.query('UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, now()]);
      return (r.rowCount ?? 0) > 0;
    },
  };
}
