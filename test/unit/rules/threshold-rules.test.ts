import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, type RulesFile } from '@lifeline/core';
import { RuleEngine } from '@lifeline/ingest';
import { MIN, S, T0, engine, feed, gas, water } from './support.js';

/** The defaults with gas orange needing 30 s ("≥ 25 %LEL for 30 s"). */
const withOrangeDuration: RulesFile = {
  ...DEFAULT_RULES,
  rules: DEFAULT_RULES.rules.map((r) => (r.id === 'ch4_high' && r.type === 'threshold' ? { ...r, durationS: { blue: 30, orange: 30 } } : r)),
};

describe('threshold rules', () => {
  it('raise blue for a small rise only once it held 30 s in event time', () => {
    const { e, levels, of } = engine();
    feed(e, gas, T0, 40 * S, 10 * S, () => ({ ch4: 6 }));
    expect(levels('ch4_high')).toEqual(['blue']); // readings at 0, 10, 20 s wait; 30 s raises
    expect(of('ch4_high')[0]).toMatchObject({ threshold: 5, metric: 'ch4', detail: expect.stringContaining('已持续 30 秒') });
  });

  it('forget a duration in progress when the value falls back below the bound', () => {
    const { e, levels } = engine();
    feed(e, gas, T0, 20 * S, 10 * S, () => ({ ch4: 6 }));
    e.onReading(gas, { ts: T0 + 20 * S, values: { ch4: 1 } });
    feed(e, gas, T0 + 30 * S, 30 * S, 10 * S, () => ({ ch4: 6 }));
    expect(levels('ch4_high')).toEqual([]);
  });

  it('enter orange at once without a duration, and hold it within the hysteresis band', () => {
    const { e, levels } = engine();
    for (const [i, v] of [30, 24, 23.5, 22.9].entries()) e.onReading(gas, { ts: T0 + i * S, values: { ch4: v } });
    // 24 and 23.5 are within 2 of 25: orange holds; 22.9 falls to yellow (≥10).
    expect(levels('ch4_high')).toEqual(['orange', 'orange', 'orange', 'yellow']);
  });

  it('keep a 30 s window running across a restart of the engine (snapshot, new engine, restore)', () => {
    const a = engine({ rules: withOrangeDuration });
    feed(a.e, gas, T0, 25 * S, 5 * S, () => ({ ch4: 27 })); // 0 … 20 s: 20 s into the window
    expect(a.levels('ch4_high').filter((l) => l === 'orange')).toEqual([]);
    const snap = JSON.parse(JSON.stringify(a.e.snapshot()));
    const b = engine({ rules: withOrangeDuration });
    b.e.restore(snap);
    b.e.onReading(gas, { ts: T0 + 25 * S, values: { ch4: 27 } });
    expect(b.levels('ch4_high')).toEqual(['yellow']); // yellow has no duration; orange still waits
    b.e.onReading(gas, { ts: T0 + 30 * S, values: { ch4: 27 } });
    expect(b.of('ch4_high')[1]).toMatchObject({ level: 'orange', detail: expect.stringContaining('已持续 30 秒') });
  });

  it('turn a burst of identical messages into one signal stream (one alert) with no clear in between', () => {
    const { e, signals } = engine();
    for (let i = 0; i < 50; i++) e.onReading(gas, { ts: T0, values: { ch4: 30 } });
    expect(new Set(signals.map((s) => `${s.device}|${s.rule}`))).toEqual(new Set(['gas-1|ch4_high']));
    expect(signals.every((s) => s.level === 'orange')).toBe(true);
    expect(signals).toHaveLength(50);
  });

  it('use a device override from the registry by rule id', () => {
    const custom = { ...gas, id: 'gas-9', site: undefined, thresholds: { ch4_high: { levels: { red: 40 } } } };
    const { e, levels } = engine({ devices: [custom] });
    e.onReading(custom, { ts: T0, values: { ch4: 42 } });
    expect(levels('ch4_high')).toEqual(['red']);
  });
});

describe('rate of change', () => {
  it('raises orange when water pressure drops more than 0.1 MPa within a minute (a burst), holds it, then clears', () => {
    const { e, of, levels } = engine();
    feed(e, water, T0, 5 * MIN, 30 * S, () => ({ mpa: 0.38 }));
    e.onReading(water, { ts: T0 + 5 * MIN, values: { mpa: 0.33 } });
    e.onReading(water, { ts: T0 + 5 * MIN + 30 * S, values: { mpa: 0.25 } });
    expect(of('mpa_burst')).toMatchObject([
      { level: 'orange', ruleType: 'rate', value: 0.25, threshold: 0.1, detail: expect.stringContaining('下降 0.13 MPa') },
    ]);
    feed(e, water, T0 + 6 * MIN, 6 * MIN, 30 * S, () => ({ mpa: 0.25 }));
    expect(levels('mpa_burst').at(-1)).toBeNull();
    expect(levels('mpa_burst').filter((l) => l === null)).toHaveLength(1);
  });

  it('ignores the slow daily swing of pressure', () => {
    const { e, signals } = engine();
    feed(e, water, T0, 3 * 60 * MIN, 30 * S, (t) => ({ mpa: 0.38 - 0.06 * Math.sin((t - T0) / (2 * 60 * MIN)) }));
    expect(signals).toEqual([]);
  });
});

describe('the engine without options', () => {
  it('evaluates the built-in rules', () => {
    const signals: unknown[] = [];
    const e = new RuleEngine({ lookup: () => gas, onSignal: (s) => signals.push(s) });
    e.onReading(gas, { ts: T0, values: { ch4: 55 } });
    expect(signals).toMatchObject([{ rule: 'ch4_high', level: 'red' }]);
  });
});
