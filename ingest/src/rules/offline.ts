import { DeadlineQueue, type Device, type OfflineRule, type Signal } from '@lifeline/core';
import { intervalOf } from '@lifeline/core/node';
import type { AreaOffline } from './area-offline.js';
import { zhDuration } from './threshold.js';

export const OFFLINE_RULE = 'offline';

/** Devices told offline per slice; a mass event goes out in slices, the event loop free between them (500: tens of ms each through the alert manager, the spool and the dashboard hub). */
export const OFFLINE_SLICE = 500;

export interface OfflineContext {
  lookup: (id: string) => Device | undefined;
  /** The device's offline rule, its overrides applied. */
  ruleOf: (device: Device) => OfflineRule | undefined;
  emit: (signal: Signal) => void;
  area: AreaOffline;
  /** Told when a device's offline condition turns on or off (for incremental persistence). */
  touched?: (deviceId: string) => void;
}

/**
 * Silence: a device not heard from for its rule's intervals plus grace is
 * offline, and so is one that says so (its last will); it is back once heard.
 * Each heard device has one deadline in a queue, re-checked when it comes due
 * (a device heard since is scheduled again), so a check costs what comes due,
 * not the registry.
 */
export class OfflineWatch {
  private readonly deadlines = new DeadlineQueue();

  constructor(
    private readonly lastSeen: Map<string, number>,
    private readonly offline: Set<string>,
    private readonly ctx: OfflineContext,
  ) {}

  /** Records that the device was heard from at `at`, clearing an offline condition. */
  seen(device: Device, at: number): void {
    const first = !this.lastSeen.has(device.id);
    this.lastSeen.set(device.id, at);
    if (first) this.ctx.area.counted(device);
    if (!this.deadlines.has(device.id)) this.schedule(device, at);
    if (this.offline.delete(device.id)) {
      this.ctx.area.back(device);
      this.ctx.touched?.(device.id);
      this.ctx.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: null, ts: at });
    }
  }

  /** Restores when a device was last heard from, unless it has been heard since. */
  restoreLastSeen(deviceId: string, at: number): void {
    if (this.lastSeen.has(deviceId)) return;
    this.lastSeen.set(deviceId, at);
    const device = this.ctx.lookup(deviceId);
    if (!device) return;
    this.ctx.area.counted(device);
    this.schedule(device, at);
  }

  /** After a restore of the state maps: the area counts and every deadline, once (O(registry) at start only). */
  reindex(): void {
    this.ctx.area.reset();
    for (const [id, at] of this.lastSeen) {
      const device = this.ctx.lookup(id);
      if (!device) continue;
      this.ctx.area.counted(device);
      this.schedule(device, at);
    }
    for (const id of this.offline) {
      const device = this.ctx.lookup(id);
      if (device) this.ctx.area.offline(device, 0, false);
    }
  }

  /** The rules changed: every deadline is computed again (once per reload). */
  rescheduleAll(): void {
    this.deadlines.clear();
    for (const [id, at] of this.lastSeen) {
      const device = this.ctx.lookup(id);
      if (device) this.schedule(device, at);
    }
  }

  lastSeenOf(deviceId: string): number | null {
    return this.lastSeen.get(deviceId) ?? null;
  }

  isOffline(deviceId: string): boolean {
    return this.offline.has(deviceId);
  }

  /** A device's own `offline` (its last will) is believed at once. */
  onStatus(device: Device, status: 'online' | 'offline', at: number): void {
    if (status === 'online') return this.seen(device, at);
    if (this.offline.has(device.id) || !this.ctx.ruleOf(device)) return;
    this.goOffline([device], at);
  }

  /**
   * Marks offline the devices whose deadline passed, at most `max` of them;
   * true when more are due (the caller continues in another slice). Devices
   * heard from since their deadline was set are scheduled again.
   */
  check(now: number, max = Infinity): boolean {
    const going: Device[] = [];
    while (going.length < max) {
      const ids = this.deadlines.popDue(now, Math.min(max - going.length, OFFLINE_SLICE));
      if (!ids.length) break;
      for (const id of ids) {
        const device = this.ctx.lookup(id);
        const at = this.lastSeen.get(id);
        if (!device || at === undefined || this.offline.has(id)) continue;
        const after = this.timeoutOf(device);
        if (after === null) continue; // no offline rule now; scheduled again when rules change
        if (now - at > after) going.push(device);
        else this.deadlines.schedule(id, at + after + 1);
      }
    }
    this.goOffline(going, now);
    return this.deadlines.peek() !== undefined && this.deadlines.peek()! <= now;
  }

  /** The area condition first (so it is open before the devices' own alerts), then each device. */
  private goOffline(devices: Device[], at: number): void {
    if (!devices.length) return;
    for (const d of devices) {
      this.offline.add(d.id);
      this.ctx.area.offline(d, at, true);
    }
    this.ctx.area.evaluate(at);
    for (const d of devices) {
      this.ctx.touched?.(d.id);
      this.emitOffline(d, at);
    }
  }

  private emitOffline(device: Device, at: number): void {
    const r = this.ctx.ruleOf(device);
    if (!r) return;
    const last = this.lastSeen.get(device.id);
    const silent = last !== undefined && at > last ? `已 ${zhDuration(at - last)} 未收到数据` : '设备报告离线';
    const detail = device.kind === 'power' ? `电表${silent}，可能断电、通信中断或被人为破坏` : silent;
    this.ctx.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: r.level, ts: at, detail });
  }

  private timeoutOf(device: Device): number | null {
    const r = this.ctx.ruleOf(device);
    return r ? (intervalOf(device) * r.afterIntervals + r.graceS) * 1000 : null;
  }

  private schedule(device: Device, at: number): void {
    const after = this.timeoutOf(device);
    if (after !== null) this.deadlines.schedule(device.id, at + after + 1);
  }
}
