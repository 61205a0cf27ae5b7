import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '@lifeline/core';
import { describeAlert } from '../../../web/src/alert-text.js';
import { setLang } from '../../../web/src/i18n.js';

const T0 = 1_795_000_000_000;

/** A red gas alert (ch4_high, red at 50 %LEL) whose reading went up to 63.9 and has since fallen to 4. */
const gas: Alert = {
  id: 'a-gas',
  device: 'gas-0001',
  tenant: 'qx-gas',
  kind: 'gas',
  name: '某酒家 厨房燃气探测器',
  town: '太和镇',
  lon: 113,
  lat: 23.7,
  rule: 'ch4_high',
  ruleType: 'threshold',
  level: 'red',
  state: 'raised',
  metric: 'ch4',
  direction: 'above',
  threshold: 50,
  value: 4,
  peak: 63.9,
  count: 40,
  raisedAt: T0,
  updatedAt: T0 + 60_000,
  clearedAt: null,
};

/** A water pressure alert (mpa_low, orange at 0.1 MPa and below): lowest 0.08, now back at 0.18 (blue still holds). */
const water: Alert = {
  ...gas,
  id: 'a-water',
  device: 'wp-0001',
  tenant: 'qx-water',
  kind: 'water_pressure',
  name: '太和镇 供水管网压力监测点',
  rule: 'mpa_low',
  level: 'orange',
  metric: 'mpa',
  direction: 'below',
  threshold: 0.1,
  value: 0.18,
  peak: 0.08,
};

describe('the alert text', () => {
  beforeAll(() => {
    // The language switch sets <html lang>; the rest of the text is plain TypeScript.
    vi.stubGlobal('document', { documentElement: {} });
  });
  afterAll(() => {
    vi.unstubAllGlobals();
  });
  beforeEach(() => setLang('zh'));

  it('says a fallen reading peaked over the threshold and is now at its current value, not yet cleared, in Chinese and English', () => {
    expect(describeAlert(gas)).toBe('甲烷浓度峰值 63.9%LEL，超过阈值 50%LEL；现为 4%LEL，尚未恢复');
    expect(describeAlert(gas)).not.toContain('甲烷浓度 4%LEL，超过阈值');
    setLang('en');
    expect(describeAlert(gas)).toBe('Methane peaked at 63.9%LEL, above threshold 50%LEL; now 4%LEL, not yet cleared');
  });

  it('says so once the condition has cleared', () => {
    const cleared = { ...gas, clearedAt: T0 + 120_000 };
    expect(describeAlert(cleared)).toBe('甲烷浓度峰值 63.9%LEL，超过阈值 50%LEL；现为 4%LEL，已恢复');
    setLang('en');
    expect(describeAlert(cleared)).toBe('Methane peaked at 63.9%LEL, above threshold 50%LEL; now 4%LEL, cleared');
  });

  it('sets the current value beside the threshold while the reading is still past it, with the peak after', () => {
    const over = { ...gas, value: 58 };
    expect(describeAlert(over)).toBe('甲烷浓度 58%LEL，超过阈值 50%LEL · 峰值 63.9%LEL');
    setLang('en');
    expect(describeAlert(over)).toBe('Methane 58%LEL, above threshold 50%LEL · peak 63.9%LEL');
  });

  it('says below for a below-direction rule (water mpa_low), with its lowest reading', () => {
    expect(describeAlert(water)).toBe('管网压力最低 0.08MPa，低于阈值 0.1MPa；现为 0.18MPa，尚未恢复');
    expect(describeAlert({ ...water, value: 0.09 })).toBe('管网压力 0.09MPa，低于阈值 0.1MPa · 最低 0.08MPa');
    setLang('en');
    expect(describeAlert(water)).toBe('Pressure fell to 0.08MPa, below threshold 0.1MPa; now 0.18MPa, not yet cleared');
    expect(describeAlert({ ...water, value: 0.09 })).toBe('Pressure 0.09MPa, below threshold 0.1MPa · lowest 0.08MPa');
  });

  it('takes the direction from the alert, not from the built-in rules: a rule of a custom rules file reads as its rule says', () => {
    const custom = { ...gas, rule: 'ch4_low_custom', direction: 'below' as const, threshold: 1, value: 0.5, peak: 0.5 };
    expect(describeAlert(custom)).toBe('甲烷浓度 0.5%LEL，低于阈值 1%LEL');
  });

  it('claims no direction for an alert logged before alerts carried one', () => {
    const { direction: _, ...legacy } = gas;
    expect(describeAlert(legacy)).toBe('甲烷浓度 4%LEL（阈值 50%LEL） · 峰值 63.9%LEL');
    expect(describeAlert({ ...legacy, clearedAt: T0 + 1 })).toBe('甲烷浓度曾达 63.9%LEL（阈值 50%LEL）；现为 4%LEL，已恢复');
  });
});
