/**
 * Deterministic generator of the sample district registry (清远市清新区):
 *   node simulators/dist/generate-registry.js [out] [--seed N]
 * The same seed always gives the same file, so the committed registry can be
 * regenerated and diffed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Device, DeviceKind, Registry, Tenant, ThresholdOverride } from '@lifeline/core';
import { CONFIG_KEYS, checkRegistry, insidePolygons, loadDistrict } from '@lifeline/core/node';
import { createRng, type Rng } from './rng.js';
import {
  DISTRICT,
  ENTERPRISES,
  FLOORS,
  GAS_SPOTS,
  METER_SHARES,
  OLD_COMMUNITIES,
  RESTAURANT_BRANDS,
  RESTAURANT_TYPES,
  ROADS,
  SHOP_NAMES,
  SMALL_PLACES,
  TOWNS,
  VENUE_BRANDS,
  VENUES,
  type TownDef,
} from './district-places.js';

export const DEFAULT_SEED = 20241123;

/** Target device counts per kind (power follows from the enterprises' meters). */
export const TARGETS: Record<Exclude<DeviceKind, 'power'>, number> = {
  gas: 150,
  fire_panel: 60,
  smoke: 100,
  water_pressure: 40,
  drainage: 20,
};

/** Power-meter alarm bounds as multiples of the meter's share of rated capacity. */
export const POWER_LEVEL_FACTORS = { yellow: 0.9, orange: 1.0, red: 1.2 } as const;

/** Idle draw of an enterprise (lighting, ventilation, monitoring) as a share of its rated capacity. */
const IDLE_SHARE = { 危化品: 0.08, 非煤矿山: 0.04, 粉尘涉爆: 0.05, 烟花爆竹: 0.15 } as const;

export const PREFIX: Record<DeviceKind, string> = {
  gas: 'gas',
  power: 'pwr',
  fire_panel: 'fire',
  smoke: 'smk',
  water_pressure: 'wp',
  drainage: 'drn',
};

const BASE_TENANTS: Tenant[] = [
  { id: 'city', name: '清新区应急管理局', type: 'government' },
  { id: 'qx-gas', name: '清新燃气有限公司', type: 'utility', industry: '燃气' },
  { id: 'qx-water', name: '清新区供水有限公司', type: 'utility', industry: '供水' },
  { id: 'qx-drain', name: '清新区城市排水管理所', type: 'utility', industry: '排水' },
  { id: 'qx-fire-net', name: '清新区消防物联网监测平台', type: 'venue', industry: '消防' },
];

type Polygons = ReturnType<typeof loadDistrict>['polygons'];
const SEGMENTS = ['东段', '西段', '南段', '北段', '中段', '与环城路交叉口'];
const round = (x: number, digits: number): number => Number(x.toFixed(digits));

class Builder {
  readonly devices: Device[] = [];
  private readonly counters = new Map<DeviceKind, number>();
  private readonly names = new Set<string>();

  constructor(
    readonly rng: Rng,
    private readonly polygons: Polygons,
  ) {}

  /** A point near `center`, resampled until it lies inside the district. */
  pointNear(center: [number, number], spread: number): [number, number] {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const s = attempt < 200 ? spread : spread / 2;
      const lon = center[0] + this.rng.gauss() * s;
      const lat = center[1] + this.rng.gauss() * s * 0.9;
      if (insidePolygons(lon, lat, this.polygons)) return [round(lon, 6), round(lat, 6)];
    }
    throw new Error(`no point inside ${DISTRICT.name} near ${center.join(',')}`);
  }

  /** A name not used yet: draws again on a repeat, and numbers the point (2号点) as a last resort. */
  uniqueName(name: string | (() => string), suffix = (i: number) => `${i}号点`): string {
    const draw = typeof name === 'string' ? () => name : name;
    let n = draw();
    for (let i = 0; i < 20 && this.names.has(n); i++) n = draw();
    const base = n;
    for (let i = 2; this.names.has(n); i++) n = `${base}${suffix(i)}`;
    this.names.add(n);
    return n;
  }

  add(kind: DeviceKind, fields: Omit<Device, 'id' | 'kind'>): Device {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    const device: Device = { id: `${PREFIX[kind]}-${String(n).padStart(4, '0')}`, kind, ...fields };
    this.devices.push(device);
    return device;
  }

  count(kind: DeviceKind): number {
    return this.counters.get(kind) ?? 0;
  }

  town(): TownDef {
    let r = this.rng.next() * TOWNS.reduce((s, t) => s + t.weight, 0);
    for (const t of TOWNS) if ((r -= t.weight) < 0) return t;
    return TOWNS[0]!;
  }

  address(town: TownDef): string {
    const street = town.name === '太和镇' ? `${this.rng.pick(ROADS)}${this.rng.int(1, 320)}号` : `${this.rng.pick(town.villages)}村${this.rng.int(1, 180)}号`;
    return `${DISTRICT.city}${DISTRICT.name}${town.name}${street}`;
  }
}

