import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { credentialsFileSchema } from '@lifeline/core';
import { openStore } from '../../server/src/store/open-store.js';
import type { Store } from '../../server/src/store/types.js';
import { createTestDatabase } from '../support/pg.js';
import { runCli, type CliRun } from '../support/cli.js';
import { tempDataDir } from '../support/services.js';

/** `npm run users -- …` as an operator runs it, from the sources, with `stdin` on its standard input. */
const users = (databaseUrl: string, args: string[], stdin = ''): Promise<CliRun> => runCli('users', args, { DATABASE_URL: databaseUrl }, stdin);

// Each call starts a node process with tsx (1–5 s on a loaded 2-core machine): a generous timeout per test.
describe('npm run users', { timeout: 120_000 }, () => {
  let db: { url: string; drop(): Promise<void> };
  let store: Store;

  beforeAll(async () => {
    db = await createTestDatabase(inject('pgUrl'), 'cli');
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('lists its commands with --help', async () => {
    const r = await users(db.url, ['--help']);
    expect(r.code).toBe(0);
    for (const word of ['add NAME --role', 'credentials issue', 'api-key create', 'mosquitto-sync']) expect(r.stdout).toContain(word);
  });

  it('creates the first admin with the password from standard input, and refuses a short one or an enterprise without a tenant', async () => {
    const ok = await users(db.url, ['add', 'chief', '--role', 'admin', '--display-name', '管理员'], 'a-long-enough-password\n');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    store = await openStore(db.url);
    expect(await store.users.verify('chief', 'a-long-enough-password')).toMatchObject({ username: 'chief', role: 'admin', displayName: '管理员' });
    const short = await users(db.url, ['add', 'zhang', '--role', 'duty'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/password/);
    const noTenant = await users(db.url, ['add', 'ent', '--role', 'enterprise'], 'a-long-enough-password\n');
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toMatch(/--tenant/);
    expect((await users(db.url, ['add', 'x', '--role', 'wizard'], 'a-long-enough-password\n')).code).toBe(1);
    expect((await users(db.url, ['frobnicate'])).code).toBe(2);
    const audit = await store.audit.list({ action: 'user.create' });
    expect(audit[0]).toMatchObject({ target: 'chief', role: 'admin' });
    expect(audit[0]!.actor).toMatch(/^cli:/);
  });

  it('disables a user and resets a password, ending their sessions', async () => {
    const u = (await store.users.byUsername('chief'))!;
    const { token } = await store.sessions.create(u.id, { ip: null, userAgent: null });
    expect((await users(db.url, ['reset', 'chief'], 'another-long-password\n')).code).toBe(0);
    expect(await store.sessions.resolve(token, 60_000)).toBeUndefined();
    expect(await store.users.verify('chief', 'another-long-password')).toBeDefined();
    expect((await users(db.url, ['disable', 'chief'])).code).toBe(0);
    expect(await store.users.verify('chief', 'another-long-password')).toBeUndefined();
    expect((await users(db.url, ['enable', 'chief'])).code).toBe(0);
    expect((await users(db.url, ['disable', 'nobody'])).code).toBe(1);
  });

  it('issues a credential per device into a 0600 file the simulator reads, and rotates it on a second issue', async () => {
    const out = path.join(tempDataDir('cli'), 'creds.json');
    const r = await users(db.url, ['credentials', 'issue', '--tenant', 'ent-01', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const file = credentialsFileSchema.parse(JSON.parse(readFileSync(out, 'utf8')), 'credentials file');
    expect(file.credentials.map((c) => c.username).sort()).toEqual(['pwr-0001', 'pwr-0002', 'pwr-0003']);
    const first = file.credentials[0]!;
    expect(await store.credentials.verify(first.username, first.secret)).toMatchObject({ tenant: 'ent-01', devices: [first.username] });
    expect((await users(db.url, ['credentials', 'issue', '--device', first.username, '--out', out])).code).toBe(0);
    expect(await store.credentials.verify(first.username, first.secret)).toBeUndefined();
    const gw = await users(db.url, ['credentials', 'gateway', 'gw-ent-01', '--tenant', 'ent-01', '--devices', 'pwr-0001,pwr-0004']);
    expect(gw.code).toBe(1);
    expect(gw.stderr).toMatch(/pwr-0004 belongs to/);
  });

  it('creates an API key shown once and revokes it', async () => {
    const r = await users(db.url, ['api-key', 'create', '--tenant', 'ent-01', '--name', '宏达化工采集']);
    expect(r.code, r.stderr).toBe(0);
    const key = /^(ll_\S+)$/m.exec(r.stdout)?.[1];
    expect(key).toBeTruthy();
    const rec = await store.apiKeys.verify(key!);
    expect(rec).toMatchObject({ tenant: 'ent-01', name: '宏达化工采集' });
    expect((await users(db.url, ['api-key', 'revoke', rec!.id])).code).toBe(0);
    expect(await store.apiKeys.verify(key!)).toBeUndefined();
  });

  it('refuses a change-me secret outside the demo', async () => {
    const r = await users(db.url.replace(/:([^:@/]+)@/, ':change-me@'), ['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL.*change-me/);
  });
});
