/**
 * High-risk enterprises of a city-sized registry beyond the sample's twenty:
 * each drawn with an industry, a town, a name, a meter count and a rated
 * capacity that fits the meter count (a three-meter chemical plant is a big
 * one, a one-meter fireworks shop a small one). Pure functions of the RNG.
 */
import { BRAND_HEADS, BRAND_TAILS, ENTERPRISE_TYPES, STOPPED_SHARE, TOWNS, type EnterpriseDef, type EnterpriseType } from './district-places.js';
import type { Rng } from './rng.js';

/** A two-character 字号 such as 鸿达. */
export function brandName(rng: Rng): string {
  return `${rng.pick(BRAND_HEADS)}${rng.pick(BRAND_TAILS)}`;
}

function weighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  let r = rng.next() * items.reduce((s, t) => s + t.weight, 0);
  for (const t of items) if ((r -= t.weight) < 0) return t;
  return items[items.length - 1]!;
}

function meterCount(rng: Rng, t: EnterpriseType): 1 | 2 | 3 {
  const r = rng.next();
  const [one, two] = t.meterOdds;
  return r < one ? 1 : r < one + two ? 2 : 3;
}

/** Labels of an enterprise's meters: one total meter, or workshops and the office and utilities meter last. */
export function meterLabels(rng: Rng, t: EnterpriseType, meters: 1 | 2 | 3): string[] {
  if (meters === 1) return [t.single];
  const shops = [...t.workshops];
  const labels: string[] = [];
  for (let i = 0; i < meters - 1 && shops.length; i++) labels.push(shops.splice(rng.int(0, shops.length - 1), 1)[0]!);
  // A type with one workshop (fireworks) adds a numbered store room for a third meter.
  while (labels.length < meters - 1) labels.push(`${labels.length + 1}号库房`);
  return [...labels, '公用及办公区'];
}

/**
 * One generated enterprise with at most `maxMeters` meters; `unique` turns a
 * name drawer into a name no other place has.
 */
export function drawEnterprise(rng: Rng, maxMeters: number, unique: (draw: () => string) => string): EnterpriseDef {
  const t = weighted(rng, ENTERPRISE_TYPES);
  const meters = Math.min(meterCount(rng, t), Math.max(1, maxMeters)) as 1 | 2 | 3;
  const [lo, hi] = t.ratedKw[meters];
  const ratedKw = Math.round(rng.range(lo, hi) / 10) * 10;
  const town = rng.pick(TOWNS);
  const name = unique(() =>
    rng.pick(t.names).replace('{brand}', brandName(rng)).replace('{town}', town.name.replace(/镇$/, '')).replace('{village}', rng.pick(town.villages)),
  );
  return {
    name,
    industry: t.industry,
    town: town.name,
    ratedKw,
    state: rng.chance(STOPPED_SHARE) ? 'stopped' : 'normal',
    meters: meterLabels(rng, t, meters),
  };
}
