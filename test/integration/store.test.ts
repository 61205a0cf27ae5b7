import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PASSWORD_MIN_LENGTH } from '@lifeline/core';
import { MIGRATIONS, openStore, type Store, type StoreError } from '../../server/src/store/index.js';
import { sha256Hex } from '../../server/src/store/secrets.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { uniqueName } from '../support/services.js';

const ALL_MIGRATIONS = MIGRATIONS.map((m) => m.id);

const pgUrl = inject('pgUrl');
const MIN = 60_000;
const PASSWORD = 'a long enough password';

/** The store's clock: real time plus whatever a test skips ahead. */
let skipped = 0;
const now = () => Date.now() + skipped;
const advance = (ms: number) => (skipped += ms);

let db: TestDatabase;
let store: Store;
const extra: { db: TestDatabase; stores: Store[] }[] = [];

beforeAll(async () => {
  db = await createTestDatabase(pgUrl, 'store');
  store = await openStore(db.url, { now });
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
  for (const e of extra) {
    await Promise.all(e.stores.map((s) => s.close()));
    await e.db.drop();
  }
});

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (err: StoreError) => err.code ?? err.message,
  );

const newUser = (over: Partial<Parameters<Store['users']['create']>[0]> = {}) =>
  store.users.create({ username: uniqueName('u'), role: 'duty', password: PASSWORD, ...over });

describe('the store’s migrations', () => {
  it('are applied once when the store opens on an empty database', async () => {
    expect(await store.migrations()).toEqual(ALL_MIGRATIONS);
    const rows = await sql<{ id: string }>(db.url, 'SELECT id FROM schema_migrations');
    expect(rows.map((r) => r.id)).toEqual(ALL_MIGRATIONS);
  });

  it('are not applied again when the store opens a second time', async () => {
    const again = await openStore(db.url);
    try {
      expect(await again.migrations()).toEqual(ALL_MIGRATIONS);
      expect(await sql(db.url, 'SELECT id FROM schema_migrations')).toHaveLength(ALL_MIGRATIONS.length);
    } finally {
      await again.close();
    }
  });

  it('are applied once when three processes open a fresh database at the same moment', async () => {
    const fresh = await createTestDatabase(pgUrl, 'store_race');
    const stores = await Promise.all([openStore(fresh.url), openStore(fresh.url), openStore(fresh.url)]);
    extra.push({ db: fresh, stores });
    for (const s of stores) expect(await s.migrations()).toEqual(ALL_MIGRATIONS);
    expect(await sql(fresh.url, 'SELECT id FROM schema_migrations')).toHaveLength(ALL_MIGRATIONS.length);
  });

  it('keep to portable column types: no jsonb, arrays or timestamps (bytea only for report workbooks: openGauss and KingbaseES have it)', async () => {
    const types = await sql<{ data_type: string }>(
      db.url,
      `SELECT DISTINCT data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY data_type`,
    );
    expect(types.map((t) => t.data_type)).toEqual(['bigint', 'boolean', 'bytea', 'character varying', 'integer', 'text']);
  });

  it('report a database that cannot be reached, without the password', async () => {
    const url = new URL(pgUrl);
    url.password = 'wrong-password';
    await expect(openStore(url.toString())).rejects.toThrow(/could not open the store at postgres:\/\/lifeline:\*\*\*@/);
  });
});

