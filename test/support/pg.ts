/**
 * A PostgreSQL database of a test's own on the run's shared server, so test
 * files run in parallel without seeing each other's rows:
 *
 *   const db = await createTestDatabase(inject('pgUrl'), 'store');
 *   const store = await openStore(db.url);
 *   …
 *   await store.close();
 *   await db.drop();
 */
import pg from 'pg';
import { uniqueName } from './services.js';

export interface TestDatabase {
  /** The admin URL with the new database in its path. */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

async function asAdmin<T>(adminUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates a fresh, uniquely named, empty database with the superuser of `adminUrl`. */
export async function createTestDatabase(adminUrl: string, prefix = 'test'): Promise<TestDatabase> {
  // uniqueName gives [a-z0-9_] only, so the quoted identifier needs no escaping.
  const name = uniqueName(prefix);
  await asAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    url: url.toString(),
    drop() {
      dropped ??= asAdmin(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
      return dropped;
    },
  };
}
