import { describe, expect, it } from 'vitest';
import { KINDS } from '@lifeline/core';
import { Bursts, JITTER, ReportSchedule, reportIntervalMs } from '../../../simulators/src/report-schedule.js';
import { createRng } from '../../../simulators/src/rng.js';

const T0 = 1_700_000_000_000;

/** Runs `s` on a fake clock from T0 for `ms`, in steps of `step` ms, and returns each slot's report times. */
function run(s: ReportSchedule, ms: number, step = 50): number[][] {
  const times: number[][] = Array.from({ length: s.slots }, () => []);
  s.start(T0);
  for (let now = T0; now <= T0 + ms; now += step) {
    for (let i = s.take(now); i >= 0; i = s.take(now)) times[i]!.push(now);
  }
  return times;
}

/** Intervals of a few devices: the kinds' own (gas 30 s, power 60 s, smoke 120 s, …) and one overridden (300 s). */
const INTERVALS_S = [KINDS.gas.intervalS, KINDS.power.intervalS, KINDS.smoke.intervalS, KINDS.water_pressure.intervalS, 15, 300];

describe('the report schedule', () => {
  it('reports each device at its own interval, ±10 % jitter between two reports', () => {
    const s = new ReportSchedule(INTERVALS_S.length, (i) => reportIntervalMs(INTERVALS_S[i]!), createRng(1));
    const hour = 3_600_000;
    const times = run(s, hour);
    INTERVALS_S.forEach((sec, i) => {
      const t = times[i]!;
      expect(t.length, `slot ${i}`).toBeGreaterThanOrEqual(Math.floor(hour / (sec * 1000 * (1 + JITTER))));
      expect(t.length, `slot ${i}`).toBeLessThanOrEqual(Math.ceil(hour / (sec * 1000 * (1 - JITTER))) + 1);
      for (let k = 1; k < t.length; k++) {
        const gap = t[k]! - t[k - 1]!;
        // The fake clock steps 50 ms: a report is seen up to one step late.
        expect(gap, `slot ${i} gap ${k}`).toBeGreaterThanOrEqual(sec * 1000 * (1 - JITTER) - 50);
        expect(gap, `slot ${i} gap ${k}`).toBeLessThanOrEqual(sec * 1000 * (1 + JITTER) + 50);
      }
    });
  });

  it('spreads the first reports over one interval, so the devices do not all fire at once', () => {
    const n = 10_000;
    const s = new ReportSchedule(n, () => 30_000, createRng(2));
    s.start(T0);
    const firsts = Array.from({ length: n }, (_, i) => s.dueAt(i) - T0);
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...firsts)).toBeLessThan(30_000 * (1 + JITTER));
    // Nine 3-second bins up to 27 s (past that the longer gaps thin out), each with about a tenth of the devices.
    const bins = new Array(9).fill(0);
    for (const f of firsts) if (f < 27_000) bins[Math.floor(f / 3000)]++;
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(n / 40);
  });

  it('keeps a city’s devices apart: at a steady rate of devices ÷ interval, never a second a fifth above it, even one interval on (where a naive start piles up ~45 %)', () => {
    const n = 20_000;
    const s = new ReportSchedule(n, () => 30_000, createRng(3));
    s.start(T0);
    const perSecond = new Map<number, number>();
    for (let now = T0; now < T0 + 120_000; now += 100) {
      for (let i = s.take(now); i >= 0; i = s.take(now)) perSecond.set(Math.floor((now - T0) / 1000), (perSecond.get(Math.floor((now - T0) / 1000)) ?? 0) + 1);
    }
    const rate = n / 30;
    for (const [sec, c] of perSecond) expect(c, `second ${sec}`).toBeLessThan(rate * 1.2);
    expect([...perSecond.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(rate * 120 * 0.95);
  });

  it('reports X times as often with a rate multiplier of X (and the clock’s speed multiplies with it)', () => {
    expect(reportIntervalMs(30, 1, 10)).toBe(3000);
    expect(reportIntervalMs(60, 2, 5)).toBe(6000);
    const count = (mult: number) =>
      run(new ReportSchedule(100, () => reportIntervalMs(60, 1, mult), createRng(4)), 600_000)
        .map((t) => t.length)
        .reduce((a, b) => a + b, 0);
    const once = count(1);
    expect(once).toBeGreaterThan(950);
    expect(once).toBeLessThan(1050);
    expect(count(10) / once).toBeGreaterThan(9.5);
    expect(count(10) / once).toBeLessThan(10.5);
  });

  it('restarts a device far behind (a stalled loop) from now instead of catching up in a burst', () => {
    const s = new ReportSchedule(1000, () => 1000, createRng(5));
    s.start(T0);
    // Ten intervals without a look at the schedule: each device reports once, then is back on its interval.
    const late = T0 + 10_000;
    let sent = 0;
    while (s.take(late) >= 0) sent++;
    expect(sent).toBe(1000);
    for (let i = 0; i < 1000; i++) expect(s.dueAt(i)).toBeGreaterThanOrEqual(late);
    for (let i = 0; i < 1000; i++) expect(s.dueAt(i)).toBeLessThanOrEqual(late + 1000);
  });

  it('moves a device’s next report earlier or later on request (a gas leak starting its fast reporting)', () => {
    const s = new ReportSchedule(3, () => 60_000, createRng(6));
    s.start(T0);
    s.set(2, T0 - 1);
    expect(s.peek()).toBe(T0 - 1);
    expect(s.take(T0)).toBe(2);
    s.set(0, T0 + 10 * 60_000);
    const seen = new Set<number>();
    for (let now = T0; now < T0 + 5 * 60_000; now += 1000) for (let i = s.take(now); i >= 0; i = s.take(now)) seen.add(i);
    expect([...seen].sort()).toEqual([1, 2]);
    expect(s.dueAt(0)).toBe(T0 + 10 * 60_000);
  });
});

