import type { Level } from './levels.js';
import type { DeviceKind, LevelValues } from './schemas/device.js';
import type { EventType } from './schemas/event.js';

export interface MetricDef {
  zh: string;
  en: string;
  unit: string;
}

/**
 * A threshold rule: `above` fires when the value reaches a level's bound,
 * `below` when it falls to it. A level clears only once the value is back
 * past its bound by `hysteresis`, so a reading hovering at a bound does not flap.
 */
export interface ThresholdSpec {
  metric: string;
  direction: 'above' | 'below';
  levels: LevelValues;
  hysteresis: number;
}

export interface KindDef {
  zh: string;
  en: string;
  /** Expected seconds between messages. */
  intervalS: number;
  metrics: Record<string, MetricDef>;
  thresholds: Record<string, ThresholdSpec>;
  /** Level of the alert raised when a device of this kind falls silent. */
  offlineLevel: Level;
  /** Level per event type; events not listed raise nothing. */
  events: Partial<Record<EventType, Level>>;
}

/**
 * Defaults per kind, from DOMAIN.md. Gas: GB/T 50493-2019 puts the first-level
 * alarm at ≤25 %LEL and the second at ≤50 %LEL; a small rise is an early sign.
 */
export const KINDS: Record<DeviceKind, KindDef> = {
  gas: {
    zh: '可燃气体探测器',
    en: 'Combustible gas detector',
    intervalS: 30,
    metrics: { ch4: { zh: '甲烷浓度', en: 'Methane', unit: '%LEL' } },
    thresholds: {
      ch4_high: { metric: 'ch4', direction: 'above', levels: { blue: 5, yellow: 10, orange: 25, red: 50 }, hysteresis: 2 },
    },
    offlineLevel: 'yellow',
    events: { fault: 'blue', tamper: 'yellow', low_battery: 'blue' },
  },
  power: {
    zh: '企业用电监测',
    en: 'Enterprise power meter',
    intervalS: 60,
    metrics: {
      p_kw: { zh: '有功功率', en: 'Active power', unit: 'kW' },
      i_a: { zh: '电流', en: 'Current', unit: 'A' },
    },
    // Per-enterprise bounds come from the registry (rated capacity); these are placeholders.
    thresholds: {
      p_kw_high: { metric: 'p_kw', direction: 'above', levels: { yellow: 900, orange: 1000, red: 1200 }, hysteresis: 20 },
    },
    offlineLevel: 'yellow',
    events: { tamper: 'orange', power_fault: 'blue' },
  },
  fire_panel: {
    zh: '火灾报警控制器',
    en: 'Fire alarm panel',
    intervalS: 60,
    metrics: {
      faults: { zh: '故障点数', en: 'Faulty points', unit: '' },
      disabled: { zh: '屏蔽点数', en: 'Disabled points', unit: '' },
    },
    thresholds: {},
    offlineLevel: 'yellow',
    events: {
      fire: 'red',
      fault: 'blue',
      power_fault: 'yellow',
      backup_power_fault: 'blue',
      supervisory: 'blue',
      disabled: 'blue',
    },
  },
  smoke: {
    zh: '独立式烟感',
    en: 'Smoke detector',
    intervalS: 120,
    metrics: {
      smoke: { zh: '烟雾浓度', en: 'Obscuration', unit: 'dB/m' },
      battery: { zh: '电量', en: 'Battery', unit: '%' },
    },
    thresholds: {
      smoke_high: { metric: 'smoke', direction: 'above', levels: { yellow: 0.08, orange: 0.12, red: 0.2 }, hysteresis: 0.02 },
      battery_low: { metric: 'battery', direction: 'below', levels: { blue: 20 }, hysteresis: 5 },
    },
    offlineLevel: 'blue',
    events: { smoke: 'red', fire: 'red', low_battery: 'blue', tamper: 'yellow' },
  },
  water_pressure: {
    zh: '供水管网压力',
    en: 'Water supply pressure',
    intervalS: 30,
    metrics: { mpa: { zh: '管网压力', en: 'Pressure', unit: 'MPa' } },
    thresholds: {
      mpa_low: { metric: 'mpa', direction: 'below', levels: { blue: 0.2, yellow: 0.15, orange: 0.1, red: 0.05 }, hysteresis: 0.02 },
      mpa_high: { metric: 'mpa', direction: 'above', levels: { yellow: 0.7, orange: 0.8 }, hysteresis: 0.03 },
    },
    offlineLevel: 'blue',
    events: {},
  },
  drainage: {
    zh: '排水液位',
    en: 'Drainage level',
    intervalS: 60,
    metrics: { level_m: { zh: '液位', en: 'Water level', unit: 'm' } },
    thresholds: {
      level_high: { metric: 'level_m', direction: 'above', levels: { blue: 1.5, yellow: 2, orange: 2.5, red: 3 }, hysteresis: 0.1 },
    },
    offlineLevel: 'blue',
    events: {},
  },
};

/** A device falls silent when nothing arrives for this many intervals (plus a small grace). */
export const OFFLINE_AFTER_INTERVALS = 3;