/** Several devices at one place share the place's point, a few metres apart. */
function sitePoint(b: Builder, site: [number, number]): [number, number] {
  return b.pointNear(site, 0.00015);
}

function gas(b: Builder): void {
  const { rng } = b;
  // Old residential communities (老旧小区): detectors in pipe shafts and stairwells.
  const communities = [...OLD_COMMUNITIES];
  while (b.count('gas') < 60 && communities.length) {
    const town = b.town();
    const name = communities.splice(rng.int(0, communities.length - 1), 1)[0]!;
    const site = b.uniqueName(`${town.name}${name}`);
    const at = b.pointNear(town.center, town.spread);
    const tenant = rng.chance(0.5) ? 'city' : 'qx-gas';
    const address = b.address(town);
    const n = rng.int(3, 5);
    for (let i = 0; i < n; i++) {
      const [lon, lat] = sitePoint(b, at);
      const spot = rng.pick(GAS_SPOTS.slice(0, 3));
      b.add('gas', { tenant, name: b.uniqueName(`${site} ${i + 1}栋${spot}燃气探测器`), town: town.name, site, address, lon, lat });
    }
  }
  // Kindergarten and school canteens: stricter bounds than the kind's defaults.
  for (const town of TOWNS.slice(0, 3)) {
    const site = b.uniqueName(`${town.name}${rng.pick(town.villages)}幼儿园`);
    const [lon, lat] = b.pointNear(town.center, town.spread);
    b.add('gas', {
      tenant: 'city',
      name: `${site} 食堂厨房燃气探测器`,
      town: town.name,
      address: b.address(town),
      lon,
      lat,
      thresholds: { ch4_high: { levels: { blue: 4, yellow: 8, orange: 20, red: 40 }, hysteresis: 1 } },
    });
  }
  // Restaurants (餐饮店): a kitchen detector, and a second one by the LPG cylinders in some.
  while (b.count('gas') < TARGETS.gas) {
    const town = b.town();
    const site = b.uniqueName(() => `${town.name}${rng.pick(RESTAURANT_BRANDS)}${rng.pick(RESTAURANT_TYPES)}`);
    const at = b.pointNear(town.center, town.spread);
    const address = b.address(town);
    const two = rng.chance(0.3) && b.count('gas') < TARGETS.gas - 1;
    const base = { tenant: 'qx-gas', town: town.name, address };
    if (two) {
      const [lon, lat] = sitePoint(b, at);
      b.add('gas', { ...base, name: `${site} 厨房燃气探测器`, site, lon, lat });
      const [lon2, lat2] = sitePoint(b, at);
      b.add('gas', { ...base, name: `${site} 液化气瓶间燃气探测器`, site, lon: lon2, lat: lat2 });
    } else {
      b.add('gas', { ...base, name: `${site} 厨房燃气探测器`, lon: at[0], lat: at[1] });
    }
  }
}