describe('bursts', () => {
  it('sends N readings at once when the feeds start, one a device in turn, and no more without a period', () => {
    const b = new Bursts({ size: 4 }, 10);
    b.start(T0);
    expect(b.take(T0 - 1)).toEqual([]);
    expect(b.take(T0)).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(b.peek()).toBe(Infinity);
    expect(b.take(T0 + 1e9)).toEqual([]);
  });

  it('repeats every S seconds, each burst going on with the devices where the last stopped', () => {
    const b = new Bursts({ size: 4, everyMs: 5000 }, 10);
    b.start(T0);
    const slots: number[] = [];
    let bursts = 0;
    for (let now = T0; now < T0 + 20_000; now += 100) {
      const got = b.take(now);
      if (got.length) {
        bursts++;
        expect(now - T0).toBe((bursts - 1) * 5000);
      }
      slots.push(...got.map(([slot]) => slot));
    }
    expect(bursts).toBe(4);
    expect(slots).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5]);
  });

  it('sends several readings a device, each one interval older, when the burst exceeds the devices (a gateway flushing its buffer)', () => {
    const b = new Bursts({ size: 7 }, 3);
    b.start(T0);
    expect(b.take(T0)).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
      [0, 1],
      [1, 1],
      [2, 1],
      [0, 2],
    ]);
  });

  it('sends a late burst once, not once for every period missed', () => {
    const b = new Bursts({ size: 1, everyMs: 1000 }, 5);
    b.start(T0);
    expect(b.take(T0 + 10_500)).toHaveLength(1);
    expect(b.take(T0 + 10_600)).toEqual([]);
    expect(b.peek()).toBe(T0 + 11_500);
  });

  it('refuses a burst that is not a whole number of messages, or a period that is not positive', () => {
    expect(() => new Bursts({ size: 0 }, 3)).toThrow(/whole number/);
    expect(() => new Bursts({ size: 2.5 }, 3)).toThrow(/whole number/);
    expect(() => new Bursts({ size: 2, everyMs: 0 }, 3)).toThrow(/positive/);
  });
});
