import {
  DEFAULT_RULES, type CorrelationRule, type Device, type DeviceEvent, type DeviceRule, type EventRule, type Level, type OfflineRule,
  type RulesFile, type Signal, type Tenant,
} from '@lifeline/core';
import { intervalOf, logger } from '@lifeline/core/node';
import type { Reading } from '../parse.js';
import { evalCorrelation, updateSite, type SiteState } from './correlation.js';
import { evalAnomaly, evalFlatline, evalRate, evalThreshold, type Outcome, type RateState } from './metric-rules.js';
import { emptyBaseline, evalPower, observeBaseline, scheduleOf, type PowerRule, type SustainState, type WeekBaseline } from './power.js';
import { zhDuration, type ThresholdState } from './threshold.js';

const log = logger('rules');

export const OFFLINE_RULE = 'offline';
export const DISABLED_LONG_RULE = 'disabled_long';
/** State entries kept at most (devices × rules is far below this); beyond it the oldest go. */
export const MAX_STATE_ENTRIES = 500_000;
/** A `disabled` event whose detail says so re-enables its point (解除屏蔽). */
const REENABLE = /解除屏蔽|取消屏蔽|恢复启用|re-?enabled?/i;
/** Meter readings older than this many intervals no longer count in an enterprise's total. */
const METER_FRESH_INTERVALS = 3;
/** Rule types whose conditions count towards a site's correlation. */
const CORRELATED = new Set<Signal['ruleType']>(['threshold', 'event', 'rate']);

type MetricRule = Extract<DeviceRule, { metric: string }>;

/** A device's rules: the file's rules of its kind with the registry's overrides. */
interface Compiled {
  metric: MetricRule[];
  events?: EventRule;
  offline?: OfflineRule;
  power: PowerRule[];
}

interface EventState {
  active: Partial<Record<DeviceEvent['type'], Level>>;
  /** Disabled points and since when (event time). */
  disabled: Record<string, number>;
  long?: boolean;
}

/** Everything the engine must not forget across a restart. */
export interface RuleSnapshot {
  version: 1;
  savedAt: number;
  state: [string, unknown][];
  lastSeen: [string, number][];
  offline: string[];
}

export interface RuleEngineOptions {
  lookup: (id: string) => Device | undefined;
  onSignal: (signal: Signal) => void;
  /** The tenant of a device (enterprise power rules need its record). */
  tenantOf?: (id: string) => Tenant | undefined;
  /** The rules to evaluate; the built-in defaults otherwise. */
  rules?: RulesFile;
  now?: () => number;
  offlineCheckMs?: number;
}

/**
 * Evaluates the rules of each device as its messages arrive (thresholds with
 * hysteresis and durations, rate of change, flatline, anomaly, events,
 * enterprise power, offline) and correlates the alarms of one site. Emits a
 * signal per evaluated message while a condition lasts and one when it clears.
 * All state is plain JSON in one map, so it can be snapshot and restored.
 */