function power(b: Builder, tenants: Tenant[]): void {
  const { rng } = b;
  ENTERPRISES.forEach((e, i) => {
    const id = `ent-${String(i + 1).padStart(2, '0')}`;
    const idleKw = round(e.ratedKw * IDLE_SHARE[e.industry], 1);
    tenants.push({ id, name: e.name, type: 'enterprise', industry: e.industry, enterprise: { ratedKw: e.ratedKw, idleKw, state: e.state } });
    const town = TOWNS.find((t) => t.name === e.town)!;
    // Mines and plants sit outside the town seat; fireworks warehouses far from homes.
    const at = b.pointNear(town.center, e.industry === '非煤矿山' ? 0.05 : 0.025);
    const shares = METER_SHARES[e.meters.length]!;
    const address = `${DISTRICT.city}${DISTRICT.name}${town.name}${rng.pick(town.villages)}村`;
    e.meters.forEach((label, m) => {
      const share = shares[m]!;
      const kw = e.ratedKw * share;
      const [lon, lat] = sitePoint(b, at);
      b.add('power', {
        tenant: id,
        name: `${e.name} ${label}电表`,
        town: town.name,
        ...(e.meters.length > 1 ? { site: e.name } : {}),
        address,
        lon,
        lat,
        thresholds: {
          p_kw_high: {
            levels: {
              yellow: round(kw * POWER_LEVEL_FACTORS.yellow, 1),
              orange: round(kw * POWER_LEVEL_FACTORS.orange, 1),
              red: round(kw * POWER_LEVEL_FACTORS.red, 1),
            },
            hysteresis: round(Math.max(0.5, kw * 0.02), 1),
          },
        },
      });
    });
  });
}

function firePanels(b: Builder): void {
  const { rng } = b;
  while (b.count('fire_panel') < TARGETS.fire_panel) {
    const town = b.town();
    const kind = rng.pick(['hotel', 'school', 'small', 'house'] as const);
    const v = rng.pick(town.villages);
    const place = (): string =>
      kind === 'hotel'
        ? `${town.name}${rng.pick(VENUE_BRANDS)}${rng.pick(VENUES.hotel)}`
        : kind === 'school'
          ? `${town.name}${v}${rng.pick(VENUES.school)}`
          : kind === 'small'
            ? `${town.name}${rng.pick(VENUE_BRANDS)}${rng.pick(VENUES.small)}`
            : `${town.name}${v}村${rng.int(1, 200)}号自建房(出租屋)`;
    const site = b.uniqueName(place, (i) => `${i}号楼`);
    const [lon, lat] = b.pointNear(town.center, town.spread);
    b.add('fire_panel', { tenant: 'qx-fire-net', name: `${site} 火灾报警控制器`, town: town.name, address: b.address(town), lon, lat });
  }
}

function smoke(b: Builder): void {
  const { rng } = b;
  let strict = 0;
  while (b.count('smoke') < TARGETS.smoke) {
    const town = b.town();
    const house = rng.chance(0.4);
    const site = b.uniqueName(() =>
      house ? `${town.name}${rng.pick(town.villages)}村${rng.int(1, 260)}号自建房` : `${town.name}${rng.pick(SHOP_NAMES)}${rng.pick(SMALL_PLACES)}`,
    );
    const at = b.pointNear(town.center, town.spread);
    const address = b.address(town);
    // Self-built houses: one detector per floor, installed by the district (city); shops by the fire network.
    const n = Math.min(house ? rng.int(2, 4) : rng.int(1, 2), TARGETS.smoke - b.count('smoke'));
    const tenant = house ? 'city' : 'qx-fire-net';
    for (let i = 0; i < n; i++) {
      const [lon, lat] = n > 1 ? sitePoint(b, at) : at;
      const room = house ? FLOORS[i]! : i === 0 ? '营业区' : '仓储区';
      const device: Omit<Device, 'id' | 'kind'> = {
        tenant,
        name: `${site} ${room}独立式烟感`,
        town: town.name,
        ...(n > 1 ? { site } : {}),
        address,
        lon,
        lat,
      };
      // NB-IoT detectors on long reporting cycles; a few hard-to-reach ones warn earlier on battery.
      if (house && i === 0 && strict < 4) {
        strict++;
        device.intervalS = 300;
        device.thresholds = { battery_low: { levels: { blue: 30 } } };
      }
      b.add('smoke', device);
    }
  }
}