describe('the user store', () => {
  it('creates a user and finds it by id and by username in any case', async () => {
    const username = uniqueName('Zhang');
    const u = await store.users.create({ username, displayName: '张值班', role: 'duty', password: PASSWORD });
    expect(u).toMatchObject({ username, displayName: '张值班', role: 'duty', tenant: null, disabled: false });
    expect(await store.users.get(u.id)).toEqual(u);
    expect(await store.users.byUsername(username.toUpperCase())).toEqual(u);
    expect((await store.users.list()).map((x) => x.id)).toContain(u.id);
  });

  it('refuses a username already taken, also in another case, as a conflict', async () => {
    const u = await newUser();
    expect(await code(newUser({ username: u.username }))).toBe('conflict');
    expect(await code(newUser({ username: u.username.toUpperCase() }))).toBe('conflict');
  });

  it('refuses a username outside USERNAME_PATTERN and a password shorter than PASSWORD_MIN_LENGTH', async () => {
    expect(await code(newUser({ username: 'has space' }))).toBe('invalid');
    expect(await code(newUser({ username: '-leading-dash' }))).toBe('invalid');
    expect(await code(newUser({ password: 'x'.repeat(PASSWORD_MIN_LENGTH - 1) }))).toBe('invalid');
    expect(await code(newUser({ password: 'x'.repeat(PASSWORD_MIN_LENGTH) }))).toBe('resolved');
  });

  it('gives an enterprise user exactly one tenant and every other role none', async () => {
    expect(await code(newUser({ role: 'enterprise' }))).toBe('invalid');
    expect(await code(newUser({ role: 'enterprise', tenant: '' }))).toBe('invalid');
    expect(await code(newUser({ role: 'duty', tenant: 'qx-gas' }))).toBe('invalid');
    const e = await newUser({ role: 'enterprise', tenant: 'qx-gas' });
    expect(e.tenant).toBe('qx-gas');
    expect(await code(store.users.setRole(e.id, 'enterprise', null))).toBe('invalid');
    await store.users.setRole(e.id, 'supervisor', null);
    expect(await store.users.get(e.id)).toMatchObject({ role: 'supervisor', tenant: null });
  });

  it('verifies the right password, and answers nothing for a wrong one, an unknown user or a disabled one', async () => {
    const u = await newUser();
    expect((await store.users.verify(u.username, PASSWORD))?.id).toBe(u.id);
    expect(await store.users.verify(u.username, `${PASSWORD}!`)).toBeUndefined();
    expect(await store.users.verify(uniqueName('nobody'), PASSWORD)).toBeUndefined();
    await store.users.setDisabled(u.id, true);
    expect(await store.users.verify(u.username, PASSWORD)).toBeUndefined();
    await store.users.setDisabled(u.id, false);
    expect((await store.users.verify(u.username, PASSWORD))?.id).toBe(u.id);
  });

  it('spends a hash on an unknown username too, so its answer is not faster', async () => {
    const u = await newUser();
    const time = async (f: () => Promise<unknown>) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    await store.users.verify(uniqueName('nobody'), PASSWORD); // makes the dummy hash once
    // The fastest of three of each: a loaded machine only ever adds time.
    const fastest = async (f: () => Promise<unknown>) => Math.min(await time(f), await time(f), await time(f));
    const wrong = await fastest(() => store.users.verify(u.username, 'not the password'));
    const unknown = await fastest(() => store.users.verify(uniqueName('nobody'), 'not the password'));
    expect(unknown).toBeGreaterThan(wrong * 0.5);
  });

  it('changes a password: the old one stops working', async () => {
    const u = await newUser();
    await store.users.setPassword(u.id, 'a brand new password');
    expect(await store.users.verify(u.username, PASSWORD)).toBeUndefined();
    expect((await store.users.verify(u.username, 'a brand new password'))?.id).toBe(u.id);
    expect(await code(store.users.setPassword(u.id, 'short'))).toBe('invalid');
  });

  it('answers not_found for changes to a user that does not exist', async () => {
    expect(await code(store.users.setDisabled('no-such-id', true))).toBe('not_found');
    expect(await code(store.users.setPassword('no-such-id', PASSWORD))).toBe('not_found');
  });

  it('never stores the password itself', async () => {
    const u = await newUser();
    const [row] = await sql<{ password_hash: string }>(db.url, 'SELECT password_hash FROM users WHERE id = $1', [u.id]);
    expect(row!.password_hash).toMatch(/^\$scrypt\$/);
    expect(row!.password_hash).not.toContain(PASSWORD);
  });
});

