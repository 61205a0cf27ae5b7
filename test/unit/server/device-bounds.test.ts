import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Type } from '@sinclair/typebox';
import { RuleBound, validator, type Device, type RulesFile } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { loadRulesFile, RuleEngine } from '@lifeline/ingest';
import { DeviceViews } from '../../../server/src/device-views.js';
import { alertHarness } from '../../support/alert-harness.js';
import { REPO_ROOT } from '../../support/services.js';

const registry = loadRegistry(path.join(REPO_ROOT, 'data/qingxin-registry.json'));
const rulesFile = loadRulesFile(path.join(REPO_ROOT, 'data/rules.json'));
const overridden = registry.byId.get('pwr-0001')!;
// Every meter of the sample registry has its own rating; a meter without an override has the file's bounds.
const { thresholds: _, ...rest } = overridden;
const plain: Device = { ...rest, id: 'pwr-plain' };
const water = registry.devices.find((d) => d.kind === 'water_pressure' && !d.thresholds)!;
const boundsSchema = validator(Type.Array(RuleBound));

function views(rules: RulesFile = rulesFile) {
  const devices = new Map([overridden, plain, water].map((d) => [d.id, d]));
  const engine = new RuleEngine({ lookup: (id) => devices.get(id), onSignal: () => {}, rules });
  return { engine, views: new DeviceViews(devices, { rules: engine, latest: new Map() }, alertHarness({ devices: [...devices.values()] }).m) };
}

/** The rules file with `p_kw_high` changed by `f`. */
function withPowerRule(f: (levels: Record<string, number>) => Record<string, number>, enabled = true): RulesFile {
  const next = structuredClone(rulesFile);
  for (const r of next.rules) {
    if (r.type === 'threshold' && r.id === 'p_kw_high') {
      r.levels = f(r.levels as Record<string, number>);
      r.enabled = enabled;
    }
  }
  return next;
}

describe('a device’s bounds as its rules run', () => {
  it('gives pwr-0001 its registry override (1080/1200/1440 kW) and a meter without one the rules file’s (900/1000/1200 kW)', () => {
    const { views: v } = views();
    expect(v.bounds('pwr-0001')).toEqual([{ rule: 'p_kw_high', metric: 'p_kw', direction: 'above', levels: { yellow: 1080, orange: 1200, red: 1440 } }]);
    expect(v.bounds('pwr-plain')).toEqual([{ rule: 'p_kw_high', metric: 'p_kw', direction: 'above', levels: { yellow: 900, orange: 1000, red: 1200 } }]);
    expect(boundsSchema.check(v.bounds('pwr-0001')).ok).toBe(true);
  });

  it('gives every threshold rule of the kind with its direction, and nothing for a device not in the registry', () => {
    const { views: v } = views();
    expect(v.bounds(water.id)).toEqual([
      { rule: 'mpa_low', metric: 'mpa', direction: 'below', levels: { blue: 0.2, yellow: 0.15, orange: 0.1, red: 0.05 } },
      { rule: 'mpa_high', metric: 'mpa', direction: 'above', levels: { yellow: 0.7, orange: 0.8 } },
    ]);
    expect(v.bounds('no-such-device')).toBeUndefined();
  });

  it('follows a reloaded rules file: new levels of the file, the override still on top, a disabled rule gone', () => {
    const { engine, views: v } = views();
    engine.setRules(withPowerRule(() => ({ blue: 800, yellow: 950, orange: 1100, red: 1300 })));
    expect(v.bounds('pwr-plain')![0]!.levels).toEqual({ blue: 800, yellow: 950, orange: 1100, red: 1300 });
    expect(v.bounds('pwr-0001')![0]!.levels).toEqual({ blue: 800, yellow: 1080, orange: 1200, red: 1440 });
    engine.setRules(withPowerRule((l) => l, false));
    expect(v.bounds('pwr-0001')).toEqual([]);
  });
});
