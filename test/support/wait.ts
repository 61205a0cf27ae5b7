export interface WaitOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Poll this often (default 50 ms). */
  intervalMs?: number;
  /** What is awaited, for the error: "3 points in InfluxDB", "the alert to open". */
  what?: string;
}

export class WaitTimeoutError extends Error {}

/**
 * Polls `predicate` until it returns a truthy value (resolved with it) or time
 * runs out, then throws an error naming what it waited for and the last
 * value or error seen. A predicate that throws is retried, not fatal: the
 * thing awaited is often not there yet.
 */
export async function waitFor<T>(predicate: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 50, what = 'the condition' } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      last = `last value: ${describe(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error)?.message ?? String(err)}`;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(v);
  }
}