describe('the session store', () => {
  it('makes a random token of at least 32 bytes and keeps only its SHA-256', async () => {
    const u = await newUser();
    const { token, session } = await store.sessions.create(u.id, { ip: '10.0.0.8', userAgent: 'test' });
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(session.id).toBe(sha256Hex(token));
    expect(await sql(db.url, 'SELECT id FROM sessions WHERE id = $1', [token])).toHaveLength(0);
  });

  it('resolves a token to its session and user', async () => {
    const u = await newUser();
    const { token, session } = await store.sessions.create(u.id, { ip: '10.0.0.8', userAgent: 'Firefox' });
    const found = await store.sessions.resolve(token, 10 * MIN);
    expect(found?.session).toEqual(session);
    expect(found?.user.id).toBe(u.id);
    expect(await store.sessions.resolve('not-a-token', 10 * MIN)).toBeUndefined();
  });

  it('ends a session idle for longer than the limit', async () => {
    const u = await newUser();
    const { token } = await store.sessions.create(u.id, { ip: null, userAgent: null });
    expect(await store.sessions.resolve(token, 50)).toBeDefined();
    advance(100);
    expect(await store.sessions.resolve(token, 50)).toBeUndefined();
    // Gone for good, not just hidden by the short limit.
    expect(await store.sessions.resolve(token, 10 * MIN)).toBeUndefined();
  });

  it('touches lastSeenAt at most once a minute', async () => {
    const u = await newUser();
    const { token, session } = await store.sessions.create(u.id, { ip: null, userAgent: null });
    advance(30_000);
    expect((await store.sessions.resolve(token, 10 * MIN))?.session.lastSeenAt).toBe(session.lastSeenAt);
    advance(31_000);
    const touched = (await store.sessions.resolve(token, 10 * MIN))!.session.lastSeenAt;
    expect(touched).toBeGreaterThanOrEqual(session.lastSeenAt + 61_000);
    const [row] = await sql<{ last_seen_at: string }>(db.url, 'SELECT last_seen_at FROM sessions WHERE id = $1', [session.id]);
    expect(Number(row!.last_seen_at)).toBe(touched);
  });

  it('resolves nothing for a disabled user', async () => {
    const u = await newUser();
    const { token } = await store.sessions.create(u.id, { ip: null, userAgent: null });
    await store.users.setDisabled(u.id, true);
    expect(await store.sessions.resolve(token, 10 * MIN)).toBeUndefined();
  });

  it('ends one session at logout and every session of a user at once', async () => {
    const u = await newUser();
    const other = await newUser();
    const a = await store.sessions.create(u.id, { ip: null, userAgent: null });
    const b = await store.sessions.create(u.id, { ip: null, userAgent: null });
    const c = await store.sessions.create(u.id, { ip: null, userAgent: null });
    const theirs = await store.sessions.create(other.id, { ip: null, userAgent: null });
    await store.sessions.end(a.session.id);
    expect(await store.sessions.resolve(a.token, 10 * MIN)).toBeUndefined();
    expect((await store.sessions.endAllOf(u.id)).sort()).toEqual([b.session.id, c.session.id].sort());
    expect(await store.sessions.resolve(b.token, 10 * MIN)).toBeUndefined();
    expect(await store.sessions.resolve(theirs.token, 10 * MIN)).toBeDefined();
  });

  it('purges sessions idle past the limit and counts them', async () => {
    const u = await newUser();
    await store.sessions.create(u.id, { ip: null, userAgent: null });
    advance(2 * MIN);
    const fresh = await store.sessions.create(u.id, { ip: null, userAgent: null });
    expect(await store.sessions.purge(MIN)).toBeGreaterThanOrEqual(1);
    expect(await store.sessions.resolve(fresh.token, MIN)).toBeDefined();
  });
});

