import type { Level } from '@lifeline/core';
import type { AreaEntry } from './area-offline.js';
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
 * A map that remembers which keys changed since `take()`: every `set` and
 * `delete`, and whatever `touch` names. What makes saving rule state cost
 * what changed, not what is held. `get` is Map's own (a builtin V8 inlines:
 * the metric maps are read on every reading).
 */
export class TrackedMap<V> extends Map<string, V> {
  readonly dirty = new Set<string>();

  constructor(
    /** The key prefix of this kind of entry in the state file (`d`, `ev`, `site` …). */
    readonly prefix: string,
  ) {
    super();
  }

  override set(key: string, value: V): this {
    this.dirty?.add(key); // undefined while Map's constructor runs
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    this.dirty.add(key);
    return super.delete(key);
  }

  override clear(): void {
    for (const k of this.keys()) this.dirty.add(k);
    super.clear();
  }

  touch(key: string): void {
    this.dirty.add(key);
  }
}

/** A TrackedMap whose every `get` counts as a change too: its values are changed in place by whoever got them. */
export class ReadTrackedMap<V> extends TrackedMap<V> {
  override get(key: string): V | undefined {
    this.dirty.add(key);
    return super.get(key);
  }
}

/**
 * Everything the rule engine must not forget across a restart, one typed map
 * per kind of state. Keys: a device id, a tenant id, a site name, or
 * `device|rule` / `tenant|rule` for one rule's condition. Plain JSON values
 * only, so `rule-snapshot.ts` can write and read them.
 *
 * What is logged between snapshots (`rule-changes.ts`): entries created or
 * removed, level changes of metric conditions (the engine touches them), and
 * every entry read of the small kinds (events, sites, meters, enterprise
 * conditions, the area condition). Running statistics changed in place on
 * every reading (anomaly baselines, flatline runs, rate windows, the power
 * baseline's current hour) wait for the next snapshot.
 */
export class RuleState {
  /** Metric rules' conditions by `device|rule`, one map per rule type. */
  readonly threshold = new TrackedMap<ThresholdState>('d');
  readonly rate = new TrackedMap<RateState>('d');
  readonly flatline = new TrackedMap<FlatlineEntry>('d');
  readonly anomaly = new TrackedMap<AnomalyState>('d');
  /** Active events and disabled points by device. */
  readonly events = new ReadTrackedMap<EventState>('ev');
  /** Meter readings by tenant, for the enterprise total. */
  readonly meters = new ReadTrackedMap<MeterReadings>('m');
  /** Enterprise rules' conditions by `tenant|rule`. */
  readonly enterprise = new ReadTrackedMap<SustainState>('ent');
  /** Hour-of-week power baselines by tenant. */
  readonly baselines = new TrackedMap<WeekBaseline>('how');
  /** Site correlation state by site name. */
  readonly sites = new ReadTrackedMap<SiteEntry>('site');
  /** Area-wide conditions (大面积离线) by rule id. */
  readonly area = new ReadTrackedMap<AreaEntry>('area');
  /** When each device was last heard from (event time); saved with snapshots only (InfluxDB has it too). */
  readonly lastSeen = new Map<string, number>();
  /** Devices whose offline condition is on. */
  readonly offline = new Set<string>();
  /** Devices whose offline condition turned on or off since the last `take`. */
  readonly offlineDirty = new Set<string>();

  /** The maps whose entries are saved, in the order a snapshot lists them (metric conditions first). */
  get tracked(): TrackedMap<unknown>[] {
    return [this.threshold, this.rate, this.flatline, this.anomaly, this.events, this.sites, this.meters, this.enterprise, this.baselines, this.area];
  }

  /** Forgets what changed (a snapshot was just taken). */
  clean(): void {
    for (const m of this.tracked) m.dirty.clear();
    this.offlineDirty.clear();
  }
}

/** The value at `key`, created by `init` when there is none. */
export function entry<V>(map: Map<string, V>, key: string, init: () => NoInfer<V>): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = init()));
  return v;
}
