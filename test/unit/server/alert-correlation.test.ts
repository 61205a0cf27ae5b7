import { describe, expect, it } from 'vitest';
import type { Device, Signal } from '@lifeline/core';
import { alertHarness, T0 } from '../../support/alert-harness.js';

const at = (id: string): Device => ({
  id,
  tenant: 'city',
  kind: 'gas',
  name: `老旧小区 ${id} 燃气探测器`,
  town: '太和镇',
  lon: 113,
  lat: 23.7,
  site: '朝阳小区',
});

const manager = () =>
  alertHarness({ devices: [at('gas-1'), at('gas-2')], escalation: { minutes: { red: 5, orange: 15, yellow: 60, blue: 240 }, dispatchOverdueMinutes: 120 } });

const gas = (device: string, level: Signal['level']): Signal => ({
  device,
  rule: 'ch4_high',
  ruleType: 'threshold',
  level,
  ts: T0,
  metric: 'ch4',
  value: 30,
  threshold: 25,
});
const site = (device: string, level: Signal['level']): Signal => ({
  device,
  rule: 'site_multi_alarm',
  ruleType: 'correlation',
  site: '朝阳小区',
  level,
  ts: T0,
  detail: '朝阳小区 有 2 个探测器同时报警',
});

describe('correlated alarms at one site', () => {
  it('notify once for the site, not once per detector: the device alerts are folded into the site alert', () => {
    const { m, changes } = manager();
    m.onSignal(gas('gas-1', 'orange')); // alone: its own alert, notified
    m.onSignal(site('gas-2', 'red')); // the engine sends the site condition first …
    m.onSignal(gas('gas-2', 'orange')); // … so the second detector joins it
    const notified = changes.filter((c) => c.notify).map((c) => c.alert.rule);
    expect(notified).toEqual(['ch4_high', 'site_multi_alarm']);
    const open = m.list({ state: 'open' });
    const siteAlert = open.find((a) => a.rule === 'site_multi_alarm');
    expect(siteAlert).toMatchObject({ level: 'red', site: '朝阳小区' });
    expect(siteAlert!.silence).toBeUndefined();
    const correlated = { kind: 'correlated', site: '朝阳小区' };
    expect(open.filter((a) => a.rule === 'ch4_high').map((a) => [a.device, a.silence])).toEqual(
      expect.arrayContaining([
        ['gas-1', correlated],
        ['gas-2', correlated],
      ]),
    );
  });

  it('escalates the site alert only, while it is open', () => {
    const { m, changes, advance } = manager();
    m.onSignal(gas('gas-1', 'red'));
    m.onSignal(site('gas-2', 'red'));
    m.onSignal(gas('gas-2', 'red'));
    advance(6 * 60_000);
    m.tick();
    expect(changes.filter((c) => c.action === 'escalated').map((c) => c.alert.rule)).toEqual(['site_multi_alarm']);
  });
});
