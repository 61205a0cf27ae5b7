import { describe, expect, it } from 'vitest';
import type { Device, Signal } from '@lifeline/core';
import { RuleEngine } from '@lifeline/ingest';

const T0 = 1_795_000_000_000;
const gas: Device = { id: 'gas-1', tenant: 'qx-gas', kind: 'gas', name: '燃气探测器', town: '太和镇', lon: 113, lat: 23.7, intervalS: 10 };
const panel: Device = { id: 'fp-1', tenant: 'fire', kind: 'fire_panel', name: '火灾报警控制器', town: '太和镇', lon: 113, lat: 23.7 };
const custom: Device = { ...gas, id: 'gas-2', thresholds: { ch4_high: { levels: { red: 40 } } } };
const devices = new Map([gas, panel, custom].map((d) => [d.id, d]));

function engine() {
  const signals: Signal[] = [];
  let now = T0;
  const e = new RuleEngine({ lookup: (id) => devices.get(id), onSignal: (s) => signals.push(s), now: () => now });
  return { e, signals, advance: (ms: number) => (now += ms), now: () => now };
}

describe('rule engine', () => {
  it('emits nothing for normal readings', () => {
    const { e, signals } = engine();
    e.onReading(gas, { ts: T0, values: { ch4: 1.2 } });
    expect(signals).toEqual([]);
  });

  it('emits a signal with level, value and the bound crossed, then one clear when the condition ends', () => {
    const { e, signals } = engine();
    for (const v of [30, 55, 1]) e.onReading(gas, { ts: T0, values: { ch4: v } });
    expect(signals.map((s) => [s.level, s.value, s.threshold])).toEqual([
      ['orange', 30, 25],
      ['red', 55, 50],
      [null, 1, undefined],
    ]);
    expect(signals[0]).toMatchObject({ device: 'gas-1', rule: 'ch4_high', ruleType: 'threshold', metric: 'ch4' });
  });

  it('uses a device threshold from the registry over the kind default', () => {
    const { e, signals } = engine();
    e.onReading(custom, { ts: T0, values: { ch4: 42 } });
    expect(signals[0]?.level).toBe('red');
  });

  it('raises a fire event red at once and clears it on reset', () => {
    const { e, signals } = engine();
    e.onEvent(panel, { ts: T0, type: 'fire', point: '1-2-031' });
    e.onEvent(panel, { ts: T0 + 1, type: 'feedback' });
    e.onEvent(panel, { ts: T0 + 2, type: 'reset' });
    expect(signals.map((s) => [s.rule, s.level])).toEqual([
      ['event:fire', 'red'],
      ['event:fire', null],
    ]);
  });

  it('raises offline when a device is silent past three intervals, and clears it when it speaks again', () => {
    const { e, signals, advance, now } = engine();
    e.seen(gas, now());
    advance(34_000);
    e.checkOffline(now());
    expect(signals).toEqual([]);
    advance(2_000);
    e.checkOffline(now());
    expect(signals).toMatchObject([{ rule: 'offline', level: 'yellow' }]);
    e.checkOffline(now());
    expect(signals).toHaveLength(1);
    e.seen(gas, now());
    expect(signals[1]).toMatchObject({ rule: 'offline', level: null });
  });

  it('believes a device that says it is offline (its last will)', () => {
    const { e, signals } = engine();
    e.onStatus(gas, 'offline', T0);
    expect(signals).toMatchObject([{ rule: 'offline', ruleType: 'offline', level: 'yellow' }]);
    expect(e.isOffline(gas.id)).toBe(true);
  });
});
