import type { Level } from './levels.js';
import type { DeviceKind, LevelValues } from './schemas/device.js';
import type { EventType } from './schemas/event.js';
import { DEFAULT_RULES } from './rules/defaults.js';

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

/** Labels, metrics and cadence of a kind. Its rules live in the rules file (`core/src/rules/`). */
export interface KindInfo {
  zh: string;
  en: string;
  /** Expected seconds between messages. */
  intervalS: number;
  metrics: Record<string, MetricDef>;
}

/**
 * A kind with the built-in rules' view of it, derived from `DEFAULT_RULES`
 * (kept for the registry's override checks, the simulators' safe bands and the
 * dashboard's labels): threshold rules, offline level, event levels.
 */
export interface KindDef extends KindInfo {
  thresholds: Record<string, ThresholdSpec>;
  /** Level of the alert raised when a device of this kind falls silent. */
  offlineLevel: Level;
  /** Level per event type; events not listed raise nothing. */
  events: Partial<Record<EventType, Level>>;
}

/** Labels, metrics and intervals per kind, from DOMAIN.md. */
export const KIND_INFO: Record<DeviceKind, KindInfo> = {
  gas: {
    zh: '可燃气体探测器',
    en: 'Combustible gas detector',
    intervalS: 30,
    metrics: { ch4: { zh: '甲烷浓度', en: 'Methane', unit: '%LEL' } },
  },
  power: {
    zh: '企业用电监测',
    en: 'Enterprise power meter',
    intervalS: 60,
    metrics: {
      p_kw: { zh: '有功功率', en: 'Active power', unit: 'kW' },
      i_a: { zh: '电流', en: 'Current', unit: 'A' },
    },
  },
  fire_panel: {
    zh: '火灾报警控制器',
    en: 'Fire alarm panel',
    intervalS: 60,
    metrics: {
      faults: { zh: '故障点数', en: 'Faulty points', unit: '' },
      disabled: { zh: '屏蔽点数', en: 'Disabled points', unit: '' },
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
  },
  water_pressure: {
    zh: '供水管网压力',
    en: 'Water supply pressure',
    intervalS: 30,
    metrics: { mpa: { zh: '管网压力', en: 'Pressure', unit: 'MPa' } },
  },
  drainage: {
    zh: '排水液位',
    en: 'Drainage level',
    intervalS: 60,
    metrics: { level_m: { zh: '液位', en: 'Water level', unit: 'm' } },
  },
};

function kindDef(kind: DeviceKind, info: KindInfo): KindDef {
  const thresholds: Record<string, ThresholdSpec> = {};
  let offlineLevel: Level = 'blue';
  const events: Partial<Record<EventType, Level>> = {};
  for (const r of DEFAULT_RULES.rules) {
    if (r.type === 'correlation' || r.kind !== kind) continue;
    if (r.type === 'threshold') thresholds[r.id] = { metric: r.metric, direction: r.direction, levels: r.levels, hysteresis: r.hysteresis };
    else if (r.type === 'offline') offlineLevel = r.level;
    else if (r.type === 'event') Object.assign(events, r.levels);
  }
  return { ...info, thresholds, offlineLevel, events };
}

/** Each kind with the built-in rules' thresholds, offline level and event levels. */
export const KINDS = Object.fromEntries((Object.entries(KIND_INFO) as [DeviceKind, KindInfo][]).map(([k, info]) => [k, kindDef(k, info)])) as Record<
  DeviceKind,
  KindDef
>;
