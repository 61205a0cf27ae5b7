import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS, type Registry } from '@lifeline/core';
import { CONFIG_KEYS, insidePolygons, loadDistrict, loadRegistry, thresholdsFor } from '@lifeline/core/node';
import { ENTERPRISE_TYPES, ENTERPRISES, TOWNS } from '../../../simulators/src/district-places.js';
import { parseGenerateArgs } from '../../../simulators/src/generate-command.js';
import {
  buildCity,
  buildRegistry,
  formatRegistry,
  POWER_LEVEL_FACTORS,
  SAMPLE_DEVICES,
  SAMPLE_SIZES,
  sizesFor,
} from '../../../simulators/src/generate-registry.js';
import { PolygonIndex } from '../../../simulators/src/polygon-index.js';
import { createRng } from '../../../simulators/src/rng.js';

const { polygons } = loadDistrict('清新区');
const CITY = 20_000;
const city = buildCity(CITY, 7, polygons);

function countByKind(r: Registry): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(DEVICE_KINDS.map((k) => [k, 0]));
  for (const d of r.devices) counts[d.kind]!++;
  return counts;
}

describe('the sizes of a city', () => {
  it.each([406, 1000, 10_000, 100_000, 200_000, 1_000_000])('gives %i devices in all, each kind in the sample’s share', (n) => {
    const sizes = sizesFor(n);
    expect(DEVICE_KINDS.reduce((sum, k) => sum + sizes[k], 0)).toBe(n);
    for (const k of DEVICE_KINDS) expect(Math.abs(sizes[k] - (SAMPLE_SIZES[k] * n) / SAMPLE_DEVICES), k).toBeLessThan(1);
  });

  it('grows the special points with the city: canteens, strict detectors and hill reservoirs in proportion, water works and sumps slower', () => {
    const s = sizesFor(100_000);
    const scale = 100_000 / SAMPLE_DEVICES;
    expect(s.canteens).toBe(Math.round(SAMPLE_SIZES.canteens * scale));
    expect(s.strictSmoke).toBe(Math.round(SAMPLE_SIZES.strictSmoke * scale));
    expect(s.hillWater).toBe(Math.round(SAMPLE_SIZES.hillWater * scale));
    expect(s.plantsPerTown).toBeGreaterThan(1);
    expect(s.plantsPerTown).toBeLessThan(scale / 10);
    expect(s.sumps).toBeGreaterThan(SAMPLE_SIZES.sumps);
    expect(s.sumps).toBeLessThan(SAMPLE_SIZES.sumps * scale);
  });

  it('refuses a city smaller than the sample or not a whole number of devices', () => {
    expect(() => sizesFor(SAMPLE_DEVICES - 1)).toThrow(/from 406/);
    expect(() => sizesFor(1000.5)).toThrow(RangeError);
  });
});