function water(b: Builder): void {
  const { rng } = b;
  for (const town of TOWNS) {
    const [lon, lat] = b.pointNear(town.center, town.spread / 2);
    b.add('water_pressure', {
      tenant: 'qx-water',
      name: `${town.name}水厂出厂压力`,
      town: town.name,
      address: b.address(town),
      lon,
      lat,
      intervalS: 15,
      thresholds: { mpa_high: { levels: { yellow: 0.6, orange: 0.65 } } },
    });
  }
  let hill = 0;
  while (b.count('water_pressure') < TARGETS.water_pressure) {
    const town = rng.chance(0.45) ? TOWNS[0]! : b.town();
    const [lon, lat] = b.pointNear(town.center, town.spread * 1.3);
    const device: Omit<Device, 'id' | 'kind'> = {
      tenant: 'qx-water',
      name: b.uniqueName(
        () => `${town.name}${town.name === '太和镇' ? `${rng.pick(ROADS)}${rng.pick(SEGMENTS)}` : `${rng.pick(town.villages)}村`}供水管网压力监测点`,
      ),
      town: town.name,
      address: b.address(town),
      lon,
      lat,
    };
    // Hill villages at the end of the network run on lower pressure.
    if (town.name !== '太和镇' && hill < 3) {
      hill++;
      device.name = b.uniqueName(() => `${town.name}${rng.pick(town.villages)}村高位水池出水压力`);
      device.thresholds = { mpa_low: { levels: { blue: 0.18, yellow: 0.13, orange: 0.09, red: 0.05 } } satisfies ThresholdOverride };
    }
    b.add('water_pressure', device);
  }
}

function drainPlace(rng: Rng, town: TownDef): string {
  return rng.chance(0.5)
    ? `${town.name === '太和镇' ? `${rng.pick(ROADS)}${rng.pick(SEGMENTS)}` : rng.pick(town.villages)}雨水管网液位`
    : `${rng.pick(town.villages)}排洪渠液位`;
}

function drainage(b: Builder): void {
  const { rng } = b;
  const taihe = TOWNS[0]!;
  for (const road of ['清新大道', '太和大道']) {
    const [lon, lat] = b.pointNear(taihe.center, taihe.spread);
    b.add('drainage', {
      tenant: 'qx-drain',
      name: `${taihe.name}${road}下穿隧道集水井液位`,
      town: taihe.name,
      address: b.address(taihe),
      lon,
      lat,
      intervalS: 30,
      thresholds: { level_high: { levels: { blue: 1.3, yellow: 1.6, orange: 2.0, red: 2.4 } } },
    });
  }
  while (b.count('drainage') < TARGETS.drainage) {
    const town = rng.chance(0.5) ? taihe : b.town();
    const [lon, lat] = b.pointNear(town.center, town.spread * 1.3);
    b.add('drainage', {
      tenant: 'qx-drain',
      name: b.uniqueName(() => `${town.name}${drainPlace(rng, town)}`),
      town: town.name,
      address: b.address(town),
      lon,
      lat,
    });
  }
}

/** Builds the sample registry; throws if the result does not pass the core checks. */
export function buildRegistry(seed = DEFAULT_SEED, polygons: Polygons = loadDistrict(DISTRICT.name).polygons): Registry {
  const b = new Builder(createRng(seed), polygons);
  const tenants = [...BASE_TENANTS];
  gas(b);
  power(b, tenants);
  firePanels(b);
  smoke(b);
  water(b);
  drainage(b);
  const registry: Registry = {
    version: 1,
    district: { ...DISTRICT },
    towns: TOWNS.map((t) => t.name),
    tenants,
    devices: b.devices,
  };
  checkRegistry(registry, '(generated)');
  return registry;
}

function main(argv: string[]): void {
  let out = CONFIG_KEYS.registryPath.default;
  let seed = DEFAULT_SEED;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seed') seed = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node simulators/dist/generate-registry.js [out.json] [--seed N]');
      return;
    } else out = path.resolve(a);
  }
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
  const registry = buildRegistry(seed);
  writeFileSync(out, `${JSON.stringify(registry, null, 2)}\n`);
  const counts: Record<string, number> = {};
  for (const d of registry.devices) counts[d.kind] = (counts[d.kind] ?? 0) + 1;
  console.log(`wrote ${out}: ${registry.devices.length} devices ${JSON.stringify(counts)}, ${registry.tenants.length} tenants`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`generate-registry: ${(err as Error).message}`);
    process.exit(1);
  }
}
