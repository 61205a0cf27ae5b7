/**
 * Scripted incidents for demos and tests: a gas leak that climbs through all
 * four warning levels and a fire on a fire alarm panel. Times are seconds of
 * simulated time after the incident begins.
 */
import { LEVELS, type Device, type DeviceEvent, type Level, type Tenant } from '@lifeline/core';
import { thresholdsFor } from '@lifeline/core/node';
import type { Rng } from './rng.js';

/**
 * ch4 %LEL over time: a minute in blue (≥5, the early sign), then yellow (≥10),
 * orange (≥25) and red (≥50) about two and a half minutes in; it holds while
 * nobody closes the valve, then decays as the kitchen is ventilated.
 */
export const GAS_LEAK_KEYFRAMES: readonly (readonly [number, number])[] = [
  [0, 1.2],
  [30, 5.5],
  [85, 9.5],
  [92, 11],
  [120, 24],
  [126, 27],
  [148, 49],
  [152, 53],
  [170, 61],
  [290, 64],
  [320, 42],
  [380, 16],
  [440, 6],
  [500, 2],
  [530, 0.8],
];
export const GAS_LEAK_END_S = GAS_LEAK_KEYFRAMES[GAS_LEAK_KEYFRAMES.length - 1]![0];
/** While the leak lasts the detector reports this often (real detectors report on change). */
export const INCIDENT_INTERVAL_S = 5;

/** ch4 of the leak `s` seconds after it began; null before it begins and after it ends. */
export function gasLeakValue(s: number): number | null {
  if (s < 0 || s > GAS_LEAK_END_S) return null;
  for (let i = 1; i < GAS_LEAK_KEYFRAMES.length; i++) {
    const [t1, v1] = GAS_LEAK_KEYFRAMES[i]!;
    if (s <= t1) {
      const [t0, v0] = GAS_LEAK_KEYFRAMES[i - 1]!;
      return v0 + ((v1 - v0) * (s - t0)) / (t1 - t0);
    }
  }
  return null;
}

/** The most severe level a value reaches on a device's `above` rule for `metric`, or null. */
export function levelOf(device: Device, metric: string, value: number): Level | null {
  for (const spec of Object.values(thresholdsFor(device))) {
    if (spec.metric !== metric || spec.direction !== 'above') continue;
    for (const level of LEVELS) {
      const bound = spec.levels[level];
      if (bound !== undefined && value >= bound) return level;
    }
  }
  return null;
}

export type IncidentStage = 'waiting' | 'rising' | Level | 'decaying' | 'over';

export interface IncidentStatus {
  device: string;
  stage: IncidentStage;
  value: number | null;
}

/** A gas leak on one detector, starting `atS` simulated seconds after the simulator starts. */
export class GasLeak {
  constructor(
    readonly device: Device,
    readonly atS: number,
  ) {
    if (device.kind !== 'gas') throw new Error(`incident device ${device.id} is a ${device.kind}, not a gas detector`);
  }

  /** Whether the leak drives the detector at simulated second `simS`. */
  active(simS: number): boolean {
    return gasLeakValue(simS - this.atS) !== null;
  }

  /** The detector's ch4 at `simS` during the leak (a little sensor noise), or null outside it. */
  value(simS: number, rng: Rng): number | null {
    const v = gasLeakValue(simS - this.atS);
    return v === null ? null : Number(Math.max(0, v * (1 + rng.gauss() * 0.01)).toFixed(1));
  }

  status(simS: number): IncidentStatus {
    const s = simS - this.atS;
    const v = gasLeakValue(s);
    if (s < 0) return { device: this.device.id, stage: 'waiting', value: null };
    if (v === null) return { device: this.device.id, stage: 'over', value: null };
    const peak = GAS_LEAK_KEYFRAMES.reduce((a, b) => (b[1] > a[1] ? b : a));
    const level = levelOf(this.device, 'ch4', v);
    if (s > peak[0] && level !== 'red') return { device: this.device.id, stage: 'decaying', value: v };
    return { device: this.device.id, stage: level ?? 'rising', value: v };
  }
}

