import { describe, expect, it } from 'vitest';
import { backoff } from '@lifeline/core/node';

const opts = { baseMs: 200, maxMs: 10_000, jitter: 0 };

describe('the retry backoff', () => {
  it('doubles from the base delay with each attempt', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoff(a, opts))).toEqual([200, 400, 800, 1600, 3200]);
  });

  it('stops doubling at the maximum, however many attempts have failed', () => {
    expect(backoff(7, opts)).toBe(10_000);
    expect(backoff(5000, opts)).toBe(10_000);
  });

  it('treats an attempt below one as the first', () => {
    expect(backoff(0, opts)).toBe(200);
    expect(backoff(-3, opts)).toBe(200);
  });

  it('spreads the delay by the jitter fraction either way, in whole milliseconds', () => {
    const j = { ...opts, jitter: 0.2 };
    expect(backoff(3, j, () => 0)).toBe(640);
    expect(backoff(3, j, () => 0.5)).toBe(800);
    expect(backoff(3, j, () => 0.999_999)).toBe(960);
    for (let i = 0; i < 200; i++) {
      const d = backoff(20, j);
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(12_000);
    }
  });
});
