/**
 * The schema, as an ordered list of migrations applied once each at start-up.
 * A migration that has shipped is never edited: a change is a new entry.
 *
 * Portable SQL only (district governments run PostgreSQL-compatible domestic
 * databases): TEXT/VARCHAR/BIGINT/BOOLEAN, times as BIGINT epoch ms, JSON as
 * TEXT, no jsonb, arrays or PL/pgSQL.
 */
import { logger } from '@lifeline/core/node';
import type { Pool } from 'pg';
import { inTransaction, isUniqueViolation } from './store-context.js';
import { sha256Hex } from './secrets.js';

const log = logger('store');

export interface Migration {
  /** Sorts in application order: `NNN-what`. */
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-init',
    sql: `
CREATE TABLE users (
  id VARCHAR(36) PRIMARY KEY,
  username VARCHAR(64) NOT NULL,
  -- Lower-cased username: "Zhang" and "zhang" are one person to a duty room.
  username_key VARCHAR(64) NOT NULL,
  display_name TEXT NOT NULL,
  role VARCHAR(32) NOT NULL,
  tenant VARCHAR(64),
  password_hash VARCHAR(255) NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);

CREATE TABLE sessions (
  -- SHA-256 hex of the cookie's token; the token itself is never stored.
  id VARCHAR(64) PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  ip VARCHAR(64),
  user_agent TEXT
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);

CREATE TABLE device_credentials (
  username VARCHAR(64) PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  tenant VARCHAR(64) NOT NULL,
  -- JSON array of device ids (a gateway may cover thousands).
  devices TEXT NOT NULL,
  secret_hash VARCHAR(255) NOT NULL,
  created_at BIGINT NOT NULL,
  rotated_at BIGINT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX device_credentials_tenant ON device_credentials (tenant);

-- One row: bumped in the same transaction as every credential change, so a
-- broker's cache knows to reload.
CREATE TABLE credential_version (
  id INTEGER PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO credential_version (id, version) VALUES (1, 0);

CREATE TABLE api_keys (
  id VARCHAR(36) PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  tenant VARCHAR(64) NOT NULL,
  -- JSON array of device ids; empty = every device of the tenant.
  devices TEXT NOT NULL,
  prefix VARCHAR(16) NOT NULL,
  key_hash VARCHAR(64) NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT,
  last_used_at BIGINT
);
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);
CREATE INDEX api_keys_tenant ON api_keys (tenant);

CREATE TABLE audit_log (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at BIGINT NOT NULL,
  actor TEXT,
  actor_role VARCHAR(32),
  tenant VARCHAR(64),
  ip VARCHAR(64),
  session_id VARCHAR(64),
  action VARCHAR(64) NOT NULL,
  target TEXT,
  before_json TEXT,
  after_json TEXT,
  outcome VARCHAR(8) NOT NULL,
  detail TEXT
);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);
CREATE INDEX audit_log_actor ON audit_log (actor, occurred_at);
CREATE INDEX audit_log_action ON audit_log (action, occurred_at);
CREATE INDEX audit_log_target ON audit_log (target, occurred_at);
CREATE INDEX audit_log_tenant ON audit_log (tenant, occurred_at);
`,
  },
  {
    id: '002-hazards-shifts',
    sql: `
CREATE TABLE hazards (
  id VARCHAR(40) PRIMARY KEY,
  source VARCHAR(16) NOT NULL,
  source_ref VARCHAR(128),
  -- The unit responsible: a tenant, or a department by name (one of the two).
  tenant VARCHAR(64),
  department VARCHAR(100),
  unit_name TEXT NOT NULL,
  town VARCHAR(32) NOT NULL,
  industry VARCHAR(32),
  device VARCHAR(64),
  level VARCHAR(16) NOT NULL,
  state VARCHAR(16) NOT NULL,
  description TEXT NOT NULL,
  deadline BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  updated_at BIGINT NOT NULL,
  reported_at BIGINT,
  signed_off_at BIGINT,
  signed_off_by VARCHAR(64),
  escalations INTEGER NOT NULL DEFAULT 0,
  escalated_at BIGINT,
  -- When the next escalation (督办) is due: the deadline, then a repeat after each; NULL once signed off.
  escalate_at BIGINT
);
CREATE INDEX hazards_escalate_at ON hazards (escalate_at);
CREATE INDEX hazards_deadline ON hazards (deadline);
CREATE INDEX hazards_tenant ON hazards (tenant, created_at);
CREATE INDEX hazards_town ON hazards (town, created_at);
CREATE INDEX hazards_industry ON hazards (industry, created_at);
CREATE INDEX hazards_state ON hazards (state, deadline);
CREATE INDEX hazards_source_ref ON hazards (source_ref);

CREATE TABLE hazard_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hazard_id VARCHAR(40) NOT NULL REFERENCES hazards (id),
  occurred_at BIGINT NOT NULL,
  actor VARCHAR(64) NOT NULL,
  action VARCHAR(16) NOT NULL,
  from_state VARCHAR(16),
  to_state VARCHAR(16) NOT NULL,
  note TEXT,
  -- JSON array of attachment names.
  attachments TEXT NOT NULL
);
CREATE INDEX hazard_events_hazard ON hazard_events (hazard_id, id);

CREATE TABLE duty_shifts (
  id VARCHAR(40) PRIMARY KEY,
  user_id VARCHAR(36) NOT NULL,
  officer VARCHAR(64) NOT NULL,
  officer_name TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT,
  note TEXT,
  -- 1 while the shift lasts, NULL after: the unique index keeps one officer on duty at a time.
  on_duty INTEGER
);
CREATE UNIQUE INDEX duty_shifts_on_duty ON duty_shifts (on_duty);
CREATE INDEX duty_shifts_started_at ON duty_shifts (started_at);
CREATE INDEX duty_shifts_ended_at ON duty_shifts (ended_at);

CREATE TABLE shift_handovers (
  id VARCHAR(40) PRIMARY KEY,
  shift_id VARCHAR(40) NOT NULL REFERENCES duty_shifts (id),
  from_officer VARCHAR(64) NOT NULL,
  from_name TEXT NOT NULL,
  to_officer VARCHAR(64),
  state VARCHAR(16) NOT NULL,
  created_at BIGINT NOT NULL,
  note TEXT,
  summary_json TEXT NOT NULL,
  accepted_at BIGINT,
  accepted_by VARCHAR(64),
  accept_note TEXT,
  next_shift VARCHAR(40),
  -- 1 while waiting for acceptance, NULL after: at most one pending handover.
  pending INTEGER
);
CREATE UNIQUE INDEX shift_handovers_pending ON shift_handovers (pending);
CREATE INDEX shift_handovers_created_at ON shift_handovers (created_at);
`,
  },
  {
    id: '003-reports',
    sql: `
-- 日报/周报/月报: what each says (JSON) and its workbook (.xlsx bytes); one per kind and period.
-- BYTEA: the one binary type; PostgreSQL, openGauss and KingbaseES all have it.
CREATE TABLE reports (
  id VARCHAR(40) PRIMARY KEY,
  kind VARCHAR(16) NOT NULL,
  title TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  period_label VARCHAR(16) NOT NULL,
  created_at BIGINT NOT NULL,
  created_by VARCHAR(64) NOT NULL,
  content TEXT NOT NULL,
  workbook BYTEA NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE UNIQUE INDEX reports_kind_period ON reports (kind, period_start);
CREATE INDEX reports_period_start ON reports (period_start);
`,
  },
];

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  id VARCHAR(64) PRIMARY KEY,
  checksum VARCHAR(64) NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/**
 * Applies the migrations not yet applied, each in its own transaction, and
 * returns the ids applied now. Safe when several processes start at once:
 * each transaction first locks the ledger, so the second waits, then sees
 * the migration applied and skips it.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS, now = Date.now): Promise<string[]> {
  await createLedger(pool);
  const applied: string[] = [];
  for (const m of migrations) {
    const checksum = sha256Hex(m.sql);
    const done = await inTransaction(pool, async (c) => {
      await c.query('LOCK TABLE schema_migrations IN EXCLUSIVE MODE');
      const r = await c.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE id = $1', [m.id]);
      if (r.rows[0]) {
        if (r.rows[0].checksum !== checksum) {
          log.warn(
            { migration: m.id },
            'migration %s was edited after it was applied; the database keeps the applied version (add a new migration instead)',
            m.id,
          );
        }
        return false;
      }
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (id, checksum, applied_at) VALUES ($1, $2, $3)', [m.id, checksum, now()]);
      return true;
    });
    if (done) {
      applied.push(m.id);
      log.info({ migration: m.id }, 'applied migration %s', m.id);
    }
  }
  const known = new Set(migrations.map((m) => m.id));
  const unknown = (await appliedMigrations(pool)).filter((id) => !known.has(id));
  if (unknown.length) log.warn({ unknown }, 'the database has migrations this build does not know (%s): is an older build running?', unknown.join(', '));
  return applied;
}

/** Ids of the applied migrations, oldest first. */
export async function appliedMigrations(pool: Pool): Promise<string[]> {
  const r = await pool.query<{ id: string }>('SELECT id FROM schema_migrations ORDER BY applied_at, id');
  return r.rows.map((row) => row.id);
}

/**
 * Two processes creating the ledger at the same moment can both pass IF NOT
 * EXISTS, and one then fails on the catalog (the table or its row type): it just retries.
 */
async function createLedger(pool: Pool): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await pool.query(CREATE_LEDGER);
      return;
    } catch (err) {
      // 23505 on the catalog's index, 42P07 duplicate table, or 42710 'type "schema_migrations" already exists'.
      const code = (err as { code?: string }).code;
      const duplicate = isUniqueViolation(err) || code === '42P07' || code === '42710';
      if (!duplicate || attempt >= 5) throw err;
    }
  }
}