describe('the device credential store', () => {
  const tenant = 'qx-gas';

  it('issues a secret that verifies, and keeps only its Mosquitto hash', async () => {
    const username = uniqueName('gas');
    const v0 = await store.credentials.version();
    const secret = await store.credentials.issue({ username, kind: 'device', tenant, devices: [] });
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const cred = await store.credentials.verify(username, secret);
    expect(cred).toMatchObject({ username, kind: 'device', tenant, devices: [username], disabled: false });
    expect(cred!.secretHash).toMatch(/^\$7\$101\$/);
    expect(await store.credentials.verify(username, 'wrong-secret')).toBeUndefined();
    expect(await store.credentials.verify(uniqueName('nobody'), secret)).toBeUndefined();
    expect(await store.credentials.version()).toBe(v0 + 1);
  });

  it('rotates: the old secret stops working, the creation time stays', async () => {
    const username = uniqueName('gas');
    const first = await store.credentials.issue({ username, kind: 'device', tenant, devices: [username] });
    const before = (await store.credentials.get(username))!;
    advance(1000);
    const second = await store.credentials.issue({ username, kind: 'device', tenant, devices: [username] });
    expect(await store.credentials.verify(username, first)).toBeUndefined();
    const after = await store.credentials.verify(username, second);
    expect(after?.createdAt).toBe(before.createdAt);
    expect(after!.rotatedAt).toBeGreaterThan(before.rotatedAt);
  });

  it('refuses a disabled credential and bumps the version on every change', async () => {
    const username = uniqueName('gas');
    const secret = await store.credentials.issue({ username, kind: 'device', tenant, devices: [] });
    const v = await store.credentials.version();
    await store.credentials.setDisabled(username, true);
    expect(await store.credentials.verify(username, secret)).toBeUndefined();
    expect(await store.credentials.version()).toBe(v + 1);
    await store.credentials.setDisabled(username, false);
    expect(await store.credentials.verify(username, secret)).toBeDefined();
    expect(await store.credentials.version()).toBe(v + 2);
    expect(await code(store.credentials.setDisabled(uniqueName('nobody'), true))).toBe('not_found');
    expect(await store.credentials.version()).toBe(v + 2);
  });

  it('gives a gateway the devices it publishes for, and a device only itself', async () => {
    const gw = uniqueName('gw');
    await store.credentials.issue({ username: gw, kind: 'gateway', tenant, devices: ['gas-1', 'gas-2'] });
    expect((await store.credentials.get(gw))?.devices).toEqual(['gas-1', 'gas-2']);
    expect(await code(store.credentials.issue({ username: uniqueName('gw'), kind: 'gateway', tenant, devices: [] }))).toBe('invalid');
    expect(await code(store.credentials.issue({ username: uniqueName('gas'), kind: 'device', tenant, devices: ['gas-1'] }))).toBe('invalid');
  });

  it('refuses a tenant or device id that could escape its topic level', async () => {
    const username = uniqueName('gas');
    for (const bad of ['qx/gas', 'qx+', '#', '']) {
      expect(await code(store.credentials.issue({ username, kind: 'device', tenant: bad, devices: [] }))).toBe('invalid');
    }
    expect(await code(store.credentials.issue({ username: uniqueName('gw'), kind: 'gateway', tenant, devices: ['a/b'] }))).toBe('invalid');
  });

  it('issues 10,000 credentials in one go, quickly, with one version bump', { timeout: 60_000 }, async () => {
    const prefix = uniqueName('bulk');
    const items = Array.from({ length: 10_000 }, (_, i) => ({ username: `${prefix}-${i}`, kind: 'device' as const, tenant, devices: [] }));
    const v = await store.credentials.version();
    const t = performance.now();
    const secrets = await store.credentials.issueMany(items);
    const took = performance.now() - t;
    console.log(`issueMany: 10,000 credentials in ${Math.round(took)} ms`);
    expect(secrets.size).toBe(10_000);
    // A guard against a per-row round trip creeping in (minutes), not a benchmark.
    expect(took).toBeLessThan(30_000);
    expect(await store.credentials.version()).toBe(v + 1);
    for (const i of [0, 4321, 9999]) {
      expect(await store.credentials.verify(`${prefix}-${i}`, secrets.get(`${prefix}-${i}`)!)).toBeDefined();
    }
  });

  it('writes nothing of a batch that names one username twice', async () => {
    const username = uniqueName('dup');
    const item = { username, kind: 'device' as const, tenant, devices: [] };
    expect(await code(store.credentials.issueMany([item, item]))).toBe('invalid');
    expect(await store.credentials.get(username)).toBeUndefined();
  });
});

