/** Opens the PostgreSQL store of record: a pool, the migrations, and the stores over them. */
import { logger } from '@lifeline/core/node';
import pg from 'pg';
import { apiKeyStore } from './api-keys.js';
import { auditStore } from './audit.js';
import { deviceCredentialStore } from './device-credentials.js';
import { hazardStore } from './hazards.js';
import { shiftStore } from './shifts.js';
import { appliedMigrations, migrate } from './migrations.js';
import { reportStore } from './reports.js';
import { sessionStore } from './sessions.js';
import type { StoreContext } from './store-context.js';
import type { Store } from './types.js';
import { userStore } from './users.js';

const log = logger('store');

/** Enough for a platform's routes and brokers on two cores; PostgreSQL's default allows 100. */
export const DEFAULT_POOL_SIZE = 10;
/** A database that does not answer a connect within this is reported, not waited on forever. */
const CONNECT_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

export interface OpenStoreOptions {
  poolSize?: number;
  /** Epoch-ms clock for every time the store records or compares (tests pass their own). */
  now?: () => number;
}

/** The URL without its password, for messages and logs. */
function redacted(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

/**
 * Connects, applies pending migrations and returns the store. Throws, with
 * the pool closed, when the database cannot be reached or migrated.
 */
export async function openStore(databaseUrl: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'lifeline',
  });
  // An idle client whose server went away emits here; unhandled, it would end the process.
  pool.on('error', (err) => log.warn({ err: err.message }, 'an idle PostgreSQL connection failed (the pool replaces it)'));
  const ctx: StoreContext = { pool, now: opts.now ?? Date.now };
  try {
    await migrate(pool, undefined, ctx.now);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`could not open the store at ${redacted(databaseUrl)}: ${(err as Error).message}`, { cause: err });
  }
  let closed: Promise<void> | undefined;
  return {
    users: userStore(ctx),
    sessions: sessionStore(ctx),
    credentials: deviceCredentialStore(ctx),
    apiKeys: apiKeyStore(ctx),
    audit: auditStore(ctx),
    hazards: hazardStore(ctx),
    shifts: shiftStore(ctx),
    reports: reportStore(ctx),
    migrations: () => appliedMigrations(pool),
    async ping() {
      try {
        await Promise.race([
          pool.query('SELECT 1'),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS).unref()),
        ]);
        return { ok: true };
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    close() {
      closed ??= pool.end();
      return closed;
    },
  };
}