describe('a generated city', () => {
  it.each([1000, CITY])('has exactly the planned number of devices of each kind (%i devices)', (n) => {
    const r = n === CITY ? city : buildCity(n, 7, polygons);
    const sizes = sizesFor(n);
    expect(countByKind(r)).toEqual(Object.fromEntries(DEVICE_KINDS.map((k) => [k, sizes[k]])));
  });

  it('puts every device inside the 清新区 polygon (core’s own test)', () => {
    const outside = city.devices.filter((d) => !insidePolygons(d.lon, d.lat, polygons)).map((d) => d.id);
    expect(outside).toEqual([]);
  });

  it('is the same file for the same size and seed, and another for another seed', () => {
    const again = formatRegistry(buildCity(CITY, 7, polygons), 'lines');
    expect(again).toBe(formatRegistry(city, 'lines'));
    expect(formatRegistry(buildCity(CITY, 8, polygons), 'lines')).not.toBe(again);
  });

  it('leaves the committed sample byte for byte as it is', () => {
    expect(formatRegistry(buildRegistry(), 'indented')).toBe(readFileSync(CONFIG_KEYS.registryPath.default, 'utf8'));
  });

  it('passes loadRegistry from its one-entry-a-line file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-city-'));
    try {
      const file = path.join(dir, 'city.json');
      const text = formatRegistry(city, 'lines');
      writeFileSync(file, text);
      const loaded = loadRegistry(file);
      expect(loaded.byId.size).toBe(CITY);
      expect(JSON.parse(text)).toEqual(city);
      expect(text.split('\n').length).toBeGreaterThan(CITY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every device its own id and name, in every town, most in 太和镇', () => {
    expect(new Set(city.devices.map((d) => d.id)).size).toBe(CITY);
    expect(new Set(city.devices.map((d) => d.name)).size).toBe(CITY);
    const byTown = new Map<string, number>();
    for (const d of city.devices) byTown.set(d.town, (byTown.get(d.town) ?? 0) + 1);
    for (const t of TOWNS) expect(byTown.get(t.name) ?? 0, t.name).toBeGreaterThan(CITY / 50);
    expect([...byTown].sort((a, b) => b[1] - a[1])[0]![0]).toBe('太和镇');
  });

  it('groups devices into sites as the sample does: communities of 3–5 gas detectors, houses with a smoke detector per floor, one point per site', () => {
    const sites = new Map<string, Registry['devices']>();
    for (const d of city.devices) if (d.site) sites.set(d.site, [...(sites.get(d.site) ?? []), d]);
    expect(sites.size).toBeGreaterThan(CITY / 20);
    for (const [site, ds] of sites) {
      expect(ds.length, site).toBeGreaterThan(1);
      expect(new Set(ds.map((d) => d.tenant)).size, site).toBe(1);
      for (const d of ds) expect(Math.hypot(d.lon - ds[0]!.lon, d.lat - ds[0]!.lat), site).toBeLessThan(0.002);
    }
    const community = [...sites.values()].filter((ds) => ds[0]!.kind === 'gas' && ds[0]!.name.includes('栋'));
    expect(community.length).toBeGreaterThan(0);
    for (const ds of community) expect(ds.length).toBeGreaterThanOrEqual(3);
    const houses = [...sites.values()].filter((ds) => ds[0]!.kind === 'smoke' && ds[0]!.name.includes('自建房'));
    expect(houses.length).toBeGreaterThan(0);
    for (const ds of houses) expect(ds.map((d) => d.name.split(' ')[1]!.slice(0, 2))).toEqual(['一楼', '二楼', '三楼', '四楼'].slice(0, ds.length));
  });

  it('keeps bounds that differ from the kinds’ defaults as the sample does: canteens, strict smoke detectors and meters in proportion, works, reservoirs and sumps too', () => {
    const sample = buildRegistry();
    const custom = (r: Registry, kind: string) => r.devices.filter((d) => d.kind === kind && d.thresholds).length;
    for (const kind of ['gas', 'smoke', 'power']) {
      const want = (custom(sample, kind) * CITY) / SAMPLE_DEVICES;
      expect(custom(city, kind), kind).toBeGreaterThan(want * 0.9);
      expect(custom(city, kind), kind).toBeLessThan(want * 1.1);
    }
    const sizes = sizesFor(CITY);
    expect(custom(city, 'water_pressure')).toBe(sizes.plantsPerTown * TOWNS.length + sizes.hillWater);
    expect(custom(city, 'drainage')).toBe(sizes.sumps);
  });
});