describe('the API key store', () => {
  it('creates a key shown once, kept as a SHA-256 and listed by its prefix', async () => {
    const tenant = uniqueName('tenant');
    const { key, record } = await store.apiKeys.create({ name: 'feed', tenant, devices: ['gas-1'] });
    expect(key).toMatch(/^ll_[A-Za-z0-9_-]{43}$/);
    expect(record).toMatchObject({ name: 'feed', tenant, devices: ['gas-1'], prefix: key.slice(0, 10), revokedAt: null, lastUsedAt: null });
    const [row] = await sql<{ key_hash: string }>(db.url, 'SELECT key_hash FROM api_keys WHERE id = $1', [record.id]);
    expect(row!.key_hash).toBe(sha256Hex(key));
    expect(await store.apiKeys.list(tenant)).toEqual([record]);
  });

  it('verifies the key and notes its use at most once a minute', async () => {
    const { key, record } = await store.apiKeys.create({ name: 'feed', tenant: 'qx-gas' });
    const first = await store.apiKeys.verify(key);
    expect(first).toMatchObject({ id: record.id, devices: [] });
    expect(first!.lastUsedAt).not.toBeNull();
    advance(10_000);
    expect((await store.apiKeys.verify(key))!.lastUsedAt).toBe(first!.lastUsedAt);
    advance(MIN);
    expect((await store.apiKeys.verify(key))!.lastUsedAt).toBeGreaterThan(first!.lastUsedAt!);
    expect(await store.apiKeys.verify(`${key}x`)).toBeUndefined();
    expect(await store.apiKeys.verify('not-a-key')).toBeUndefined();
  });

  it('stops accepting a revoked key, and revokes once', async () => {
    const { key, record } = await store.apiKeys.create({ name: 'feed', tenant: 'qx-gas' });
    expect(await store.apiKeys.revoke(record.id)).toBe(true);
    expect(await store.apiKeys.verify(key)).toBeUndefined();
    expect(await store.apiKeys.revoke(record.id)).toBe(false);
    expect(await store.apiKeys.revoke('no-such-id')).toBe(false);
  });
});

describe('the audit store', () => {
  const actor = uniqueName('auditor');
  const base = Date.now() - 3600_000;
  const entry = (over: Partial<Parameters<Store['audit']['append']>[0]> = {}) => ({
    actor,
    role: 'duty',
    tenant: null,
    ip: '10.0.0.8',
    session: 'abc',
    action: 'alert.acknowledge',
    target: 'alert-1',
    ...over,
  });

  beforeAll(async () => {
    await store.audit.append(entry({ at: base, before: { state: 'open' }, after: { state: 'acknowledged', level: 'red' } }));
    await store.audit.append(entry({ at: base + 1000, action: 'silence.create', target: 'silence-1', after: { minutes: 30 } }));
    await store.audit.append(entry({ at: base + 2000, tenant: 'qx-gas', target: 'alert-2', outcome: 'denied', detail: 'not in scope' }));
  });

  it('lists entries newest first, with before and after parsed back', async () => {
    const list = await store.audit.list({ actor });
    expect(list.map((e) => e.at)).toEqual([base + 2000, base + 1000, base]);
    expect(list[2]).toMatchObject({
      actor,
      role: 'duty',
      ip: '10.0.0.8',
      session: 'abc',
      action: 'alert.acknowledge',
      target: 'alert-1',
      before: { state: 'open' },
      after: { state: 'acknowledged', level: 'red' },
      outcome: 'ok',
      detail: null,
    });
    expect(list[0]).toMatchObject({ outcome: 'denied', detail: 'not in scope', before: null, after: null });
    expect(typeof list[0]!.id).toBe('string');
  });

  it('filters by action, target, tenant and time, and limits the page', async () => {
    expect((await store.audit.list({ actor, action: 'silence.create' })).map((e) => e.target)).toEqual(['silence-1']);
    expect((await store.audit.list({ actor, target: 'alert-2' })).map((e) => e.at)).toEqual([base + 2000]);
    expect((await store.audit.list({ actor, tenant: 'qx-gas' })).map((e) => e.target)).toEqual(['alert-2']);
    expect((await store.audit.list({ actor, from: base + 500, to: base + 1500 })).map((e) => e.target)).toEqual(['silence-1']);
    expect((await store.audit.list({ actor, limit: 2 })).map((e) => e.at)).toEqual([base + 2000, base + 1000]);
  });

  it('returns 200 entries unless asked for another number', async () => {
    const many = uniqueName('busy');
    for (let i = 0; i < 205; i++) await store.audit.append(entry({ actor: many, at: base + i }));
    expect(await store.audit.list({ actor: many })).toHaveLength(200);
    expect(await store.audit.list({ actor: many, limit: 5000 })).toHaveLength(205);
  });

  it('offers no way to alter or remove an entry', () => {
    expect(Object.keys(store.audit).sort()).toEqual(['append', 'list']);
  });
});
