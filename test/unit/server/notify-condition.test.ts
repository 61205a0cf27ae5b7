import { describe, expect, it } from 'vitest';
import type { Alert, Device, Signal } from '@lifeline/core';
import { describeCondition, renderMessage } from '../../../server/src/index.js';
import { alertHarness, T0 } from '../../support/alert-harness.js';

const gas: Device = { id: 'gas-1', tenant: 'qx-gas', kind: 'gas', name: '某酒家 厨房燃气探测器', town: '太和镇', lon: 113, lat: 23.7 };
const water: Device = { id: 'wp-1', tenant: 'qx-water', kind: 'water_pressure', name: '太和镇 供水管网压力监测点', town: '太和镇', lon: 113, lat: 23.7 };

const signal = (
  s: Partial<Signal> & Pick<Signal, 'device' | 'rule' | 'metric' | 'direction' | 'value'>,
  level: Signal['level'],
  threshold?: number,
): Signal => ({
  ruleType: 'threshold',
  ts: T0,
  level,
  ...(threshold !== undefined ? { threshold } : {}),
  ...s,
});
const ch4 = (level: Signal['level'], value: number, threshold?: number) =>
  signal({ device: 'gas-1', rule: 'ch4_high', metric: 'ch4', direction: 'above', value }, level, threshold);
const mpa = (level: Signal['level'], value: number, threshold?: number) =>
  signal({ device: 'wp-1', rule: 'mpa_low', metric: 'mpa', direction: 'below', value }, level, threshold);

describe('the condition a notification states', () => {
  it('carries the rule’s direction from the signal into the alert, and the lowest reading of a below rule as its peak', () => {
    const { m } = alertHarness({ devices: [gas, water] });
    m.onSignal(ch4('red', 63.9, 50));
    m.onSignal(mpa('orange', 0.08, 0.1));
    m.onSignal(mpa('blue', 0.18, 0.2));
    expect(m.list().find((a) => a.device === 'gas-1')).toMatchObject({ direction: 'above', threshold: 50, peak: 63.9 });
    expect(m.list().find((a) => a.device === 'wp-1')).toMatchObject({ direction: 'below', threshold: 0.1, peak: 0.08, value: 0.18 });
  });

  it('says a red gas alert whose reading has fallen peaked over the threshold and is now at its current value', () => {
    const { m, advance } = alertHarness({ devices: [gas] });
    m.onSignal(ch4('red', 63.9, 50));
    advance(60_000);
    m.onSignal(ch4('blue', 4, 5));
    const a = m.list()[0]!;
    expect(describeCondition(a)).toBe('甲烷浓度峰值 63.9 %LEL，超过阈值 50 %LEL；现为 4 %LEL，尚未恢复');
    // An escalation after the fall tells the supervisor the same.
    const msg = renderMessage('wecom', a, 'escalated', 'https://lifeline.example.gov.cn') as { markdown: { content: string } };
    expect(msg.markdown.content).toContain('情况：甲烷浓度峰值 63.9 %LEL，超过阈值 50 %LEL；现为 4 %LEL，尚未恢复');
    expect(msg.markdown.content).not.toContain('4 %LEL，超过阈值');
  });

  it('says cleared once the condition has cleared', () => {
    const { m, advance } = alertHarness({ devices: [gas] });
    m.onSignal(ch4('red', 63.9, 50));
    advance(60_000);
    m.onSignal(ch4(null, 1));
    expect(describeCondition(m.list()[0]!)).toBe('甲烷浓度峰值 63.9 %LEL，超过阈值 50 %LEL；现为 1 %LEL，已恢复');
  });

  it('states the reading against the threshold while it is still past it, and says below for a below rule', () => {
    const { m } = alertHarness({ devices: [gas, water] });
    m.onSignal(ch4('red', 62.5, 50));
    m.onSignal(mpa('orange', 0.08, 0.1));
    const by = (id: string) => m.list().find((a) => a.device === id) as Alert;
    expect(describeCondition(by('gas-1'))).toBe('甲烷浓度 62.5 %LEL，超过阈值 50 %LEL');
    expect(describeCondition(by('wp-1'))).toBe('管网压力 0.08 MPa，低于阈值 0.1 MPa');
    m.onSignal(mpa('blue', 0.18, 0.2));
    expect(describeCondition(by('wp-1'))).toBe('管网压力最低 0.08 MPa，低于阈值 0.1 MPa；现为 0.18 MPa，尚未恢复');
  });
});
