import type { Device, OfflineRule, Signal } from '@lifeline/core';
import { intervalOf } from '@lifeline/core/node';
import { zhDuration } from './threshold.js';

export const OFFLINE_RULE = 'offline';

export interface OfflineContext {
  lookup: (id: string) => Device | undefined;
  /** The device's offline rule, its overrides applied. */
  ruleOf: (device: Device) => OfflineRule | undefined;
  emit: (signal: Signal) => void;
}

/**
 * Silence: a device not heard from for its rule's intervals plus grace is
 * offline, and so is one that says so (its last will); it is back once heard.
 */
export class OfflineWatch {
  constructor(
    private readonly lastSeen: Map<string, number>,
    private readonly offline: Set<string>,
    private readonly ctx: OfflineContext,
  ) {}

  /** Records that the device was heard from at `at`, clearing an offline condition. */
  seen(device: Device, at: number): void {
    this.lastSeen.set(device.id, at);
    if (this.offline.delete(device.id)) this.ctx.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: null, ts: at });
  }

  /** Restores when a device was last heard from, unless it has been heard since. */
  restoreLastSeen(deviceId: string, at: number): void {
    if (!this.lastSeen.has(deviceId)) this.lastSeen.set(deviceId, at);
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
    this.markOffline(device, at);
  }

  check(now: number): void {
    for (const [id, at] of this.lastSeen) {
      if (this.offline.has(id)) continue;
      const device = this.ctx.lookup(id);
      if (!device) continue;
      const r = this.ctx.ruleOf(device);
      if (r && now - at > (intervalOf(device) * r.afterIntervals + r.graceS) * 1000) this.markOffline(device, now);
    }
  }

  private markOffline(device: Device, at: number): void {
    if (this.offline.has(device.id)) return;
    const r = this.ctx.ruleOf(device);
    if (!r) return;
    this.offline.add(device.id);
    const last = this.lastSeen.get(device.id);
    const silent = last !== undefined && at > last ? `已 ${zhDuration(at - last)} 未收到数据` : '设备报告离线';
    const detail = device.kind === 'power' ? `电表${silent}，可能断电、通信中断或被人为破坏` : silent;
    this.ctx.emit({ device: device.id, rule: OFFLINE_RULE, ruleType: 'offline', level: r.level, ts: at, detail });
  }
}
