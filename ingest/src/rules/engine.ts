import { DEFAULT_RULES, type CorrelationRule, type Device, type DeviceEvent, type Level, type RulesFile, type Signal, type Tenant } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { Reading } from '../parse.js';
import { SiteCorrelation } from './correlation.js';
import { compile, type Compiled } from './device-rules.js';
import { EnterprisePower } from './enterprise-power.js';
import { EventRules } from './event-rules.js';
import { evalAnomaly, evalFlatline, evalRate, evalThreshold, type Outcome } from './metric-rules.js';
import { AreaOffline } from './area-offline.js';
import { OFFLINE_SLICE, OfflineWatch } from './offline.js';
import type { WeekBaseline } from './power.js';
import { restoreSnapshot, snapshotOf, type RuleSnapshot } from './rule-snapshot.js';
import { RuleState, type FlatlineEntry } from './rule-state.js';
import { OFFLINE_PREFIX, type RuleChange } from './state-file.js';
import type { ThresholdState } from './threshold.js';

export { compile, type Compiled, type MetricRule } from './device-rules.js';
export { DISABLED_LONG_RULE, type EventState } from './event-rules.js';
export { OFFLINE_RULE, OFFLINE_SLICE } from './offline.js';
export { MAX_STATE_ENTRIES, type RuleSnapshot } from './rule-snapshot.js';

const log = logger('rules');

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

/** A device's rules, and the state key of each metric rule (built once, not per reading). */
type DeviceRules = Compiled & { keys: string[] };

/**
 * Evaluates the rules of each device as its messages arrive (thresholds with
 * hysteresis and durations, rate of change, flatline, anomaly, events,
 * enterprise power, offline) and correlates the alarms of one site. Emits a
 * signal per evaluated message while a condition lasts and one when it clears.
 * The metric rules are evaluated here; events, offline, enterprise power and
 * sites each have their own file. All state is plain JSON in `RuleState`, one
 * typed map per kind, so it can be snapshot and restored.
 */
