import { describe, expect, it } from 'vitest';
import { LEVELS, type Device, type Level } from '@lifeline/core';
import { CONFIG_KEYS, intervalOf, loadRegistry, thresholdsFor } from '@lifeline/core/node';
import { meterCapacity, normalEvent, normalValues, type FeedContext } from '../../../simulators/src/feeds.js';
import { GAS_LEAK_END_S, GasLeak, INCIDENT_INTERVAL_S, defaultGasDevice, gasLeakValue, levelOf } from '../../../simulators/src/incidents.js';
import { createRng } from '../../../simulators/src/rng.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
const HOUR = 3_600_000;
/** Monday 2025-03-03 00:00 in 清新区 (UTC+8). */
const MONDAY = Date.UTC(2025, 2, 2, 16);

function contextOf(device: Device, startMs = MONDAY): FeedContext {
  const tenant = registry.tenantsById.get(device.tenant);
  const meterCount = registry.devices.filter((d) => d.tenant === device.tenant && d.kind === 'power').length;
  return { tenant, meterCount, startMs };
}

/** Every reading of `device` over `hours` from `from`, at the device's own interval. */
function* day(device: Device, from = MONDAY, hours = 24, seed = 1): Generator<[number, Record<string, number>]> {
  const rng = createRng(seed);
  const ctx = contextOf(device, from);
  const step = intervalOf(device) * 1000;
  for (let t = from; t < from + hours * HOUR; t += step) yield [t, normalValues(device, ctx, t, rng)];
}

/** The first rule of `device` that `values` crosses, as "rule level value", or null. */
function crossing(device: Device, values: Record<string, number>): string | null {
  for (const [id, spec] of Object.entries(thresholdsFor(device))) {
    const v = values[spec.metric];
    if (v === undefined) continue;
    for (const level of LEVELS) {
      const bound = spec.levels[level];
      if (bound === undefined) continue;
      if (spec.direction === 'above' ? v >= bound : v <= bound) return `${id} ${level} at ${v}`;
    }
  }
  return null;
}

describe('normal feeds', () => {
  it('cross no threshold of any device over a simulated weekday and a Sunday', () => {
    const crossings: string[] = [];
    for (const device of registry.devices) {
      for (const from of [MONDAY, MONDAY + 6 * 24 * HOUR]) {
        for (const [t, values] of day(device, from)) {
          const c = crossing(device, values);
          if (c) crossings.push(`${device.id} ${new Date(t).toISOString()} ${c}`);
        }
      }
    }
    expect(crossings.slice(0, 10)).toEqual([]);
  });

  it('send the metrics of each kind as finite numbers', () => {
    const metrics: Record<Device['kind'], string[]> = {
      gas: ['ch4'],
      power: ['i_a', 'p_kw'],
      fire_panel: ['disabled', 'faults'],
      smoke: ['battery', 'smoke'],
      water_pressure: ['mpa'],
      drainage: ['level_m'],
    };
    for (const device of registry.devices) {
      const values = normalValues(device, contextOf(device), MONDAY + 10 * HOUR, createRng(2));
      expect(Object.keys(values).sort(), device.id).toEqual(metrics[device.kind]);
      for (const v of Object.values(values)) expect(Number.isFinite(v), device.id).toBe(true);
    }
  });

  it('stay in the ranges of a quiet day: gas 0–2 %LEL, water 0.28–0.45 MPa, drainage 0.3–1.2 m, smoke ≤ 0.02 dB/m', () => {
    const range = { ch4: [0, 2], mpa: [0.28, 0.45], level_m: [0.3, 1.2], smoke: [0, 0.02], battery: [80, 95] } as const;
    const outside: string[] = [];
    for (const device of registry.devices) {
      for (const [, values] of day(device)) {
        for (const [metric, [lo, hi]] of Object.entries(range)) {
          const v = values[metric];
          if (v !== undefined && (v < lo || v > hi)) outside.push(`${device.id} ${metric} ${v}`);
        }
      }
    }
    expect(outside.slice(0, 10)).toEqual([]);
  });

  it('lower water pressure at the morning peak compared with the small hours', () => {
    const wp = registry.devices.find((d) => d.kind === 'water_pressure' && !d.thresholds)!;
    const at = (h: number) => normalValues(wp, contextOf(wp), MONDAY + h * HOUR, createRng(3)).mpa!;
    expect(at(7.5)).toBeLessThan(at(3) - 0.03);
  });

  it('drain a smoke detector’s battery slowly from about 90 %', () => {
    const smk = registry.devices.find((d) => d.kind === 'smoke')!;
    const at = (days: number) => normalValues(smk, contextOf(smk), MONDAY + days * 24 * HOUR, createRng(4)).battery!;
    expect(at(0)).toBeGreaterThan(85);
    expect(at(0)).toBeLessThan(95);
    expect(at(10)).toBeLessThan(at(0));
    expect(at(0) - at(10)).toBeLessThan(10);
  });

  it('give fire panels a heartbeat of whole counts and only rarely a fault event', () => {
    const panels = registry.devices.filter((d) => d.kind === 'fire_panel');
    const rng = createRng(5);
    let faults = 0;
    for (const p of panels) {
      for (const [t, values] of day(p)) {
        expect(Number.isInteger(values.faults) && Number.isInteger(values.disabled)).toBe(true);
        const ev = normalEvent(p, t, rng);
        if (ev) {
          expect(ev.type).toBe('fault');
          faults++;
        }
      }
    }
    expect(faults).toBeLessThan(20); // a few a day across the district
    for (const d of registry.devices.filter((x) => x.kind !== 'fire_panel')) expect(normalEvent(d, MONDAY, createRng(6))).toBeNull();
  });
});

