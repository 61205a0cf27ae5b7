import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, effectiveRules, thresholdsFor, type Device, type RulesFile } from '@lifeline/core';
import { compile } from '@lifeline/ingest';

const meter: Device = {
  id: 'pwr-9',
  tenant: 'ent-a',
  kind: 'power',
  name: '总表',
  town: '太和镇',
  lon: 113,
  lat: 23.7,
  thresholds: { p_kw_high: { levels: { orange: 1200, red: 1440 }, hysteresis: 30 }, power_baseline: { enabled: false } },
};

describe("a device's effective rules", () => {
  it('are its kind’s rules with its registry overrides applied, the rules themselves left as they were', () => {
    const high = effectiveRules(meter).find((r) => r.id === 'p_kw_high');
    expect(high).toMatchObject({ type: 'threshold', levels: { yellow: 900, orange: 1200, red: 1440 }, hysteresis: 30 });
    expect(DEFAULT_RULES.rules.find((r) => r.id === 'p_kw_high')).toMatchObject({ levels: { orange: 1000, red: 1200 }, hysteresis: 20 });
  });

  it('leave out rules switched off for the device or in the file, rules of other kinds and site rules', () => {
    const rules: RulesFile = { ...DEFAULT_RULES, rules: DEFAULT_RULES.rules.map((r) => (r.id === 'power_schedule' ? { ...r, enabled: false } : r)) };
    const ids = effectiveRules(meter, rules).map((r) => r.id);
    expect(ids).toEqual(['p_kw_high', 'power_stopped', 'power_overload', 'offline', 'events']);
  });

  it('follow the rules they are given (a reloaded file), not the built-in ones', () => {
    const rules: RulesFile = {
      ...DEFAULT_RULES,
      rules: DEFAULT_RULES.rules.map((r) => (r.id === 'p_kw_high' && r.type === 'threshold' ? { ...r, levels: { yellow: 800, orange: 950, red: 1100 } } : r)),
    };
    expect(thresholdsFor(meter, rules).p_kw_high!.levels).toEqual({ yellow: 800, orange: 1200, red: 1440 });
  });

  it('are what the rule engine evaluates and what thresholdsFor draws', () => {
    const c = compile(DEFAULT_RULES, meter);
    const engineHigh = c.metric.find((r) => r.id === 'p_kw_high');
    expect(engineHigh).toEqual(thresholdsFor(meter).p_kw_high);
    expect(c.power.map((r) => r.id)).toEqual(['power_stopped', 'power_overload', 'power_schedule']);
  });

  it('keep an event rule’s levels, which name events rather than bounds', () => {
    const panel: Device = { ...meter, id: 'fp-9', kind: 'fire_panel', thresholds: { events: { levels: { red: 1 } } } };
    expect(effectiveRules(panel).find((r) => r.id === 'events')).toBe(DEFAULT_RULES.rules.find((r) => r.type === 'event' && r.kind === 'fire_panel'));
  });
});
