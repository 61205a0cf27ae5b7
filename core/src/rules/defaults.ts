import type { RulesFile } from './schema.js';

/**
 * The built-in rules: what ingest evaluates when it is given no rules file,
 * and the only source of `data/rules.json`, which is written from them
 * (`npx tsx core/src/node/write-default-rules.ts`; a test refuses any drift).
 *
 * Why here and not the JSON: `KINDS` is derived from these rules and the
 * dashboard bundles it, so they must load without `node:fs` and without
 * compiling a validator in the browser; `core` compiles only
 * `core/src`, so importing `data/` would put a file outside its project; and
 * only here can each bound carry its source in a comment. Sources: DOMAIN.md —
 * gas per GB/T 50493-2019 (first alarm ≤25 %LEL, second ≤50, a small sustained
 * rise a blue early sign), fire-panel states per GB 26875, a pressure drop as
 * a burst, enterprise power against its own record, schedule and history.
 */
export const DEFAULT_RULES: RulesFile = {
  version: 1,
  rules: [
    // 可燃气体
    {
      id: 'ch4_high',
      kind: 'gas',
      type: 'threshold',
      metric: 'ch4',
      direction: 'above',
      levels: { blue: 5, yellow: 10, orange: 25, red: 50 },
      hysteresis: 2,
      durationS: { blue: 30 },
      note: '蓝色为持续小幅升高的早期征兆（持续30秒），25/50 %LEL 为一、二级报警',
    },
    { id: 'ch4_anomaly', kind: 'gas', type: 'anomaly', metric: 'ch4', alpha: 0.02, minSamples: 240, minDeviation: 3, levels: { blue: 8 }, minCount: 2 },
    { id: 'ch4_flatline', kind: 'gas', type: 'flatline', metric: 'ch4', minCount: 240, minDurationS: 7200, level: 'blue' },
    { id: 'offline', kind: 'gas', type: 'offline', level: 'yellow', afterIntervals: 3, graceS: 5 },
    { id: 'events', kind: 'gas', type: 'event', levels: { fault: 'blue', tamper: 'yellow', low_battery: 'blue' }, clearOn: ['reset'] },

    // 企业用电（每块电表的额定上限由登记册按企业容量覆盖）
    {
      id: 'p_kw_high',
      kind: 'power',
      type: 'threshold',
      metric: 'p_kw',
      direction: 'above',
      levels: { yellow: 900, orange: 1000, red: 1200 },
      hysteresis: 20,
    },
    { id: 'power_stopped', kind: 'power', type: 'power_stopped', idleFactor: 2, levels: { orange: 600, red: 3600 }, note: '停产整顿期间功率超过停产基准×2' },
    { id: 'power_overload', kind: 'power', type: 'power_overload', levels: { yellow: 1, orange: 1.1, red: 1.3 }, hysteresis: 0.03, durationS: 300 },
    { id: 'power_schedule', kind: 'power', type: 'power_schedule', idleFactor: 2, levels: { yellow: 1800, orange: 7200 } },
    {
      id: 'power_baseline',
      kind: 'power',
      type: 'power_baseline',
      factor: 1.5,
      marginFraction: 0.15,
      minWeeks: 1,
      learnWeeks: 4,
      levels: { blue: 1800, yellow: 7200 },
    },
    { id: 'offline', kind: 'power', type: 'offline', level: 'orange', afterIntervals: 3, graceS: 5, note: '电表离线可能是人为断电或破坏' },
    { id: 'events', kind: 'power', type: 'event', levels: { tamper: 'orange', power_fault: 'blue' }, clearOn: ['reset'] },

    // 火灾报警控制器
    {
      id: 'events',
      kind: 'fire_panel',
      type: 'event',
      levels: { fire: 'red', fault: 'blue', power_fault: 'yellow', backup_power_fault: 'blue', supervisory: 'blue', disabled: 'blue' },
      clearOn: ['reset'],
      disabledAfterS: 86_400,
      disabledLevel: 'yellow',
    },
    { id: 'offline', kind: 'fire_panel', type: 'offline', level: 'yellow', afterIntervals: 3, graceS: 5 },

    // 独立式烟感
    {
      id: 'smoke_high',
      kind: 'smoke',
      type: 'threshold',
      metric: 'smoke',
      direction: 'above',
      levels: { yellow: 0.08, orange: 0.12, red: 0.2 },
      hysteresis: 0.02,
    },
    { id: 'battery_low', kind: 'smoke', type: 'threshold', metric: 'battery', direction: 'below', levels: { blue: 20 }, hysteresis: 5 },
    { id: 'offline', kind: 'smoke', type: 'offline', level: 'blue', afterIntervals: 3, graceS: 5 },
    { id: 'events', kind: 'smoke', type: 'event', levels: { smoke: 'red', fire: 'red', low_battery: 'blue', tamper: 'yellow' }, clearOn: ['reset'] },

    // 供水管网压力
    {
      id: 'mpa_low',
      kind: 'water_pressure',
      type: 'threshold',
      metric: 'mpa',
      direction: 'below',
      levels: { blue: 0.2, yellow: 0.15, orange: 0.1, red: 0.05 },
      hysteresis: 0.02,
    },
    { id: 'mpa_high', kind: 'water_pressure', type: 'threshold', metric: 'mpa', direction: 'above', levels: { yellow: 0.7, orange: 0.8 }, hysteresis: 0.03 },
    {
      id: 'mpa_burst',
      kind: 'water_pressure',
      type: 'rate',
      metric: 'mpa',
      change: 'drop',
      windowS: 60,
      levels: { orange: 0.1, red: 0.2 },
      holdS: 300,
      note: '一分钟内压降超过0.1 MPa：疑似爆管',
    },
    {
      id: 'mpa_anomaly',
      kind: 'water_pressure',
      type: 'anomaly',
      metric: 'mpa',
      alpha: 0.05,
      minSamples: 240,
      minDeviation: 0.05,
      levels: { blue: 8 },
      minCount: 2,
    },
    { id: 'mpa_flatline', kind: 'water_pressure', type: 'flatline', metric: 'mpa', minCount: 120, minDurationS: 3600, level: 'blue' },
    { id: 'offline', kind: 'water_pressure', type: 'offline', level: 'blue', afterIntervals: 3, graceS: 5 },

    // 排水液位
    {
      id: 'level_high',
      kind: 'drainage',
      type: 'threshold',
      metric: 'level_m',
      direction: 'above',
      levels: { blue: 1.5, yellow: 2, orange: 2.5, red: 3 },
      hysteresis: 0.1,
    },
    { id: 'level_rise', kind: 'drainage', type: 'rate', metric: 'level_m', change: 'rise', windowS: 600, levels: { blue: 0.5, yellow: 0.8 }, holdS: 600 },
    { id: 'level_flatline', kind: 'drainage', type: 'flatline', metric: 'level_m', minCount: 120, minDurationS: 7200, level: 'blue' },
    { id: 'offline', kind: 'drainage', type: 'offline', level: 'blue', afterIntervals: 3, graceS: 5 },

    // 同一场所多点报警：一条场所告警
    { id: 'site_multi_alarm', type: 'correlation', mode: 'multi', kinds: ['gas', 'smoke', 'fire_panel'], minDevices: 2, minLevel: 'yellow' },
    { id: 'site_gas_fire', type: 'correlation', mode: 'gas_fire', kinds: ['gas', 'smoke', 'fire_panel'], minLevel: 'yellow', level: 'red' },

    // 大面积离线：一个镇或全城同时离线（停电、网络或平台 broker 故障）是一件事，不是两万条告警
    {
      id: 'area_offline',
      type: 'correlation',
      mode: 'area_offline',
      kinds: ['gas', 'power', 'fire_panel', 'smoke', 'water_pressure', 'drainage'],
      minLevel: 'blue',
      minDevices: 100,
      minFraction: 0.3,
      minTownDevices: 20,
      windowS: 300,
      level: 'orange',
      note: '5分钟内100台以上、或一个镇30%以上（至少20台）设备离线：合并为一条大面积离线告警',
    },
  ],
  schedules: {
    default: { quietHours: [{ from: '22:00', to: '06:00' }], offWeekdays: [], offDates: ['2025-10-01', '2025-10-02', '2025-10-03'], utcOffsetH: 8 },
    // Hazardous-chemical plants run round the clock: no quiet hours by default.
    byIndustry: { 危化品: { quietHours: [], utcOffsetH: 8 } },
    byTenant: {},
  },
};
