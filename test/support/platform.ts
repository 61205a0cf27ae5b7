/**
 * One way for tests to start a whole platform: a fresh PostgreSQL database of
 * its own (from the run's PostgreSQL, `inject('pgUrl')`), a data dir of its
 * own, and one account per role, so every test logs in as a real person.
 *
 *   const t = await startTestPlatform({ mqttUrl, influxUrl, influxDb: db });
 *   const duty = await t.login('duty');
 *   await duty.post(`/alerts/${id}/acknowledge`, {});
 */
import { inject } from 'vitest';
import type { Role } from '@lifeline/core';
import type { Config } from '@lifeline/core/node';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { createTestDatabase } from './pg.js';
import { tempDataDir, uniqueName } from './services.js';

/** Every role's test account: username = the role, password = this prefix + the role. */
export const TEST_PASSWORD_PREFIX = 'test-password-';
export const testPassword = (role: Role) => `${TEST_PASSWORD_PREFIX}${role}`;
/** The tenant of the seeded enterprise user, unless a test names another. */
export const DEFAULT_ENTERPRISE_TENANT = 'ent-01';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A logged-in person's HTTP client (the session cookie on every request). */
export interface ApiClient {
  cookie: string;
  username: string;
  get<T = unknown>(path: string): Promise<ApiAnswer<T>>;
  post<T = unknown>(path: string, body?: unknown): Promise<ApiAnswer<T>>;
  del<T = unknown>(path: string): Promise<ApiAnswer<T>>;
}

export interface TestPlatform {
  platform: Platform;
  url: string;
  databaseUrl: string;
  login(role: Role): Promise<ApiClient>;
  /** An anonymous client: no cookie. */
  anonymous: ApiClient;
  stop(): Promise<void>;
}

export interface TestPlatformOptions {
  enterpriseTenant?: string;
  /** An existing database (a restart test's second platform). */
  databaseUrl?: string;
  /** The alert lifecycle's clock (see PlatformClock): a test sets times rather than sleeping. */
  now?: () => number;
}

export async function startTestPlatform(overrides: Partial<Config>, opts: TestPlatformOptions = {}): Promise<TestPlatform> {
  const db = opts.databaseUrl ? null : await createTestDatabase(inject('pgUrl'), 'platform');
  const databaseUrl = opts.databaseUrl ?? db!.url;
  const platform = await startPlatform(
    {
      port: 0,
      host: '127.0.0.1',
      mqttClientId: uniqueName('ingest'),
      dataDir: tempDataDir(),
      logLevel: 'warn',
      // Reports only when a test asks: a scheduled one would post to the receivers other tests count.
      reportsSchedule: false,
      ...overrides,
      databaseUrl,
    },
    { now: opts.now },
  );
  await seedAccounts(platform, opts.enterpriseTenant ?? DEFAULT_ENTERPRISE_TENANT);
  const url = platform.httpUrl;
  return {
    platform,
    url,
    databaseUrl,
    login: (role) => login(url, role, testPassword(role)),
    anonymous: client(url, '', ''),
    async stop() {
      await platform.stop();
      await db?.drop().catch(() => undefined);
    },
  };
}

/** One account per role (idempotent: a restarted platform on the same database keeps them). */
export async function seedAccounts(platform: Platform, enterpriseTenant: string): Promise<void> {
  const roles: Role[] = ['admin', 'supervisor', 'duty', 'enterprise', 'auditor'];
  for (const role of roles) {
    if (await platform.store.users.byUsername(role)) continue;
    await platform.store.users.create({
      username: role,
      displayName: `test ${role}`,
      role,
      tenant: role === 'enterprise' ? enterpriseTenant : null,
      password: testPassword(role),
    });
  }
}

export async function login(url: string, username: string, password: string): Promise<ApiClient> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`);
  const set = res.headers.get('set-cookie') ?? '';
  const cookie = set.split(';')[0]!;
  return client(url, cookie, username);
}

export function client(url: string, cookie: string, username: string): ApiClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: the text itself */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    cookie,
    username,
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b ?? {}),
    del: (p) => call('DELETE', p),
  };
}
