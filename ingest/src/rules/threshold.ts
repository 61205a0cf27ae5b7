import { LEVELS, levelRank, type Level, type ThresholdSpec } from '@lifeline/core';

const ASCENDING: Level[] = [...LEVELS].reverse(); // blue … red

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

/** The bound of `level` in this rule (what was crossed). */
export function boundOf(spec: ThresholdSpec, level: Level): number | undefined {
  return spec.levels[level];
}
