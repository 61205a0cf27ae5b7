/**
 * Normal feeds: pure functions of a device, the time and a seeded RNG, so
 * tests can replay a whole day. Every value is kept inside the safe band of
 * the device's own thresholds (`thresholdsFor`), so a normal day raises no alert.
 */
import type { Device, DeviceEvent, Tenant } from '@lifeline/core';
import { thresholdsFor } from '@lifeline/core/node';
import { createRng, hashSeed, type Rng } from './rng.js';

export interface FeedContext {
  /** The device's tenant (power meters need the enterprise's capacity and state). */
  tenant?: Tenant;
  /** Meters of the same enterprise; splits the capacity when a meter has no own bound. */
  meterCount?: number;
  /** When the simulation started: batteries drain from here. */
  startMs: number;
}

export type Values = Record<string, number>;

const HOUR_MS = 3_600_000;
/** Feeds follow the district's local time (UTC+8) whatever the machine's zone. */
const LOCAL_OFFSET_H = 8;
/** Normal values stay this fraction inside the least severe bound. */
const SAFE_MARGIN = 0.05;

/** Local hour of day as a fraction, 0 ≤ h < 24. */
export function localHour(tMs: number): number {
  return (((tMs / HOUR_MS + LOCAL_OFFSET_H) % 24) + 24) % 24;
}