export class RuleEngine {
  private rules: RulesFile;
  private correlations: CorrelationRule[] = [];
  private readonly compiled = new Map<string, Compiled>();
  /** Keys: `d|device|rule`, `ev|device`, `m|tenant` (meters), `ent|tenant|rule`, `how|tenant`, `site|site`. */
  private readonly st = new Map<string, unknown>();
  private readonly lastSeen = new Map<string, number>();
  private readonly offline = new Set<string>();
  /** Devices with disabled points, so the periodic check need not scan every state. */
  private readonly withDisabled = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: RuleEngineOptions) {
    this.now = opts.now ?? Date.now;
    this.rules = opts.rules ?? DEFAULT_RULES;
    this.setRules(this.rules);
  }

  /** Swaps the rules in place (a reload); conditions in progress are kept by rule id. */
  setRules(rules: RulesFile): void {
    this.rules = rules;
    this.correlations = rules.rules.filter((r): r is CorrelationRule => r.type === 'correlation' && r.enabled !== false);
    this.compiled.clear();
  }

  get currentRules(): RulesFile {
    return this.rules;
  }

  start(): void {
    const every = this.opts.offlineCheckMs ?? 1000;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The periodic checks: silence and long-disabled points. */
  tick(now = this.now()): void {
    this.checkOffline(now);
    for (const id of this.withDisabled) {
      const device = this.opts.lookup(id);
      if (device) this.checkDisabled(device, now, false);
    }
  }

  /** Records that the device was heard from now, clearing an offline condition. */
  seen(device: Device, at = this.now()): void {
    this.lastSeen.set(device.id, at);
    if (this.offline.delete(device.id)) this.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: null, ts: at });
  }

  /** Restores when a device was last heard from (e.g. from InfluxDB at start-up). */
  restoreLastSeen(deviceId: string, at: number): void {
    if (!this.lastSeen.has(deviceId)) this.lastSeen.set(deviceId, at);
  }

  lastSeenOf(deviceId: string): number | null {
    return this.lastSeen.get(deviceId) ?? null;
  }

  isOffline(deviceId: string): boolean {
    return this.offline.has(deviceId);
  }

  onReading(device: Device, reading: Reading): void {
    const c = this.compiledOf(device);
    const ts = reading.ts;
    for (const r of c.metric) {
      const value = reading.values[r.metric];
      if (value === undefined) continue;
      const key = `d|${device.id}|${r.id}`;
      let out: Outcome;
      let before: Level | null;
      switch (r.type) {
        case 'threshold': {
          const s = this.state<ThresholdState>(key, () => ({ level: null }));
          before = s.level;
          out = evalThreshold(r, s, value, ts);
          if (!out.level && !s.since) this.st.delete(key);
          break;
        }
        case 'rate': {
          const s = this.state<RateState>(key, () => ({ pts: [], level: null }));
          before = s.level;
          out = evalRate(r, s, value, ts);
          break;
        }
        case 'flatline': {
          const prev = this.st.get(key) as { level?: Level | null } | undefined;
          before = prev?.level ?? null;
          const [s, o] = evalFlatline(r, prev as never, value, ts);
          this.st.set(key, Object.assign(s, { level: o.level }));
          out = o;
          break;
        }
        case 'anomaly': {
          const prev = this.st.get(key) as { level: Level | null } | undefined;
          before = prev?.level ?? null;
          const [s, o] = evalAnomaly(r, prev as never, value, ts);
          this.st.set(key, s);
          out = o;
          break;
        }
      }
      if (out.level || before) {
        this.report(device, {
          device: device.id, rule: r.id, ruleType: r.type, level: out.level, ts, metric: r.metric, value,
          ...(r.type === 'threshold' ? { direction: r.direction } : {}),
          ...(out.level && out.threshold !== undefined ? { threshold: out.threshold } : {}),
          ...(out.level && out.detail ? { detail: out.detail } : {}),
        });
      }
    }
    if (c.events?.disabledAfterS) {
      // The heartbeat's count of disabled points at zero: every point was re-enabled.
      if (reading.values.disabled === 0) this.reenable(device, null, ts);
      this.checkDisabled(device, ts, true);
    }
    if (c.power.length && reading.values.p_kw !== undefined) this.onPower(device, c.power, reading.values.p_kw, ts);
  }

  onEvent(device: Device, event: DeviceEvent & { ts: number }): void {
    const r = this.compiledOf(device).events;
    if (!r) return;
    const key = `ev|${device.id}`;
    const s = this.state<EventState>(key, () => ({ active: {}, disabled: {} }));
    if (r.clearOn.includes(event.type)) {
      for (const type of Object.keys(s.active) as DeviceEvent['type'][]) this.reportEvent(device, type, null, event.ts);
      s.active = {};
      this.reenable(device, null, event.ts);
      this.st.delete(key);
      return;
    }
    if (event.type === 'disabled') {
      if (event.detail && REENABLE.test(event.detail)) return this.reenable(device, event.point ?? '*', event.ts);
      s.disabled[event.point ?? '*'] ??= event.ts;
      this.withDisabled.add(device.id);
    }
    const level = r.levels[event.type];
    if (!level) return;
    s.active[event.type] = level;
    this.reportEvent(device, event.type, level, event.ts, event.point);
    if (r.disabledAfterS) this.checkDisabled(device, event.ts, true);
  }

  /** A device's own `offline` (its last will) is believed at once. */
  onStatus(device: Device, status: 'online' | 'offline', at: number): void {
    if (status === 'online') return this.seen(device, at);
    this.markOffline(device, at);
  }

  checkOffline(now = this.now()): void {
    for (const [id, at] of this.lastSeen) {
      if (this.offline.has(id)) continue;
      const device = this.opts.lookup(id);
      if (!device) continue;
      const r = this.compiledOf(device).offline;
      if (r && now - at > (intervalOf(device) * r.afterIntervals + r.graceS) * 1000) this.markOffline(device, now);
    }
  }

  /** Applies hour-of-week baselines learned from history (they replace what was there for the hours they know). */
  applyBaselines(learned: Map<string, WeekBaseline>): void {
    for (const [tenant, b] of learned) {
      const cur = this.state<WeekBaseline>(`how|${tenant}`, emptyBaseline);
      for (let h = 0; h < b.mean.length; h++) {
        if (b.mean[h] !== null && (b.weeks[h] ?? 0) > 0) {
          cur.mean[h] = b.mean[h]!;
          cur.weeks[h] = b.weeks[h]!;
        }
      }
    }
  }

  baselineOf(tenant: string): WeekBaseline | undefined {
    return this.st.get(`how|${tenant}`) as WeekBaseline | undefined;
  }

  snapshot(): RuleSnapshot {
    let state = [...this.st];
    if (state.length > MAX_STATE_ENTRIES) {
      log.warn({ entries: state.length, kept: MAX_STATE_ENTRIES }, 'rule state over its bound: the oldest entries are dropped');
      state = state.slice(-MAX_STATE_ENTRIES);
    }
    return { version: 1, savedAt: this.now(), state: structuredClone(state), lastSeen: [...this.lastSeen], offline: [...this.offline] };
  }

  /** Restores a snapshot; entries of devices no longer registered are dropped. */
  restore(snap: RuleSnapshot): void {
    const known = (id: string) => this.opts.lookup(id) !== undefined;
    for (const [key, value] of snap.state.slice(-MAX_STATE_ENTRIES)) {
      const [kind, id] = key.split('|');
      if ((kind === 'd' || kind === 'ev') && !known(id!)) continue;
      this.st.set(key, value);
      if (kind === 'ev' && Object.keys((value as EventState).disabled ?? {}).length) this.withDisabled.add(id!);
    }
    for (const [id, at] of snap.lastSeen) if (known(id) && !this.lastSeen.has(id)) this.lastSeen.set(id, at);
    for (const id of snap.offline) if (known(id)) this.offline.add(id);
  }

  private onPower(device: Device, rules: PowerRule[], kw: number, ts: number): void {
    const tenant = this.opts.tenantOf?.(device.tenant);
    const ent = tenant?.enterprise;
    if (!tenant || !ent) return;
    const meters = this.state<Record<string, [number, number]>>(`m|${tenant.id}`, () => ({}));
    const prev = meters[device.id];
    if (prev && prev[0] > ts) return; // an older reading from a buffered batch
    meters[device.id] = [ts, kw];
    const fresh = ts - intervalOf(device) * METER_FRESH_INTERVALS * 1000;
    let total = 0;
    for (const [at, v] of Object.values(meters)) if (at >= fresh) total += v;
    const schedule = scheduleOf(this.rules, tenant);
    const baseline = this.state<WeekBaseline>(`how|${tenant.id}`, emptyBaseline);
    const site = device.site ?? tenant.name;
    for (const r of rules) {
      const s = this.state<SustainState>(`ent|${tenant.id}|${r.id}`, () => ({ level: null }));
      const before = s.level;
      const out = evalPower(r, s, { ent, totalKw: total, ts, schedule, baseline });
      if (!out.level && !before) continue;
      this.emit({
        device: device.id, rule: r.id, ruleType: 'power', level: out.level, ts, site, metric: 'p_kw', value: Math.round(total * 10) / 10,
        ...(out.level && out.threshold !== undefined ? { threshold: Math.round(out.threshold * 10) / 10 } : {}),
        ...(out.level && out.detail ? { detail: out.detail } : {}),
      });
    }
    observeBaseline(baseline, ts, total, schedule.utcOffsetH ?? 8);
  }

  private reportEvent(device: Device, type: DeviceEvent['type'], level: Level | null, ts: number, point?: string): void {
    this.report(device, { device: device.id, rule: `event:${type}`, ruleType: 'event', level, ts, event: type, ...(point ? { point } : {}) });
  }

  /** Re-enables one point (or all with null); clears the disabled conditions once none is left. */
  private reenable(device: Device, point: string | null, ts: number): void {
    const s = this.st.get(`ev|${device.id}`) as EventState | undefined;
    if (!s) return;
    if (point === null) s.disabled = {};
    else delete s.disabled[point];
    if (Object.keys(s.disabled).length) return;
    this.withDisabled.delete(device.id);
    if (s.active.disabled) {
      delete s.active.disabled;
      this.reportEvent(device, 'disabled', null, ts);
    }
    if (s.long) {
      s.long = false;
      this.report(device, { device: device.id, rule: DISABLED_LONG_RULE, ruleType: 'event', level: null, ts, event: 'disabled' });
    }
  }

  /** A point disabled longer than the rule allows; repeated per message while it lasts, on transitions only from the timer. */
  private checkDisabled(device: Device, at: number, perMessage: boolean): void {
    const r = this.compiledOf(device).events;
    const s = this.st.get(`ev|${device.id}`) as EventState | undefined;
    if (!r?.disabledAfterS || !r.disabledLevel || !s) return;
    let oldest: [string, number] | null = null;
    for (const [p, since] of Object.entries(s.disabled)) if (!oldest || since < oldest[1]) oldest = [p, since];
    const long = oldest !== null && at - oldest[1] >= r.disabledAfterS * 1000;
    if (long && (perMessage || !s.long)) {
      s.long = true;
      const n = Object.keys(s.disabled).length;
      const detail = `${n} 个点位被屏蔽超过 ${zhDuration(r.disabledAfterS * 1000)}（最早为点位 ${oldest![0]}，已屏蔽 ${zhDuration(at - oldest![1])}）`;
      this.report(device, { device: device.id, rule: DISABLED_LONG_RULE, ruleType: 'event', level: r.disabledLevel, ts: at, event: 'disabled', detail });
    } else if (!long && s.long) {
      s.long = false;
      this.report(device, { device: device.id, rule: DISABLED_LONG_RULE, ruleType: 'event', level: null, ts: at, event: 'disabled' });
    }
  }

  private markOffline(device: Device, at: number): void {
    if (this.offline.has(device.id)) return;
    const r = this.compiledOf(device).offline;
    if (!r) return;
    this.offline.add(device.id);
    const last = this.lastSeen.get(device.id);
    const silent = last !== undefined && at > last ? `已 ${zhDuration(at - last)} 未收到数据` : '设备报告离线';
    const detail = device.kind === 'power' ? `电表${silent}，可能断电、通信中断或被人为破坏` : silent;
    this.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: r.level, ts: at, detail });
  }

  /**
   * Emits a device's signal and the site correlations it takes part in: a site
   * condition that starts goes first, so the device alert it brings in is
   * folded into the site alert instead of being raised (and notified) alone.
   */
  private report(device: Device, signal: Signal): void {
    if (!device.site || !this.correlations.length || !CORRELATED.has(signal.ruleType)) return this.emit(signal);
    const key = `site|${device.site}`;
    const s = this.state<SiteState & { on?: Record<string, Level> }>(key, () => ({ devs: {} }));
    updateSite(s, device.id, device.kind, signal.rule, signal.level);
    const on = (s.on ??= {});
    const after: Signal[] = [];
    for (const r of this.correlations) {
      if (!r.kinds.includes(device.kind)) continue;
      const before = on[r.id] ?? null;
      const { level, detail } = evalCorrelation(r, device.site, s);
      if (level) on[r.id] = level;
      else delete on[r.id];
      if (!level && !before) continue;
      const site: Signal = { device: device.id, rule: r.id, ruleType: 'correlation', site: device.site, level, ts: signal.ts, ...(level && detail ? { detail } : {}) };
      if (level && !before) this.emit(site);
      else after.push(site);
    }
    this.emit(signal);
    for (const x of after) this.emit(x);
    if (!Object.keys(s.devs).length && !Object.keys(on).length) this.st.delete(key);
  }

  private state<T>(key: string, init: () => T): T {
    let s = this.st.get(key) as T | undefined;
    if (s === undefined) this.st.set(key, (s = init()));
    return s;
  }

  private compiledOf(device: Device): Compiled {
    let c = this.compiled.get(device.id);
    if (!c) {
      c = compile(this.rules, device);
      this.compiled.set(device.id, c);
    }
    return c;
  }

  private emit(signal: Signal): void {
    try {
      this.opts.onSignal(signal);
    } catch (err) {
      // A failing listener must not stop rule evaluation for other devices.
      log.error({ err, signal }, 'signal listener failed');
    }
  }
}

/** The rules of a device's kind, with its overrides from the registry (`thresholds[ruleId]`). */
export function compile(rules: RulesFile, device: Device): Compiled {
  const c: Compiled = { metric: [], power: [] };
  for (const base of rules.rules) {
    if (base.type === 'correlation' || base.kind !== device.kind || base.enabled === false) continue;
    const o = device.thresholds?.[base.id];
    if (o?.enabled === false) continue;
    let r: DeviceRule = base;
    if (o && 'levels' in base && base.type !== 'event') {
      r = { ...base, levels: { ...base.levels, ...o.levels } } as DeviceRule;
      if (o.hysteresis !== undefined && r.type === 'threshold') r.hysteresis = o.hysteresis;
    }
    switch (r.type) {
      case 'event':
        c.events = r;
        break;
      case 'offline':
        c.offline = r;
        break;
      case 'power_stopped':
      case 'power_overload':
      case 'power_schedule':
      case 'power_baseline':
        c.power.push(r);
        break;
      default:
        c.metric.push(r);
    }
  }
  return c;
}
