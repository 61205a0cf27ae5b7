import { describe, expect, it } from 'vitest';
import { KINDS, type Level, type ThresholdSpec } from '@lifeline/core';
import { nextLevel } from '@lifeline/ingest';

const gas = KINDS.gas.thresholds.ch4_high!; // blue 5, yellow 10, orange 25, red 50; hysteresis 2
const lowPressure = KINDS.water_pressure.thresholds.mpa_low!; // blue .2, yellow .15, orange .1, red .05; hysteresis .02

function walk(spec: ThresholdSpec, values: number[]): (Level | null)[] {
  let level: Level | null = null;
  return values.map((v) => (level = nextLevel(spec, level, v)));
}

describe('threshold levels', () => {
  it('raises gas through blue, yellow, orange and red at 5, 10, 25 and 50 %LEL', () => {
    expect(walk(gas, [1, 5, 9.9, 10, 25, 49, 50, 80])).toEqual([null, 'blue', 'blue', 'yellow', 'orange', 'orange', 'red', 'red']);
  });

  it('jumps straight to the level reached, without passing through the lower ones', () => {
    expect(walk(gas, [0, 62])).toEqual([null, 'red']);
  });

  it('holds a level until the value is back past its bound by the hysteresis band', () => {
    // red at 50; stays red down to just above 48, drops at 48 to the level that still holds (orange)
    expect(walk(gas, [50, 49, 48.5, 48, 24, 23, 4, 3.5, 3])).toEqual(['red', 'red', 'red', 'orange', 'orange', 'yellow', 'blue', 'blue', null]);
  });

  it('does not flap while a reading hovers at a bound', () => {
    expect(walk(gas, [10, 9.5, 10.2, 8.1, 10, 7.9])).toEqual(['yellow', 'yellow', 'yellow', 'yellow', 'yellow', 'blue']);
  });

  it('works downwards for a rule that fires when the value falls (water pressure)', () => {
    expect(walk(lowPressure, [0.35, 0.2, 0.21, 0.15, 0.04, 0.06, 0.07, 0.3])).toEqual([null, 'blue', 'blue', 'yellow', 'red', 'red', 'orange', null]);
  });
});
