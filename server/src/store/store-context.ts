/**
 * What every store file shares: the connection pool, the clock, and one way
 * to run statements in a transaction.
 */
import type { Pool, PoolClient } from 'pg';

export interface StoreContext {
  pool: Pool;
  /** Epoch ms; tests pass a clock of their own rather than sleeping. */
  now: () => number;
}

/** A client of the pool or the pool itself: both answer `query`. */
export type Queryable = Pick<PoolClient, 'query'>;

/** Runs `fn` inside BEGIN … COMMIT on one client; ROLLBACK on any throw. */
export async function inTransaction<T>(pool: Pool, fn: (c: PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch((e: Error) => {
      // A client that cannot even roll back is not given to the next caller.
      broken = e;
    });
    throw err;
  } finally {
    c.release(broken);
  }
}

/** PostgreSQL's SQLSTATE for a unique index refusing a row. */
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '23505';
}

/** `$from, $from+1, …` placeholders for one row of `n` values. */
export function placeholders(from: number, n: number): string {
  return Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');
}

/** BIGINT arrives from pg as a string (it may exceed 2^53); epoch ms never do. */
export function ms(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

export function msOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : ms(v);
}