/** Local day of week, 0 = Sunday. */
export function localWeekday(tMs: number): number {
  return Math.floor((tMs / HOUR_MS + LOCAL_OFFSET_H) / 24 + 4) % 7; // 1970-01-01 was a Thursday
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
/** A bump centred at `at` hours, `width` hours wide, wrapping around midnight. */
const bump = (h: number, at: number, width: number): number => {
  const d = Math.min(Math.abs(h - at), 24 - Math.abs(h - at));
  return Math.exp(-((d / width) ** 2));
};

/** Fixed traits of one device (its base level, its own faults) drawn from its id. */
function traits(device: Device): Rng {
  return createRng(hashSeed(device.id));
}

/**
 * The band a metric must stay in to cross none of the device's threshold
 * rules: below every `above` bound and above every `below` bound, with a margin.
 */
export function safeBand(device: Device, metric: string): { min: number; max: number } {
  let bands = bandCache.get(device);
  if (!bands) bandCache.set(device, (bands = new Map()));
  let band = bands.get(metric);
  if (!band) bands.set(metric, (band = computeBand(device, metric)));
  return band;
}

/** Bands per device and metric: the hot path of a replayed day asks for them thousands of times. */
const bandCache = new WeakMap<Device, Map<string, { min: number; max: number }>>();

function computeBand(device: Device, metric: string): { min: number; max: number } {
  let min = -Infinity;
  let max = Infinity;
  for (const spec of Object.values(thresholdsFor(device))) {
    if (spec.metric !== metric) continue;
    const bounds = Object.values(spec.levels).filter((v): v is number => typeof v === 'number');
    if (!bounds.length) continue;
    if (spec.direction === 'above') {
      const b = Math.min(...bounds);
      max = Math.min(max, b - Math.abs(b) * SAFE_MARGIN);
    } else {
      const b = Math.max(...bounds);
      min = Math.max(min, b + Math.abs(b) * SAFE_MARGIN);
    }
  }
  return { min, max };
}

function safe(device: Device, metric: string, value: number, digits: number): number {
  const { min, max } = safeBand(device, metric);
  // Round inward so rounding never carries a value onto a bound.
  const v = clamp(value, min, max);
  const r = round(v, digits);
  if (r > max) return Math.floor(v * 10 ** digits) / 10 ** digits;
  if (r < min) return Math.ceil(v * 10 ** digits) / 10 ** digits;
  return r;
}

/** Kitchens show a little methane while cooking; noise otherwise. 0–2 %LEL. */
function gas(device: Device, tMs: number, rng: Rng): Values {
  const h = localHour(tMs);
  const kitchen = device.name.includes('厨房') ? 0.6 * (bump(h, 12, 1.2) + bump(h, 18.5, 1.5)) : 0;
  const ch4 = clamp(0.3 + kitchen + Math.abs(rng.gauss()) * 0.35, 0, 2);
  return { ch4: safe(device, 'ch4', ch4, 1) };
}

export type Schedule = 'continuous' | 'day' | 'two_shift';

/** How an enterprise works: chemical plants run round the clock, mines by day, workshops in two shifts. */
export function scheduleOf(tenant: Tenant | undefined): Schedule {
  switch (tenant?.industry) {
    case '危化品':
      return 'continuous';
    case '粉尘涉爆':
      return 'two_shift';
    default:
      return 'day';
  }
}

/** Fraction of a meter's capacity drawn while producing at local hour `h` (0 when off). */
export function productionLoad(schedule: Schedule, h: number, weekday: number): number {
  const ramp = (from: number, to: number): number => clamp(Math.min(h - from, to - h) / 0.5, 0, 1);
  switch (schedule) {
    case 'continuous':
      return 0.6 + 0.05 * Math.sin(((h - 14) / 24) * 2 * Math.PI);
    case 'two_shift':
      return weekday === 0 ? 0 : 0.62 * ramp(8, 22) * (1 - 0.5 * bump(h, 12.5, 0.5)) * (1 - 0.4 * bump(h, 18, 0.5));
    case 'day':
      return weekday === 0 ? 0 : 0.65 * Math.max(ramp(7, 12), ramp(13.5, 18));
  }
}

/** The capacity and idle draw of one meter, in kW. */
export function meterCapacity(device: Device, ctx: FeedContext): { capacityKw: number; idleKw: number } {
  const ent = ctx.tenant?.enterprise;
  const own = device.thresholds?.p_kw_high?.levels?.orange;
  const rated = ent?.ratedKw ?? thresholdsFor(device).p_kw_high?.levels.orange ?? 100;
  const capacityKw = own ?? rated / Math.max(1, ctx.meterCount ?? 1);
  const idleKw = ent ? (ent.idleKw * capacityKw) / ent.ratedKw : capacityKw * 0.05;
  return { capacityKw, idleKw };
}

/** Three-phase 380 V at a power factor of 0.88. */
export const ampsOf = (kw: number): number => (kw * 1000) / (Math.sqrt(3) * 380 * 0.88);

function power(device: Device, ctx: FeedContext, tMs: number, rng: Rng): Values {
  const { capacityKw, idleKw } = meterCapacity(device, ctx);
  const stopped = ctx.tenant?.enterprise?.state === 'stopped';
  const load = stopped ? 0 : productionLoad(scheduleOf(ctx.tenant), localHour(tMs), localWeekday(tMs));
  const kw = Math.max(idleKw, load * capacityKw) * (1 + rng.gauss() * 0.03);
  const p = safe(device, 'p_kw', Math.max(0, kw), 1);
  return { p_kw: p, i_a: round(ampsOf(p), 1) };
}

/** 0.28–0.45 MPa: lower when the town draws most (morning and evening), higher at night. */
function water(device: Device, tMs: number, rng: Rng): Values {
  const base = traits(device).range(0.37, 0.41);
  const h = localHour(tMs);
  const demand = 0.06 * bump(h, 7.5, 1.2) + 0.07 * bump(h, 19, 1.5) - 0.02 * bump(h, 3, 2.5);
  const mpa = clamp(base - demand + rng.gauss() * 0.005, 0.28, 0.45);
  return { mpa: safe(device, 'mpa', mpa, 3) };
}

/** 0.3–1.2 m: a base level per point with the daily wastewater swing. */
function drainage(device: Device, tMs: number, rng: Rng): Values {
  const base = traits(device).range(0.4, 0.8);
  const h = localHour(tMs);
  const flow = 0.25 * bump(h, 8, 1.5) + 0.2 * bump(h, 20, 2) - 0.1 * bump(h, 3.5, 2);
  const level = clamp(base + flow + rng.gauss() * 0.02, 0.3, 1.2);
  return { level_m: safe(device, 'level_m', level, 2) };
}

/** Clean air, and a battery draining slowly from about 90 %. */
function smoke(device: Device, ctx: FeedContext, tMs: number, rng: Rng): Values {
  const start = traits(device).range(86, 93);
  const days = Math.max(0, tMs - ctx.startMs) / (24 * HOUR_MS);
  const s = clamp(Math.abs(rng.gauss()) * 0.004, 0, 0.02);
  return { smoke: safe(device, 'smoke', s, 3), battery: safe(device, 'battery', start - days * 0.4, 1) };
}

/** A panel's standing counts: most have none, some live with a faulty or disabled point. */
function firePanel(device: Device): Values {
  const t = traits(device);
  return { faults: t.chance(0.15) ? t.int(1, 3) : 0, disabled: t.chance(0.1) ? t.int(1, 2) : 0 };
}

/** One normal telemetry reading of a device at time `tMs`. */
export function normalValues(device: Device, ctx: FeedContext, tMs: number, rng: Rng): Values {
  switch (device.kind) {
    case 'gas':
      return gas(device, tMs, rng);
    case 'power':
      return power(device, ctx, tMs, rng);
    case 'water_pressure':
      return water(device, tMs, rng);
    case 'drainage':
      return drainage(device, tMs, rng);
    case 'smoke':
      return smoke(device, ctx, tMs, rng);
    case 'fire_panel':
      return firePanel(device);
  }
}

/** Chance that one heartbeat of a fire panel carries a fault: a few a day across the district. */
export const FIRE_PANEL_FAULT_CHANCE = 5e-5;
const FAULTS = ['感烟探测器故障', '手动报警按钮故障', '回路通讯故障', '输入模块故障'];

/** A rare spontaneous event of a normal day (only fire panels have any). */
export function normalEvent(device: Device, tMs: number, rng: Rng): DeviceEvent | null {
  if (device.kind !== 'fire_panel' || !rng.chance(FIRE_PANEL_FAULT_CHANCE)) return null;
  return { ts: tMs, type: 'fault', point: `1-${rng.int(1, 4)}-${String(rng.int(1, 200)).padStart(3, '0')}`, detail: rng.pick(FAULTS) };
}
