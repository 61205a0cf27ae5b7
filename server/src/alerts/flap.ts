export interface FlapOptions {
  /** More raise/clear transitions than this within `windowMs` is flapping. */
  maxTransitions: number;
  windowMs: number;
}

export const DEFAULT_FLAP: FlapOptions = { maxTransitions: 6, windowMs: 10 * 60_000 };

/**
 * Counts raise/clear transitions per alert key. A key that changes more than
 * `maxTransitions` times within `windowMs` is flapping until it settles: a
 * whole window with no transition.
 */
export class FlapDetector {
  private readonly opts: FlapOptions;
  private readonly seen = new Map<string, { times: number[]; flapping: boolean }>();
  private prunedAt = -Infinity;

  constructor(opts: Partial<FlapOptions> = {}) {
    this.opts = { ...DEFAULT_FLAP, ...opts };
  }

  /** Records a transition; true when the key is flapping now. */
  transition(key: string, t: number): boolean {
    const e = this.seen.get(key) ?? { times: [], flapping: false };
    this.seen.set(key, e);
    e.times = e.times.filter((x) => x > t - this.opts.windowMs);
    e.times.push(t);
    if (e.times.length > this.opts.maxTransitions) e.flapping = true;
    return e.flapping;
  }

  isFlapping(key: string, t: number): boolean {
    const e = this.seen.get(key);
    if (!e) return false;
    const last = e.times[e.times.length - 1] ?? 0;
    if (last <= t - this.opts.windowMs) {
      // Settled: forget the key so the map holds only keys that moved within a window.
      this.seen.delete(key);
      return false;
    }
    return e.flapping;
  }

  /**
   * Forgets keys that settled, so the map holds only keys that moved within a
   * window; a walk over every key, so done at most a tenth of a window apart
   * (a city's mass event leaves a hundred thousand keys; a tick must not walk them).
   */
  prune(t: number): void {
    if (t - this.prunedAt < this.opts.windowMs / 10) return;
    this.prunedAt = t;
    for (const [key, e] of this.seen) if ((e.times[e.times.length - 1] ?? 0) <= t - this.opts.windowMs) this.seen.delete(key);
  }
}
