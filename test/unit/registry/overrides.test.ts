import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, type Device, type Registry } from '@lifeline/core';
import { checkRegistry } from '@lifeline/core/node';
import { compile } from '../../../ingest/src/rules/engine.js';

const base: Registry = {
  version: 1,
  district: { code: '441803', name: '清新区', city: '清远市', center: [113, 23.7] },
  towns: ['太和镇'],
  tenants: [{ id: 'qx-gas', name: '清新燃气', type: 'utility' }],
  devices: [],
};
const gas = (thresholds: Device['thresholds']): Device => ({
  id: 'gas-1',
  tenant: 'qx-gas',
  kind: 'gas',
  name: '燃气探测器',
  town: '太和镇',
  lon: 113,
  lat: 23.7,
  thresholds,
});
const ruleIds = (d: Device) => {
  const c = compile(DEFAULT_RULES, d);
  return [...c.metric.map((r) => r.id), c.offline?.id, c.events?.id].filter(Boolean);
};

describe('per-device rule overrides in the registry', () => {
  it('switches off a non-threshold rule of the device (a flatline on a detector known to read steady)', () => {
    const reg = checkRegistry({ ...base, devices: [gas({ ch4_flatline: { enabled: false } })] });
    const d = reg.byId.get('gas-1')!;
    expect(ruleIds(d)).not.toContain('ch4_flatline');
    expect(ruleIds(gas(undefined))).toContain('ch4_flatline');
  });

  it('changes the levels of a threshold rule, and the engine uses them', () => {
    const d = checkRegistry({ ...base, devices: [gas({ ch4_high: { levels: { red: 40 } } })] }).byId.get('gas-1')!;
    const high = compile(DEFAULT_RULES, d).metric.find((r) => r.id === 'ch4_high') as { levels: Record<string, number> };
    expect(high.levels).toMatchObject({ orange: 25, red: 40 });
  });

  it('refuses a rule the kind does not have, and hysteresis on a rule that has none, naming device and field', () => {
    expect(() => checkRegistry({ ...base, devices: [gas({ mpa_low: { enabled: false } })] })).toThrow(
      /device "gas-1": thresholds\.mpa_low is not a rule of kind gas/,
    );
    expect(() => checkRegistry({ ...base, devices: [gas({ ch4_flatline: { hysteresis: 1 } })] })).toThrow(
      /thresholds\.ch4_flatline: hysteresis applies to threshold rules only/,
    );
  });
});
