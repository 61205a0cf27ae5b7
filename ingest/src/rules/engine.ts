import { KINDS, OFFLINE_AFTER_INTERVALS, type Device, type DeviceEvent, type Level, type Signal, type ThresholdSpec } from '@lifeline/core';
import { intervalOf, logger, thresholdsFor } from '@lifeline/core/node';
import type { Reading } from '../parse.js';
import { boundOf, nextLevel } from './threshold.js';

const log = logger('rules');

export const OFFLINE_RULE = 'offline';
/** Extra seconds on top of the intervals before a device counts as silent. */
const OFFLINE_GRACE_S = 5;
/** Events that end every event condition of a panel. */
const RESET_EVENTS = new Set<DeviceEvent['type']>(['reset']);

export interface RuleEngineOptions {
  lookup: (id: string) => Device | undefined;
  onSignal: (signal: Signal) => void;
  now?: () => number;
  offlineCheckMs?: number;
}

/**
 * Evaluates the rules of each device as its messages arrive: per-kind threshold
 * rules with hysteresis, event levels, and silence (offline). Emits a signal per
 * evaluated message while a condition lasts and one when it clears.
 */
export class RuleEngine {
  private readonly specs = new Map<string, [string, ThresholdSpec][]>();
  private readonly levels = new Map<string, Level>();
  private readonly activeEvents = new Map<string, Set<DeviceEvent['type']>>();
  private readonly lastSeen = new Map<string, number>();
  private readonly offline = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: RuleEngineOptions) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    const every = this.opts.offlineCheckMs ?? 1000;
    this.timer = setInterval(() => this.checkOffline(), every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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
    for (const [ruleId, spec] of this.specsOf(device)) {
      const value = reading.values[spec.metric];
      if (value === undefined) continue;
      const key = `${device.id}|${ruleId}`;
      const before = this.levels.get(key) ?? null;
      const after = nextLevel(spec, before, value);
      if (after) this.levels.set(key, after);
      else this.levels.delete(key);
      if (after || before) {
        this.emit({
          device: device.id,
          rule: ruleId,
          ruleType: 'threshold',
          level: after,
          ts: reading.ts,
          metric: spec.metric,
          direction: spec.direction,
          value,
          threshold: after ? boundOf(spec, after) : undefined,
        });
      }
    }
  }

  onEvent(device: Device, event: DeviceEvent & { ts: number }): void {
    const active = this.activeEvents.get(device.id) ?? new Set();
    if (RESET_EVENTS.has(event.type)) {
      for (const type of active) this.emit({ device: device.id, rule: `event:${type}`, ruleType: 'event', level: null, ts: event.ts, event: type });
      this.activeEvents.delete(device.id);
      return;
    }
    const level = KINDS[device.kind].events[event.type];
    if (!level) return;
    active.add(event.type);
    this.activeEvents.set(device.id, active);
    this.emit({ device: device.id, rule: `event:${event.type}`, ruleType: 'event', level, ts: event.ts, event: event.type, point: event.point });
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
      if (now - at > (intervalOf(device) * OFFLINE_AFTER_INTERVALS + OFFLINE_GRACE_S) * 1000) this.markOffline(device, now);
    }
  }

  private markOffline(device: Device, at: number): void {
    if (this.offline.has(device.id)) return;
    this.offline.add(device.id);
    this.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: KINDS[device.kind].offlineLevel, ts: at });
  }

  private specsOf(device: Device): [string, ThresholdSpec][] {
    let s = this.specs.get(device.id);
    if (!s) {
      s = Object.entries(thresholdsFor(device));
      this.specs.set(device.id, s);
    }
    return s;
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
