import { LEVELS, levelRank, type Level, type LevelValues, type ThresholdSpec } from '@lifeline/core';

export const ASCENDING: Level[] = [...LEVELS].reverse(); // blue … red

/** Is `value` at or past `bound` in the rule's direction? */
function reaches(spec: ThresholdSpec, value: number, bound: number): boolean {
  return spec.direction === 'above' ? value >= bound : value <= bound;
}

/** Still within `bound` widened by the hysteresis band (so the level holds)? */
function holds(spec: ThresholdSpec, value: number, bound: number): boolean {
  return spec.direction === 'above' ? value > bound - spec.hysteresis : value < bound + spec.hysteresis;
}

/** The most severe level whose bound `value` satisfies by `test`, or null. */
function highest(spec: ThresholdSpec, value: number, test: typeof reaches, atMost?: Level | null): Level | null {
  let out: Level | null = null;
  for (const l of ASCENDING) {
    if (atMost !== undefined && levelRank(l) > levelRank(atMost)) break;
    const bound = spec.levels[l];
    if (bound !== undefined && test(spec, value, bound)) out = l;
  }
  return out;
}

/**
 * The next level of a threshold rule given the current one. A level is entered
 * as soon as its bound is reached and left only once the value is back past the
 * bound by the hysteresis band; when leaving, it falls to the most severe level
 * that still holds.
 */
export function nextLevel(spec: ThresholdSpec, current: Level | null, value: number): Level | null {
  const reached = highest(spec, value, reaches);
  const held = current ? highest(spec, value, holds, current) : null;
  return levelRank(reached) >= levelRank(held) ? reached : held;
}

/** Persisted state of one threshold condition: its level and since when (event time) each bound has been reached. */
export interface ThresholdState {
  level: Level | null;
  since?: Partial<Record<Level, number>>;
}

/**
 * Like `nextLevel`, but a level with a duration (`durationS[level]`, seconds)
 * is entered only once its bound has been reached continuously that long in
 * event time. Mutates `st` and returns the new level.
 */
export function stepThreshold(spec: ThresholdSpec & { durationS?: LevelValues }, st: ThresholdState, value: number, ts: number): Level | null {
  if (!spec.durationS) return (st.level = nextLevel(spec, st.level, value));
  // Made only once a bound is reached: most readings reach none, and make nothing.
  let since = st.since;
  let entered: Level | null = null;
  for (const l of ASCENDING) {
    const bound = spec.levels[l];
    if (bound === undefined) continue;
    if (!reaches(spec, value, bound)) {
      if (since?.[l] !== undefined) delete since[l];
      continue;
    }
    since ??= st.since = {};
    const s = (since[l] ??= ts);
    if (ts - s >= (spec.durationS[l] ?? 0) * 1000) entered = l;
  }
  const held = st.level ? highest(spec, value, holds, st.level) : null;
  st.level = levelRank(entered) >= levelRank(held) ? entered : held;
  if (since && isEmpty(since)) delete st.since;
  return st.level;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** The most severe level whose bound `x` reaches (bounds rising with severity), or null. */
export function levelAtLeast(levels: LevelValues, x: number): Level | null {
  let out: Level | null = null;
  for (const l of ASCENDING) {
    const b = levels[l];
    if (b !== undefined && x >= b) out = l;
  }
  return out;
}

export function maxLevel(a: Level | null, b: Level | null): Level | null {
  return levelRank(a) >= levelRank(b) ? a : b;
}

/** "45 秒", "12 分钟", "3.5 小时", "2 天". */
export function zhDuration(ms: number): string {
  const s = Math.max(0, ms / 1000);
  if (s < 90) return `${Math.round(s)} 秒`;
  if (s < 5400) return `${Math.round(s / 60)} 分钟`;
  if (s < 172_800) return `${Number((s / 3600).toFixed(1))} 小时`;
  return `${Number((s / 86_400).toFixed(1))} 天`;
}

/** Numbers in details: at most 3 decimals, no trailing zeros. */
export const fmt = (x: number): string => String(Number(x.toFixed(Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 1 ? 1 : 3)));