export class RuleEngine {
  private rules: RulesFile;
  private readonly compiled = new Map<string, DeviceRules>();
  private readonly byKind = new Map<Device['kind'], Compiled>();
  private readonly st = new RuleState();
  private readonly events: EventRules;
  private readonly offline: OfflineWatch;
  private readonly area: AreaOffline;
  /** A slice of a mass offline check is pending (the rest runs after the event loop had its turn). */
  private slicing = false;
  private readonly power: EnterprisePower;
  private readonly sites: SiteCorrelation;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: RuleEngineOptions) {
    this.now = opts.now ?? Date.now;
    const emit = (s: Signal) => this.emit(s);
    this.sites = new SiteCorrelation(this.st.sites, emit);
    const report = (d: Device, s: Signal) => this.sites.report(d, s);
    this.events = new EventRules(this.st.events, { lookup: opts.lookup, ruleOf: (d) => this.compiledOf(d).events, report });
    this.area = new AreaOffline(this.st.area, { lookup: opts.lookup, emit });
    this.offline = new OfflineWatch(this.st.lastSeen, this.st.offline, {
      lookup: opts.lookup,
      ruleOf: (d) => this.compiledOf(d).offline,
      emit,
      area: this.area,
      touched: (id) => this.st.offlineDirty.add(id),
    });
    this.power = new EnterprisePower(this.st, { tenantOf: opts.tenantOf, rules: () => this.rules, emit });
    this.rules = opts.rules ?? DEFAULT_RULES;
    this.setRules(this.rules);
  }

  /** Swaps the rules in place (a reload); conditions in progress are kept by rule id. */
  setRules(rules: RulesFile): void {
    this.rules = rules;
    const correlations = rules.rules.filter((r): r is CorrelationRule => r.type === 'correlation' && r.enabled !== false);
    this.sites.setRules(correlations.filter((r) => r.mode !== 'area_offline'));
    this.area.setRule(correlations.find((r) => r.mode === 'area_offline') ?? null);
    this.compiled.clear();
    this.byKind.clear();
    this.offline.rescheduleAll();
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

  /**
   * The periodic checks: silence (devices whose deadline passed, in slices of
   * `OFFLINE_SLICE` with the event loop free between them), the area
   * condition, long-disabled points.
   */
  tick(now = this.now()): void {
    this.events.tick(now);
    if (this.slicing) return;
    this.area.evaluate(now);
    this.slice(now);
  }

  /** One slice on the timer (the next after an event-loop turn); all at once when ticked by hand. */
  private slice(now: number): void {
    this.slicing = false;
    while (this.offline.check(now, OFFLINE_SLICE)) {
      if (!this.timer) continue;
      this.slicing = true;
      setImmediate(() => {
        if (this.timer) this.slice(this.now());
        else this.slicing = false;
      });
      return;
    }
  }

  /** Records that the device was heard from now, clearing an offline condition. */
  seen(device: Device, at = this.now()): void {
    this.offline.seen(device, at);
  }

  /** Restores when a device was last heard from (e.g. from InfluxDB at start-up). */
  restoreLastSeen(deviceId: string, at: number): void {
    this.offline.restoreLastSeen(deviceId, at);
  }

  lastSeenOf(deviceId: string): number | null {
    return this.offline.lastSeenOf(deviceId);
  }

  isOffline(deviceId: string): boolean {
    return this.offline.isOffline(deviceId);
  }

  onReading(device: Device, reading: Reading): void {
    const c = this.compiledOf(device);
    const ts = reading.ts;
    const st = this.st;
    for (let i = 0; i < c.metric.length; i++) {
      const r = c.metric[i]!;
      const value = reading.values[r.metric];
      if (value === undefined) continue;
      const key = c.keys[i]!;
      let out: Outcome;
      let before: Level | null;
      switch (r.type) {
        case 'threshold': {
          // Most readings are inside every bound and have no entry: they are judged on a scratch entry, stored only when it holds something.
          const held = st.threshold.get(key);
          const s = held ?? this.scratch;
          before = s.level;
          out = evalThreshold(r, s, value, ts);
          if (!held) {
            if (s.level || s.since) st.threshold.set(key, { level: s.level, ...(s.since ? { since: s.since } : {}) });
            s.level = null;
            delete s.since;
          } else if (!out.level && !s.since) st.threshold.delete(key);
          else if (out.level !== before) st.threshold.touch(key);
          break;
        }
        case 'rate': {
          let s = st.rate.get(key);
          if (!s) st.rate.set(key, (s = { pts: [], level: null }));
          before = s.level;
          out = evalRate(r, s, value, ts);
          if (out.level !== before) st.rate.touch(key);
          break;
        }
        case 'flatline': {
          const prev = st.flatline.get(key);
          before = prev?.level ?? null;
          // A new run restarts the entry in place (one per device, not one per changed value): still a change to save.
          const v = prev?.v;
          const since = prev?.since;
          const [s, o] = evalFlatline(r, prev, value, ts);
          (s as FlatlineEntry).level = o.level;
          if (s !== prev) st.flatline.set(key, s as FlatlineEntry);
          else if (o.level !== before || s.v !== v || s.since !== since) st.flatline.touch(key);
          out = o;
          break;
        }
        case 'anomaly': {
          const prev = st.anomaly.get(key);
          before = prev?.level ?? null;
          const [s, o] = evalAnomaly(r, prev, value, ts);
          if (s !== prev) st.anomaly.set(key, s);
          else if (o.level !== before) st.anomaly.touch(key);
          out = o;
          break;
        }
      }
      if (out.level || before) {
        this.sites.report(device, {
          device: device.id,
          rule: r.id,
          ruleType: r.type,
          level: out.level,
          ts,
          metric: r.metric,
          value,
          ...(r.type === 'threshold' ? { direction: r.direction } : {}),
          ...(out.level && out.threshold !== undefined ? { threshold: out.threshold } : {}),
          ...(out.level && out.detail ? { detail: out.detail } : {}),
        });
      }
    }
    if (c.events?.disabledAfterS) this.events.onReading(device, reading.values.disabled, ts);
    if (c.power.length && reading.values.p_kw !== undefined) this.power.onReading(device, c.power, reading.values.p_kw, ts);
  }

  onEvent(device: Device, event: DeviceEvent & { ts: number }): void {
    this.events.onEvent(device, event);
  }

  /** A device's own `offline` (its last will) is believed at once. */
  onStatus(device: Device, status: 'online' | 'offline', at: number): void {
    this.offline.onStatus(device, status, at);
  }

  checkOffline(now = this.now()): void {
    this.offline.check(now);
    this.area.evaluate(now);
  }

  /** Applies hour-of-week baselines learned from history (they replace what was there for the hours they know). */
  applyBaselines(learned: Map<string, WeekBaseline>): void {
    this.power.applyBaselines(learned);
  }

  baselineOf(tenant: string): WeekBaseline | undefined {
    return this.power.baselineOf(tenant);
  }

  snapshot(): RuleSnapshot {
    return snapshotOf(this.st, this.now());
  }

  /** A snapshot to serialise at once (its values are the live ones, not copies); what changed is forgotten. */
  snapshotForSave(): RuleSnapshot {
    const snap = snapshotOf(this.st, this.now(), false);
    this.st.clean();
    return snap;
  }

  /** What changed since the last call or snapshot, as entries of the changes log (values to serialise at once). */
  takeChanges(): RuleChange[] {
    const out: RuleChange[] = [];
    for (const m of this.st.tracked) {
      for (const k of m.dirty) {
        const v = Map.prototype.get.call(m, k);
        out.push(v === undefined ? [`${m.prefix}|${k}`] : [`${m.prefix}|${k}`, v]);
      }
    }
    for (const id of this.st.offlineDirty) out.push(this.st.offline.has(id) ? [`${OFFLINE_PREFIX}${id}`, 1] : [`${OFFLINE_PREFIX}${id}`]);
    this.st.clean();
    return out;
  }

  /**
   * Restores a snapshot (any saved since version 1 of the file), after the
   * rules are set: a metric condition goes to the device's rule of that id as
   * it is now. Entries of devices no longer registered are dropped; returns
   * how many were. `clean`: what was restored is not a change to log (the
   * state file already holds it).
   */
  restore(snap: RuleSnapshot, clean = false): number {
    const dropped = restoreSnapshot(this.st, snap, {
      known: (id) => this.opts.lookup(id) !== undefined,
      metricType: (id, rule) => {
        const device = this.opts.lookup(id);
        if (!device) return undefined;
        // A device without overrides has its kind's rules: no per-device copy made for a city at start.
        const rules = (!device.thresholds && this.byKind.get(device.kind)) || this.compiledOf(device);
        return rules.metric.find((r) => r.id === rule)?.type;
      },
    });
    this.events.reindex();
    this.offline.reindex();
    if (clean) this.st.clean();
    return dropped;
  }

  private readonly scratch: ThresholdState = { level: null };

  private compiledOf(device: Device): DeviceRules {
    let c = this.compiled.get(device.id);
    if (!c) {
      // A device without overrides runs its kind's rules as they are: compiled once per kind, not per device (a city's start).
      let rules = device.thresholds ? undefined : this.byKind.get(device.kind);
      if (!rules) {
        rules = compile(this.rules, device);
        if (!device.thresholds) this.byKind.set(device.kind, rules);
      }
      c = { ...rules, keys: rules.metric.map((r) => `${device.id}|${r.id}`) };
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