describe('the enterprises of a city', () => {
  const enterprises = city.tenants.filter((t) => t.type === 'enterprise');
  const meters = new Map<string, Registry['devices']>();
  for (const d of city.devices) if (d.kind === 'power') meters.set(d.tenant, [...(meters.get(d.tenant) ?? []), d]);

  it('are many more tenants than the sample’s, the sample’s twenty first, a few of them stopped (停产整顿)', () => {
    expect(enterprises.length).toBeGreaterThan(ENTERPRISES.length * 10);
    expect(enterprises.slice(0, ENTERPRISES.length).map((t) => t.name)).toEqual(ENTERPRISES.map((e) => e.name));
    expect(new Set(enterprises.map((t) => t.name)).size).toBe(enterprises.length);
    const stopped = enterprises.filter((t) => t.enterprise!.state === 'stopped').length / enterprises.length;
    expect(stopped).toBeGreaterThan(0.02);
    expect(stopped).toBeLessThan(0.2);
  });

  it('have one to three meters each, and only meters', () => {
    for (const t of enterprises) {
      const ms = meters.get(t.id) ?? [];
      expect(ms.length, t.id).toBeGreaterThanOrEqual(1);
      expect(ms.length, t.id).toBeLessThanOrEqual(3);
    }
    expect([...meters.keys()].every((id) => city.tenants.find((t) => t.id === id)?.type === 'enterprise')).toBe(true);
  });

  it('bound each meter by its share of the rated capacity: the shares add up to the whole', () => {
    for (const t of enterprises) {
      let sumOrange = 0;
      for (const m of meters.get(t.id)!) {
        const { yellow, orange, red } = thresholdsFor(m).p_kw_high!.levels;
        sumOrange += orange!;
        expect(yellow!, m.id).toBeCloseTo(orange! * POWER_LEVEL_FACTORS.yellow, 0);
        expect(red!, m.id).toBeCloseTo(orange! * POWER_LEVEL_FACTORS.red, 0);
      }
      expect(sumOrange, t.id).toBeCloseTo(t.enterprise!.ratedKw, 0);
      expect(t.enterprise!.idleKw, t.id).toBeLessThan(t.enterprise!.ratedKw);
    }
  });

  it('have a rated capacity that fits their meter count: within their industry’s range, and larger with more meters', () => {
    const mean: Record<number, number[]> = { 1: [], 2: [], 3: [] };
    for (const t of enterprises.slice(ENTERPRISES.length)) {
      const n = meters.get(t.id)!.length as 1 | 2 | 3;
      const [lo, hi] = ENTERPRISE_TYPES.find((x) => x.industry === t.industry)!.ratedKw[n];
      expect(t.enterprise!.ratedKw, t.id).toBeGreaterThanOrEqual(Math.floor(lo / 10) * 10);
      expect(t.enterprise!.ratedKw, t.id).toBeLessThanOrEqual(Math.ceil(hi / 10) * 10);
      mean[n]!.push(t.enterprise!.ratedKw);
    }
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(avg(mean[2]!)).toBeGreaterThan(avg(mean[1]!));
    expect(avg(mean[3]!)).toBeGreaterThan(avg(mean[2]!));
  });

  it('name a multi-meter enterprise as the site of its meters', () => {
    for (const t of enterprises) {
      const ms = meters.get(t.id)!;
      for (const m of ms) expect(m.site, m.id).toBe(ms.length > 1 ? t.name : undefined);
    }
  });
});

describe('the polygon index', () => {
  it('answers exactly as core’s insidePolygons, on and off the district', () => {
    const index = new PolygonIndex(polygons);
    const rng = createRng(3);
    const ring = polygons[0]![0]!;
    const lons = ring.map((p) => p[0]);
    const lats = ring.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...lons) - 0.01, Math.max(...lons) + 0.01, Math.min(...lats) - 0.01, Math.max(...lats) + 0.01];
    let inside = 0;
    for (let i = 0; i < 20_000; i++) {
      // Half near a vertex, where the edges are, half anywhere in the box.
      const v = ring[rng.int(0, ring.length - 1)]!;
      const [lon, lat] = i % 2 ? [v[0] + rng.gauss() * 1e-4, v[1] + rng.gauss() * 1e-4] : [rng.range(x0, x1), rng.range(y0, y1)];
      const want = insidePolygons(lon, lat, polygons);
      expect(index.contains(lon, lat), `${lon},${lat}`).toBe(want);
      if (want) inside++;
    }
    expect(inside).toBeGreaterThan(2000);
    // Vertices themselves, and the latitude span's very ends.
    for (const [lon, lat] of ring) expect(index.contains(lon, lat)).toBe(insidePolygons(lon, lat, polygons));
  });
});

describe('the generate command’s options', () => {
  it('writes the sample by default, to the committed file', () => {
    expect(parseGenerateArgs([])).toMatchObject({ devices: null, out: path.resolve(CONFIG_KEYS.registryPath.default) });
  });

  it('takes a size, an output file and a seed', () => {
    expect(parseGenerateArgs(['--devices', '100_000', '--out', '.run/city.json', '--seed', '5'])).toMatchObject({
      devices: 100_000,
      out: path.resolve('.run/city.json'),
      seed: 5,
    });
  });

  it('refuses a size it cannot make, naming the bounds', () => {
    expect(() => parseGenerateArgs(['--devices', '100'])).toThrow(/--devices must be from 406/);
    expect(() => parseGenerateArgs(['--devices', 'many'])).toThrow(/--devices must be an integer/);
    expect(() => parseGenerateArgs(['a.json', '--out', 'b.json'])).toThrow(/one output file/);
  });
});
