import { LEVELS, type Level } from '@lifeline/core';
import { logger, RULE_STATE_VERSION, type RuleStateSnapshot } from '@lifeline/core/node';
import type { FlatlineEntry, MeterReadings, RuleState, SiteEntry } from './rule-state.js';
import type { EventState } from './event-rules.js';
import { isAreaEntry } from './area-offline.js';
import type { MetricRule } from './device-rules.js';
import type { AnomalyState, RateState } from './metric-rules.js';
import { HOURS_PER_WEEK, type SustainState, type WeekBaseline } from './power.js';
import type { ThresholdState } from './threshold.js';

const log = logger('rule-state');

/** State entries kept at most (devices × rules is far below this); beyond it the metric conditions, listed first, go first. */
export const MAX_STATE_ENTRIES = 500_000;

/**
 * The rule state as `rule-state.json` holds it (the frame's schema is core's
 * `RuleStateSnapshot`; version 1, unchanged since the engine kept one map):
 * each entry keyed by a prefix naming its kind — `d|device|rule` (a metric
 * rule), `ev|device`, `m|tenant` (meters), `ent|tenant|rule`, `how|tenant`
 * (baseline), `site|site`, `area|rule` (大面积离线) — so a file saved by any
 * release restores in any other (a kind it does not know is dropped).
 */
export type RuleSnapshot = RuleStateSnapshot;

/** `clone: false` when the snapshot is serialised at once (saving), so its values need not be copied. */
export function snapshotOf(st: RuleState, savedAt: number, clone = true): RuleSnapshot {
  const state: [string, unknown][] = [];
  for (const m of st.tracked) for (const [k, v] of m) state.push([`${m.prefix}|${k}`, v]);
  let kept = state;
  if (state.length > MAX_STATE_ENTRIES) {
    log.warn({ entries: state.length, kept: MAX_STATE_ENTRIES }, 'rule state over its bound: the first entries (metric conditions) are dropped');
    kept = state.slice(-MAX_STATE_ENTRIES);
  }
  return { version: RULE_STATE_VERSION, savedAt, state: clone ? structuredClone(kept) : kept, lastSeen: [...st.lastSeen], offline: [...st.offline] };
}

export interface RestoreContext {
  known: (deviceId: string) => boolean;
  /** The type of a device's metric rule now (undefined when it has no such rule any more). */
  metricType: (deviceId: string, ruleId: string) => MetricRule['type'] | undefined;
}

/**
 * Restores a snapshot into `st`. An entry of a device no longer registered,
 * of a metric rule the device no longer has, or whose value does not have the
 * shape its kind needs (a rule id now of another type) is dropped, and the
 * condition starts afresh. Returns how many entries were dropped.
 */
export function restoreSnapshot(st: RuleState, snap: RuleSnapshot, ctx: RestoreContext): number {
  let dropped = 0;
  for (const [key, value] of snap.state.slice(-MAX_STATE_ENTRIES)) {
    if (!restoreEntry(st, key, value, ctx)) dropped++;
  }
  for (const [id, at] of snap.lastSeen) if (ctx.known(id) && !st.lastSeen.has(id)) st.lastSeen.set(id, at);
  for (const id of snap.offline) if (ctx.known(id)) st.offline.add(id);
  if (dropped) log.info({ dropped }, 'rule state entries of removed devices or changed rules dropped');
  return dropped;
}

const put = <V>(map: Map<string, V>, key: string, value: V): true => {
  map.set(key, value);
  return true;
};

/** Puts one entry of the file where its kind belongs; false when it is dropped. */
function restoreEntry(st: RuleState, key: string, v: unknown, ctx: RestoreContext): boolean {
  const bar = key.indexOf('|');
  const id = key.slice(bar + 1);
  switch (key.slice(0, bar)) {
    case 'd': {
      const [device = '', rule = ''] = id.split('|');
      if (!ctx.known(device)) return false;
      switch (ctx.metricType(device, rule)) {
        case 'threshold':
          return isThreshold(v) && put(st.threshold, id, v);
        case 'rate':
          return isRate(v) && put(st.rate, id, v);
        case 'flatline':
          return isFlatline(v) && put(st.flatline, id, v);
        case 'anomaly':
          return isAnomaly(v) && put(st.anomaly, id, v);
        default:
          return false;
      }
    }
    case 'ev':
      return ctx.known(id) && isEvents(v) && put(st.events, id, v);
    case 'site':
      return isSite(v) && put(st.sites, id, v);
    case 'm':
      return isMeters(v) && put(st.meters, id, v);
    case 'ent':
      return isSustain(v) && put(st.enterprise, id, v);
    case 'how':
      return isBaseline(v) && put(st.baselines, id, v);
    case 'area':
      return isAreaEntry(v) && put(st.area, id, v);
    default:
      return false;
  }
}

// The shapes the evaluators rely on; a value restored past these cannot throw in them.
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number';
const isLevel = (v: unknown): v is Level => (LEVELS as readonly unknown[]).includes(v);
const isLevelOrNull = (v: unknown): v is Level | null => v === null || isLevel(v);
const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && isNum(v[0]) && isNum(v[1]);
const valuesAre = (v: unknown, test: (x: unknown) => boolean): boolean => isObj(v) && Object.values(v).every(test);

const isThreshold = (v: unknown): v is ThresholdState => isObj(v) && isLevelOrNull(v.level) && (v.since === undefined || valuesAre(v.since, isNum));
const isRate = (v: unknown): v is RateState =>
  isObj(v) && Array.isArray(v.pts) && v.pts.every(isPair) && isLevelOrNull(v.level) && (v.lastHit === undefined || isNum(v.lastHit));
const isFlatline = (v: unknown): v is FlatlineEntry => isObj(v) && isNum(v.v) && isNum(v.count) && isNum(v.since) && isNum(v.lastTs) && isLevelOrNull(v.level);
const isAnomaly = (v: unknown): v is AnomalyState =>
  isObj(v) && isNum(v.n) && isNum(v.mean) && isNum(v.mad) && isNum(v.run) && isNum(v.lastTs) && isLevelOrNull(v.level);
const isEvents = (v: unknown): v is EventState =>
  isObj(v) && valuesAre(v.active, isLevel) && valuesAre(v.disabled, isNum) && (v.long === undefined || typeof v.long === 'boolean');
const isSiteCondition = (c: unknown): boolean => Array.isArray(c) && c.length === 3 && isLevel(c[0]) && typeof c[1] === 'string' && typeof c[2] === 'boolean';
const isSite = (v: unknown): v is SiteEntry =>
  isObj(v) && valuesAre(v.devs, (d) => valuesAre(d, isSiteCondition)) && (v.on === undefined || valuesAre(v.on, isLevel));
const isMeters = (v: unknown): v is MeterReadings => valuesAre(v, isPair);
const isSustain = (v: unknown): v is SustainState =>
  isObj(v) && isLevelOrNull(v.level) && (v.since === undefined || isNum(v.since)) && (v.th === undefined || isThreshold(v.th));
const isHours = (v: unknown, test: (x: unknown) => boolean): boolean => Array.isArray(v) && v.length === HOURS_PER_WEEK && v.every(test);
const isBaseline = (v: unknown): v is WeekBaseline =>
  isObj(v) && isHours(v.mean, (x) => x === null || isNum(x)) && isHours(v.weeks, isNum) && isNum(v.hour) && isNum(v.sum) && isNum(v.count);
