import type { Level } from '@lifeline/core';
import type { SiteState } from './correlation.js';
import type { EventState } from './event-rules.js';
import type { AnomalyState, FlatlineState, RateState } from './metric-rules.js';
import type { SustainState, WeekBaseline } from './power.js';
import type { ThresholdState } from './threshold.js';

/** A flatline's run, and the level it last reported (so a clear is sent once). */
export type FlatlineEntry = FlatlineState & { level: Level | null };
/** A site's detectors and the site rules on for it now. */
export type SiteEntry = SiteState & { on?: Record<string, Level> };
/** The latest reading of each meter of an enterprise: device → [ts, kW]. */
export type MeterReadings = Record<string, [number, number]>;

/**
 * Everything the rule engine must not forget across a restart, one typed map
 * per kind of state. Keys: a device id, a tenant id, a site name, or
 * `device|rule` / `tenant|rule` for one rule's condition. Plain JSON values
 * only, so `rule-snapshot.ts` can write and read them.
 */
export class RuleState {
  /** Metric rules' conditions by `device|rule`, one map per rule type. */
  readonly threshold = new Map<string, ThresholdState>();
  readonly rate = new Map<string, RateState>();
  readonly flatline = new Map<string, FlatlineEntry>();
  readonly anomaly = new Map<string, AnomalyState>();
  /** Active events and disabled points by device. */
  readonly events = new Map<string, EventState>();
  /** Meter readings by tenant, for the enterprise total. */
  readonly meters = new Map<string, MeterReadings>();
  /** Enterprise rules' conditions by `tenant|rule`. */
  readonly enterprise = new Map<string, SustainState>();
  /** Hour-of-week power baselines by tenant. */
  readonly baselines = new Map<string, WeekBaseline>();
  /** Site correlation state by site name. */
  readonly sites = new Map<string, SiteEntry>();
  /** When each device was last heard from (event time). */
  readonly lastSeen = new Map<string, number>();
  /** Devices whose offline condition is on. */
  readonly offline = new Set<string>();
}

/** The value at `key`, created by `init` when there is none. */
export function entry<V>(map: Map<string, V>, key: string, init: () => NoInfer<V>): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = init()));
  return v;
}
