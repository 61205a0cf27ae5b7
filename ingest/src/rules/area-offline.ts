import { AREA_OFFLINE_SITE, LEVELS, type CorrelationRule, type Device, type Level, type Signal } from '@lifeline/core';

/** What the area condition keeps across a restart (small: counts are rebuilt from the offline set). */
export interface AreaEntry {
  level: Level | null;
  /** The device the area alert is filed under (the first to go offline in the event). */
  device?: string;
  since?: number;
}

/** Towns named in the alert's text, the most affected first. */
const TOWNS_NAMED = 8;

/**
 * 大面积离线: many devices going offline together is one event (a power cut, a
 * network outage, the platform's own broker), not thousands of alerts. Keeps
 * per town how many devices are heard from and how many are offline, and the
 * devices that went offline within the rule's window, so each device costs
 * O(1) and a check costs O(towns). The area signal goes out before the
 * devices' own offline signals of the same slice, so the alert manager folds
 * them into it instead of notifying each.
 */
export class AreaOffline {
  private rule: CorrelationRule | null = null;
  /** Devices heard from (the denominator), and offline, per town. */
  private readonly heard = new Map<string, number>();
  private readonly down = new Map<string, number>();
  private downTotal = 0;
  /** Offline marks within the window: [time, town], oldest first (a queue with a head index). */
  private recent: [number, string][] = [];
  private head = 0;
  private readonly recentByTown = new Map<string, number>();
  private lastDetail = '';

  constructor(
    private readonly st: Map<string, AreaEntry>,
    private readonly ctx: { lookup: (id: string) => Device | undefined; emit: (s: Signal) => void },
  ) {}

  setRule(rule: CorrelationRule | null): void {
    this.rule = rule;
  }

  /** Forgets the counts, before they are rebuilt from restored state. */
  reset(): void {
    this.heard.clear();
    this.down.clear();
    this.downTotal = 0;
  }

  /** A device heard from for the first time (or restored): it counts towards its town's size. */
  counted(device: Device): void {
    this.heard.set(device.town, (this.heard.get(device.town) ?? 0) + 1);
  }

  /** A device whose offline condition is on (`wentDown`: just now, not restored). */
  offline(device: Device, at: number, wentDown: boolean): void {
    this.down.set(device.town, (this.down.get(device.town) ?? 0) + 1);
    this.downTotal++;
    const r = this.rule;
    if (!wentDown || !r || !r.kinds.includes(device.kind)) return;
    this.recent.push([at, device.town]);
    this.recentByTown.set(device.town, (this.recentByTown.get(device.town) ?? 0) + 1);
    const e = this.entry();
    if (!e.level && !e.device) e.device = device.id;
  }

  back(device: Device): void {
    const n = (this.down.get(device.town) ?? 0) - 1;
    if (n > 0) this.down.set(device.town, n);
    else this.down.delete(device.town);
    this.downTotal = Math.max(0, this.downTotal - 1);
  }

  /**
   * Turns the area condition on or off from the counts; run before the
   * devices of a slice are told offline, and on the engine's tick. Repeats
   * the signal (its count and towns) while it lasts, when they changed.
   */
  evaluate(now: number): void {
    const r = this.rule;
    if (!r) return;
    this.expire(now - (r.windowS ?? 300) * 1000);
    const e = this.entry();
    const wasOn = e.level !== null;
    const on = wasOn ? this.holds(r) : this.starts(r);
    if (!on && !wasOn) {
      if (!this.recentByTown.size) this.forget();
      return;
    }
    const device = e.device && this.ctx.lookup(e.device) ? e.device : undefined;
    if (!device) return; // nothing in the registry to file it under
    const base = { device, rule: r.id, ruleType: 'correlation' as const, site: AREA_OFFLINE_SITE, ts: now };
    if (!on) {
      e.level = null;
      this.ctx.emit({ ...base, level: null, detail: `大面积离线已恢复：仍有 ${this.downTotal} 台设备离线` });
      this.forget();
      return;
    }
    const detail = this.detail();
    if (wasOn && detail === this.lastDetail) return;
    this.lastDetail = detail;
    if (!wasOn) {
      e.level = r.level ?? 'orange';
      e.since = now;
    }
    this.ctx.emit({ ...base, level: e.level!, value: this.downTotal, detail });
  }

  /** Whether the area condition is on now. */
  get on(): boolean {
    return (this.st.get(this.rule?.id ?? '')?.level ?? null) !== null;
  }

  private starts(r: CorrelationRule): boolean {
    if (this.recent.length - this.head >= (r.minDevices ?? Infinity)) return true;
    for (const [town, n] of this.recentByTown) if (this.townHit(r, town, n, 1)) return true;
    return false;
  }

  /** Holds until fewer than half the numbers that start it are offline (a whole-city outage clears as devices come back). */
  private holds(r: CorrelationRule): boolean {
    if (this.downTotal >= (r.minDevices ?? Infinity) / 2) return true;
    for (const [town, n] of this.down) if (this.townHit(r, town, n, 0.5)) return true;
    return false;
  }

  private townHit(r: CorrelationRule, town: string, n: number, scale: number): boolean {
    const size = this.heard.get(town) ?? 0;
    return size > 0 && n >= (r.minTownDevices ?? Infinity) * scale && n / size >= (r.minFraction ?? 1) * scale;
  }

  private detail(): string {
    const towns = [...this.down].sort((a, b) => b[1] - a[1]);
    const named = towns.slice(0, TOWNS_NAMED).map(([t, n]) => `${t} ${n} 台`);
    const more = towns.length > TOWNS_NAMED ? ` 等 ${towns.length} 个镇街` : '';
    return `大面积离线：${this.downTotal} 台设备离线（${named.join('、')}${more}），疑似停电、通信网络或平台接入故障`.slice(0, 500);
  }

  private expire(from: number): void {
    while (this.head < this.recent.length && this.recent[this.head]![0] < from) {
      const town = this.recent[this.head++]![1];
      const n = (this.recentByTown.get(town) ?? 0) - 1;
      if (n > 0) this.recentByTown.set(town, n);
      else this.recentByTown.delete(town);
    }
    if (this.head > 1024 && this.head * 2 > this.recent.length) {
      this.recent = this.recent.slice(this.head);
      this.head = 0;
    }
  }

  private entry(): AreaEntry {
    const id = this.rule!.id;
    let e = this.st.get(id);
    if (!e) this.st.set(id, (e = { level: null }));
    return e;
  }

  private forget(): void {
    const id = this.rule!.id;
    const e = this.st.get(id);
    if (e && !e.level) this.st.delete(id);
    this.lastDetail = '';
  }
}

export const isAreaEntry = (v: unknown): v is AreaEntry => {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (e.level === null || (LEVELS as readonly unknown[]).includes(e.level)) && (e.device === undefined || typeof e.device === 'string');
};