/** Picks the default incident detector: a restaurant kitchen in 太和镇, else any gas detector. */
export function defaultGasDevice(devices: readonly Device[]): Device | undefined {
  // Prefer a detector on the kind's default bounds, so the leak reads the same as in the docs.
  const gas = devices.filter((d) => d.kind === 'gas').sort((a, b) => Number(!!a.thresholds) - Number(!!b.thresholds));
  return gas.find((d) => d.town === '太和镇' && d.name.includes('厨房')) ?? gas.find((d) => d.town === '太和镇') ?? gas[0];
}

/** Picks the default fire panel: a hotel in 太和镇, else any panel. */
export function defaultFirePanel(devices: readonly Device[]): Device | undefined {
  const panels = devices.filter((d) => d.kind === 'fire_panel');
  return panels.find((d) => d.town === '太和镇' && /宾馆|酒店|旅馆/.test(d.name)) ?? panels.find((d) => d.town === '太和镇') ?? panels[0];
}

/**
 * A fire on a panel (GB 26875 states): two detectors in alarm, the linkage
 * started and confirmed, then the panel reset once the fire is out.
 */
export const FIRE_SCRIPT: readonly { atS: number; event: Omit<DeviceEvent, 'ts'> }[] = [
  { atS: 0, event: { type: 'fire', point: '1-3-017', detail: '3楼走廊 感烟火灾探测器 火警' } },
  { atS: 12, event: { type: 'fire', point: '1-3-018', detail: '3楼308房 感烟火灾探测器 火警' } },
  { atS: 20, event: { type: 'started', point: '1-3-101', detail: '3楼声光警报器 启动' } },
  { atS: 25, event: { type: 'started', point: '1-0-201', detail: '排烟风机 启动' } },
  { atS: 40, event: { type: 'feedback', point: '1-0-201', detail: '排烟风机 运行反馈' } },
  { atS: 420, event: { type: 'reset', detail: '控制器复位' } },
];
export const FIRE_END_S = FIRE_SCRIPT[FIRE_SCRIPT.length - 1]!.atS;

export class FireScenario {
  private next = 0;

  constructor(
    readonly device: Device,
    readonly atS: number,
  ) {
    if (device.kind !== 'fire_panel') throw new Error(`fire device ${device.id} is a ${device.kind}, not a fire alarm panel`);
  }

  /** Events due by simulated second `simS` that have not been taken yet. */
  due(simS: number, tMs: number): DeviceEvent[] {
    const out: DeviceEvent[] = [];
    while (this.next < FIRE_SCRIPT.length && this.atS + FIRE_SCRIPT[this.next]!.atS <= simS) {
      out.push({ ts: tMs, ...FIRE_SCRIPT[this.next]!.event });
      this.next++;
    }
    return out;
  }

  status(simS: number): string {
    const s = simS - this.atS;
    if (s < 0) return 'waiting';
    if (s >= FIRE_END_S) return 'reset';
    return 'fire';
  }
}

/** Picks the default violator: the first enterprise registered as stopped (停产整顿) that has a meter. */
export function defaultStoppedEnterprise(devices: readonly Device[], tenants: readonly Tenant[]): Tenant | undefined {
  const metered = new Set(devices.filter((d) => d.kind === 'power').map((d) => d.tenant));
  return tenants.find((t) => t.enterprise?.state === 'stopped' && metered.has(t.id));
}

/**
 * Production during an ordered shutdown (停产整顿期间违规生产): from `atS` on, the
 * enterprise's meters draw a working load instead of their idle level — what
 * power monitoring exists to catch.
 */
export class ShutdownViolation {
  /** Fraction of a meter's capacity drawn while secretly producing. */
  static readonly LOAD = 0.55;

  constructor(
    readonly tenant: Tenant,
    readonly atS: number,
  ) {
    if (tenant.enterprise?.state !== 'stopped') throw new Error(`tenant ${tenant.id} is not registered as stopped (停产整顿)`);
  }

  /** The meter's kW at `simS`, or null while the enterprise still keeps to the order. */
  value(device: Device, capacityKw: number, simS: number, rng: Rng): number | null {
    if (device.tenant !== this.tenant.id || device.kind !== 'power' || simS < this.atS) return null;
    return Number((capacityKw * ShutdownViolation.LOAD * (1 + rng.gauss() * 0.03)).toFixed(1));
  }

  status(simS: number): string {
    return simS < this.atS ? 'waiting' : 'producing';
  }
}
