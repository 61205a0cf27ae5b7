import { describe, expect, it } from 'vitest';
import type { Device, Signal } from '@lifeline/core';
import { AlertError } from '../../../server/src/index.js';
import { alertHarness, T0 } from '../../support/alert-harness.js';

const gas: Device = { id: 'gas-1', tenant: 'qx-gas', kind: 'gas', name: '太和镇某酒家 厨房燃气探测器', town: '太和镇', lon: 113, lat: 23.7 };

const manager = () => alertHarness({ devices: [gas] });

const gasSignal = (level: Signal['level'], value: number, threshold?: number): Signal => ({
  device: 'gas-1',
  rule: 'ch4_high',
  ruleType: 'threshold',
  level,
  ts: T0,
  metric: 'ch4',
  direction: 'above',
  value,
  threshold,
});

describe('alert manager', () => {
  it('raises one alert for a burst of identical signals and counts them', () => {
    const { m, entries } = manager();
    for (let i = 0; i < 50; i++) m.onSignal(gasSignal('red', 60, 50));
    const open = m.list({ state: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ level: 'red', state: 'raised', count: 50, value: 60, peak: 60, threshold: 50, name: gas.name, town: '太和镇' });
    // raised is logged; plain repeats within the throttle window are not
    expect(entries.map((e) => e.action)).toEqual(['raised']);
  });

  it('upgrades the level of the open alert and keeps the peak, never a new alert per message', () => {
    const { m, entries } = manager();
    m.onSignal(gasSignal('blue', 6, 5));
    m.onSignal(gasSignal('orange', 30, 25));
    m.onSignal(gasSignal('orange', 27, 25));
    const [a, ...rest] = m.list({ state: 'open' });
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ level: 'orange', peak: 30, value: 27, count: 3, threshold: 25 });
    expect(entries.map((e) => e.action)).toEqual(['raised', 'updated']);
  });

  it('logs a repeat once the throttle window has passed', () => {
    const { m, entries, advance } = manager();
    m.onSignal(gasSignal('red', 60, 50));
    advance(11_000);
    m.onSignal(gasSignal('red', 61, 50));
    expect(entries.map((e) => e.action)).toEqual(['raised', 'updated']);
    expect(entries[1]!.alert.count).toBe(2);
  });

  it('goes raised → acknowledged → resolved with who and when, each change logged', () => {
    const { m, entries, advance } = manager();
    m.onSignal(gasSignal('red', 60, 50));
    const id = m.list()[0]!.id;
    advance(1000);
    expect(m.acknowledge(id, '值班员张三')).toMatchObject({ state: 'acknowledged', acknowledgedBy: '值班员张三', acknowledgedAt: T0 + 1000 });
    advance(1000);
    expect(m.resolve(id, '值班员张三', '已关阀通风，复测正常')).toMatchObject({ state: 'resolved', resolvedBy: '值班员张三', note: '已关阀通风，复测正常' });
    expect(m.list({ state: 'open' })).toEqual([]);
    expect(m.list({ state: 'resolved' })).toHaveLength(1);
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['raised', undefined],
      ['acknowledged', '值班员张三'],
      ['resolved', '值班员张三'],
    ]);
  });

  it('refuses to acknowledge twice or resolve a resolved alert (409), and an unknown id (404)', () => {
    const { m } = manager();
    m.onSignal(gasSignal('red', 60, 50));
    const id = m.list()[0]!.id;
    m.acknowledge(id, 'a');
    expect(() => m.acknowledge(id, 'a')).toThrow(AlertError);
    m.resolve(id, 'a', 'done');
    expect(() => m.resolve(id, 'a', 'again')).toThrowError(`alert ${id} is already resolved; resolve starts from raised or acknowledged or dispatched`);
    expect(() => m.acknowledge('nope', 'a')).toThrowError(/no alert/);
  });

  it('records the condition clearing on a red alert but leaves it open for people to resolve', () => {
    const { m } = manager();
    m.onSignal(gasSignal('red', 60, 50));
    m.onSignal(gasSignal(null, 1));
    const [a] = m.list({ state: 'open' });
    expect(a).toMatchObject({ state: 'raised', level: 'red', clearedAt: T0 });
  });

  it('auto-resolves a blue alert when its condition clears, and a new breach raises a new alert', () => {
    const { m } = manager();
    m.onSignal(gasSignal('blue', 6, 5));
    const first = m.list()[0]!.id;
    m.onSignal(gasSignal(null, 1));
    expect(m.list({ state: 'open' })).toEqual([]);
    expect(m.get(first)).toMatchObject({ state: 'resolved', resolvedBy: 'system' });
    m.onSignal(gasSignal('blue', 7, 5));
    const open = m.list({ state: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]!.id).not.toBe(first);
  });

  it('lists the most severe first, then the newest', () => {
    const { m, advance } = manager();
    m.onSignal({ ...gasSignal('blue', 6, 5), rule: 'a' });
    advance(10);
    m.onSignal({ ...gasSignal('red', 60, 50), rule: 'b' });
    advance(10);
    m.onSignal({ ...gasSignal('blue', 6, 5), rule: 'c' });
    expect(m.list().map((a) => a.rule)).toEqual(['b', 'c', 'a']);
    expect(m.worstLevel('gas-1')).toBe('red');
  });

  it('continues restored alerts instead of raising duplicates', () => {
    const { m: before } = manager();
    before.onSignal(gasSignal('red', 60, 50));
    const restored = before.list();
    const { m: after } = manager();
    after.restore(restored.map((a) => ({ ...a })));
    after.onSignal(gasSignal('red', 65, 50));
    expect(after.list()).toHaveLength(1);
    expect(after.list()[0]).toMatchObject({ id: restored[0]!.id, count: 2, peak: 65 });
  });
});