describe('enterprise power', () => {
  const enterprises = registry.tenants.filter((t) => t.enterprise);
  const meters = (tenant: string) => registry.devices.filter((d) => d.tenant === tenant);

  it('keeps a stopped enterprise near its idle draw all day', () => {
    const stopped = enterprises.filter((t) => t.enterprise!.state === 'stopped');
    expect(stopped.length).toBeGreaterThan(0);
    for (const t of stopped) {
      for (let h = 0; h < 24; h++) {
        const total = meters(t.id).reduce((s, d) => s + normalValues(d, contextOf(d), MONDAY + h * HOUR, createRng(h)).p_kw!, 0);
        expect(Math.abs(total - t.enterprise!.idleKw) / t.enterprise!.idleKw, `${t.id} at ${h}:00`).toBeLessThan(0.15);
      }
    }
  });

  it('draws well above idle during the working day and near idle at night for a day-shift mine', () => {
    const mine = enterprises.find((t) => t.industry === '非煤矿山' && t.enterprise!.state === 'normal')!;
    const total = (h: number) => meters(mine.id).reduce((s, d) => s + normalValues(d, contextOf(d), MONDAY + h * HOUR, createRng(h)).p_kw!, 0);
    expect(total(10)).toBeGreaterThan(mine.enterprise!.ratedKw * 0.5);
    expect(total(2)).toBeLessThan(mine.enterprise!.idleKw * 1.2);
  });

  it('splits the enterprise’s capacity among its meters', () => {
    for (const t of enterprises) {
      const sum = meters(t.id).reduce((s, d) => s + meterCapacity(d, contextOf(d)).capacityKw, 0);
      expect(sum).toBeCloseTo(t.enterprise!.ratedKw, 0);
    }
  });
});

describe('the scripted gas leak', () => {
  const detector = defaultGasDevice(registry.devices)!;

  /** When each level is first reached, sampling the leak every `stepS` seconds from `phaseS`. */
  function firstReached(stepS: number, phaseS = 0): Map<Level, number> {
    const first = new Map<Level, number>();
    for (let s = phaseS; s <= GAS_LEAK_END_S; s += stepS) {
      const level = levelOf(detector, 'ch4', gasLeakValue(s)!);
      if (level && !first.has(level)) first.set(level, s);
    }
    return first;
  }

  it('starts from a kitchen detector in 太和镇 on the default bounds', () => {
    expect(detector).toMatchObject({ kind: 'gas', town: '太和镇' });
    expect(detector.thresholds).toBeUndefined();
  });

  it('ramps through blue, yellow, orange and red in that order, reaching red within two to three minutes', () => {
    const first = firstReached(1);
    expect([...first.keys()]).toEqual(['blue', 'yellow', 'orange', 'red']);
    expect(first.get('red')).toBeGreaterThanOrEqual(120);
    expect(first.get('red')).toBeLessThanOrEqual(180);
  });

  it('stays in blue (≥ 5 %LEL) for about a minute before yellow, the early sign', () => {
    const first = firstReached(1);
    expect(first.get('yellow')! - first.get('blue')!).toBeGreaterThanOrEqual(55);
  });

  it('is seen at every level by a detector reporting every few seconds, whatever its phase', () => {
    for (let phase = 0; phase < INCIDENT_INTERVAL_S; phase++) {
      expect([...firstReached(INCIDENT_INTERVAL_S, phase).keys()]).toEqual(['blue', 'yellow', 'orange', 'red']);
    }
  });

  it('holds, then decays below blue before it ends', () => {
    const peak = Math.max(...Array.from({ length: GAS_LEAK_END_S }, (_, s) => gasLeakValue(s)!));
    expect(peak).toBeGreaterThan(55);
    expect(gasLeakValue(GAS_LEAK_END_S)!).toBeLessThan(2);
    expect(gasLeakValue(-1)).toBeNull();
    expect(gasLeakValue(GAS_LEAK_END_S + 1)).toBeNull();
  });

  it('reports its stage as it goes, offset by its start time', () => {
    const leak = new GasLeak(detector, 120);
    expect(leak.status(60).stage).toBe('waiting');
    expect(leak.status(125).stage).toBe('rising');
    expect(leak.status(120 + 100).stage).toBe('yellow');
    expect(leak.status(120 + 200).stage).toBe('red');
    expect(leak.status(120 + 400).stage).toBe('decaying');
    expect(leak.status(120 + GAS_LEAK_END_S + 1).stage).toBe('over');
  });

  it('refuses a device that is not a gas detector', () => {
    const pwr = registry.devices.find((d) => d.kind === 'power')!;
    expect(() => new GasLeak(pwr, 0)).toThrow(/not a gas detector/);
  });
});
