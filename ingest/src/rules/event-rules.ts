import type { Device, DeviceEvent, EventRule, Level, Signal } from '@lifeline/core';
import { entry } from './rule-state.js';
import { zhDuration } from './threshold.js';

export const DISABLED_LONG_RULE = 'disabled_long';
/** A `disabled` event whose detail says so re-enables its point (解除屏蔽). */
const REENABLE = /解除屏蔽|取消屏蔽|恢复启用|re-?enabled?/i;

/** A device's active events and its disabled points. */
export interface EventState {
  active: Partial<Record<DeviceEvent['type'], Level>>;
  /** Disabled points and since when (event time). */
  disabled: Record<string, number>;
  /** The long-disabled warning is on. */
  long?: boolean;
}

export interface EventRulesContext {
  lookup: (id: string) => Device | undefined;
  /** The device's event rule, its overrides applied. */
  ruleOf: (device: Device) => EventRule | undefined;
  /** Emits a signal that counts towards the device's site. */
  report: (device: Device, signal: Signal) => void;
}

/**
 * Discrete events mapped to levels and cleared by a reset, and a fire panel's
 * disabled points (屏蔽): a point disabled longer than the rule allows is a
 * warning of its own, held until the point is re-enabled or the panel reset.
 */
export class EventRules {
  /** Devices with disabled points, so the periodic check need not scan every device. */
  private readonly withDisabled = new Set<string>();

  constructor(
    private readonly events: Map<string, EventState>,
    private readonly ctx: EventRulesContext,
  ) {}

  /** Rebuilds what is derived from the state (after a restore). */
  reindex(): void {
    this.withDisabled.clear();
    for (const [id, s] of this.events) if (Object.keys(s.disabled).length) this.withDisabled.add(id);
  }

  onEvent(device: Device, event: DeviceEvent & { ts: number }): void {
    const r = this.ctx.ruleOf(device);
    if (!r) return;
    const s = entry(this.events, device.id, () => ({ active: {}, disabled: {} }));
    if (r.clearOn.includes(event.type)) {
      for (const type of Object.keys(s.active) as DeviceEvent['type'][]) this.reportEvent(device, type, null, event.ts);
      s.active = {};
      this.reenable(device, null, event.ts);
      this.events.delete(device.id);
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

  /** A heartbeat: its count of disabled points at zero re-enables them all; a long-disabled warning is repeated. */
  onReading(device: Device, disabledCount: number | undefined, ts: number): void {
    if (!this.ctx.ruleOf(device)?.disabledAfterS) return;
    if (disabledCount === 0) this.reenable(device, null, ts);
    this.checkDisabled(device, ts, true);
  }

  /** The periodic check of long-disabled points. */
  tick(now: number): void {
    for (const id of this.withDisabled) {
      const device = this.ctx.lookup(id);
      if (device) this.checkDisabled(device, now, false);
    }
  }

  private reportEvent(device: Device, type: DeviceEvent['type'], level: Level | null, ts: number, point?: string): void {
    this.ctx.report(device, { device: device.id, rule: `event:${type}`, ruleType: 'event', level, ts, event: type, ...(point ? { point } : {}) });
  }

  private reportLong(device: Device, level: Level | null, ts: number, detail?: string): void {
    this.ctx.report(device, { device: device.id, rule: DISABLED_LONG_RULE, ruleType: 'event', level, ts, event: 'disabled', ...(detail ? { detail } : {}) });
  }

  /** Re-enables one point (or all with null); clears the disabled conditions once none is left. */
  private reenable(device: Device, point: string | null, ts: number): void {
    const s = this.events.get(device.id);
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
      this.reportLong(device, null, ts);
    }
  }

  /** A point disabled longer than the rule allows; repeated per message while it lasts, on transitions only from the timer. */
  private checkDisabled(device: Device, at: number, perMessage: boolean): void {
    const r = this.ctx.ruleOf(device);
    const s = this.events.get(device.id);
    if (!r?.disabledAfterS || !r.disabledLevel || !s) return;
    let oldest: [string, number] | null = null;
    for (const [p, since] of Object.entries(s.disabled)) if (!oldest || since < oldest[1]) oldest = [p, since];
    const long = oldest !== null && at - oldest[1] >= r.disabledAfterS * 1000;
    if (long && (perMessage || !s.long)) {
      s.long = true;
      const n = Object.keys(s.disabled).length;
      this.reportLong(
        device,
        r.disabledLevel,
        at,
        `${n} 个点位被屏蔽超过 ${zhDuration(r.disabledAfterS * 1000)}（最早为点位 ${oldest![0]}，已屏蔽 ${zhDuration(at - oldest![1])}）`,
      );
    } else if (!long && s.long) {
      s.long = false;
      this.reportLong(device, null, at);
    }
  }
}
