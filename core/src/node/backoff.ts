export interface BackoffOptions {
  /** Delay before the first retry. */
  baseMs: number;
  /** The doubling stops here (before jitter). */
  maxMs: number;
  /**
   * Spread as a fraction of the delay (0.2: 80–120 %), so that many clients
   * failing together do not retry together. 0 for none.
   */
  jitter: number;
}

/**
 * The delay before retry number `attempt` (1 for the first): `baseMs`
 * doubled each attempt up to `maxMs`, spread by ±`jitter`. The one backoff of
 * the InfluxDB writer and the notifier.
 */
export function backoff(attempt: number, { baseMs, maxMs, jitter }: BackoffOptions, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const delay = Math.min(maxMs, baseMs * 2 ** (n - 1));
  return Math.round(delay * (1 - jitter + 2 * jitter * random()));
}
