/**
 * Deterministic generator of the district registry (清远市清新区): the sample
 * (406 devices, `data/qingxin-registry.json`) by default, or a city of N
 * devices with the sample's kinds, sites and proportions (`--devices N`).
 *   node simulators/dist/generate-registry.js [--devices N] [--out FILE] [--seed N]
 *   npm run simulate -- generate [same options]
 * The same seed (and N) always gives the same file, so a registry can be
 * regenerated and diffed.
 */
import { pathToFileURL } from 'node:url';
import { DEVICE_KINDS, type Device, type DeviceKind, type Registry, type Tenant, type ThresholdOverride } from '@lifeline/core';
import { checkRegistry, loadDistrict } from '@lifeline/core/node';
import { brandName, drawEnterprise } from './city-enterprises.js';
import { createRng, type Rng } from './rng.js';
import { PolygonIndex } from './polygon-index.js';
import {
  DISTRICT,
  ENTERPRISES,
  FLOORS,
  GAS_SPOTS,
  HOUSE_NUMBERS,
  METER_SHARES,
  OLD_COMMUNITIES,
  RESTAURANT_BRANDS,
  RESTAURANT_TYPES,
  ROADS,
  SHOP_NAMES,
  SMALL_PLACES,
  STREET_TYPES,
  STREET_WORDS,
  TOWNS,
  VENUE_BRANDS,
  VENUES,
  type EnterpriseDef,
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

/** How many of each kind, and of each kind of special point, a registry has. */
export interface Sizes extends Record<DeviceKind, number> {
  /** Gas detectors in old residential communities (the rest are in restaurants and canteens). */
  communityGas: number;
  /** Kindergarten and school canteens, on stricter gas bounds. */
  canteens: number;
  /** Hard-to-reach smoke detectors on a long cycle that warn earlier on battery. */
  strictSmoke: number;
  /** Water works per town, their outlet pressure reported every 15 s. */
  plantsPerTown: number;
  /** Hill reservoirs (高位水池) on lower pressure bounds. */
  hillWater: number;
  /** Underpass sumps (下穿隧道集水井) reported every 30 s on their own bounds. */
  sumps: number;
}

/** The sample: 406 devices, power following from the listed enterprises' 36 meters. */
export const SAMPLE_SIZES: Sizes = {
  ...TARGETS,
  power: ENTERPRISES.reduce((n, e) => n + e.meters.length, 0),
  communityGas: 60,
  canteens: 3,
  strictSmoke: 4,
  plantsPerTown: 1,
  hillWater: 3,
  sumps: 2,
};
export const SAMPLE_DEVICES = DEVICE_KINDS.reduce((n, k) => n + SAMPLE_SIZES[k], 0);
/** The largest city the generator makes (ids, names and the polygon index are sized for it with room to spare). */
export const MAX_DEVICES = 1_000_000;

/**
 * A city of `devices` devices in the sample's proportions: each kind its share
 * (largest remainders, so the counts add up to exactly `devices`), canteens,
 * strict detectors and hill reservoirs in proportion too; works and sumps grow
 * slower (a city ten times the size does not have ten times the water works).
 */
export function sizesFor(devices: number): Sizes {
  if (!Number.isInteger(devices) || devices < SAMPLE_DEVICES || devices > MAX_DEVICES) {
    throw new RangeError(`devices must be an integer from ${SAMPLE_DEVICES} (the sample's size) to ${MAX_DEVICES}, got ${devices}`);
  }
  const scale = devices / SAMPLE_DEVICES;
  const raw = DEVICE_KINDS.map((k) => SAMPLE_SIZES[k] * scale);
  const counts = raw.map(Math.floor);
  let left = devices - counts.reduce((a, b) => a + b, 0);
  for (const i of raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])) {
    if (left-- <= 0) break;
    counts[i[1]]!++;
  }
  const kinds = Object.fromEntries(DEVICE_KINDS.map((k, i) => [k, counts[i]!])) as Record<DeviceKind, number>;
  const plantsPerTown = Math.max(1, Math.round(Math.sqrt(scale) / 3));
  return {
    ...kinds,
    communityGas: Math.round(SAMPLE_SIZES.communityGas * scale),
    canteens: Math.round(SAMPLE_SIZES.canteens * scale),
    strictSmoke: Math.round(SAMPLE_SIZES.strictSmoke * scale),
    plantsPerTown,
    hillWater: Math.min(Math.round(SAMPLE_SIZES.hillWater * scale), kinds.water_pressure - plantsPerTown * TOWNS.length),
    sumps: Math.min(Math.round(SAMPLE_SIZES.sumps * Math.sqrt(scale)), kinds.drainage),
  };
}

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
const digits = (n: number): number => String(n).length;
/** Monitoring points of one network along one street segment in a city, numbered 1号, 2号, …. */
const POINTS_PER_STREET = 20;

/** What changes with the size of a city (nothing, for the sample). */
interface CityScale {
  /** Town areas grow with the city: spreads are multiplied by this. */
  spread: number;
  /** Lanes (巷) per village that number its self-built houses. */
  lanes: number;
}

class Builder {
  readonly devices: Device[] = [];
  private readonly counters = new Map<DeviceKind, number>();
  private readonly names = new Set<string>();
  private readonly index: PolygonIndex;

  constructor(
    readonly rng: Rng,
    polygons: Polygons,
    readonly sizes: Sizes,
    /** Null for the sample, whose names and draws must stay as they are (its file is committed). */
    readonly city: CityScale | null,
  ) {
    this.index = new PolygonIndex(polygons);
  }

  /** A point near `center`, resampled until it lies inside the district. */
  pointNear(center: [number, number], spread: number): [number, number] {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const s = attempt < 200 ? spread : spread / 2;
      const lon = center[0] + this.rng.gauss() * s;
      const lat = center[1] + this.rng.gauss() * s * 0.9;
      if (this.index.contains(lon, lat)) return [round(lon, 6), round(lat, 6)];
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
    const id = `${PREFIX[kind]}-${String(n).padStart(Math.max(4, digits(this.sizes[kind])), '0')}`;
    const device: Device = { id, kind, ...fields };
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

  /** The town's built-up spread, wider in a bigger city. */
  spread(town: TownDef): number {
    return town.spread * (this.city?.spread ?? 1);
  }

  address(town: TownDef): string {
    const street = town.name === '太和镇' ? `${this.rng.pick(ROADS)}${this.rng.int(1, 320)}号` : `${this.rng.pick(town.villages)}村${this.rng.int(1, 180)}号`;
    return `${DISTRICT.city}${DISTRICT.name}${town.name}${street}`;
  }

  /** A street or village that sets one site's name apart from another's in a city ('' in the sample). */
  place(town: TownDef): string {
    if (!this.city) return '';
    const { rng } = this;
    if (rng.chance(0.35)) return town.name === '太和镇' ? rng.pick(ROADS) : `${rng.pick(town.villages)}村`;
    return `${rng.pick(STREET_WORDS)}${rng.pick(STREET_TYPES)}`;
  }

  /** A self-built house of a village: the sample's 1–260号, within a lane (巷) in a city. */
  house(town: TownDef, village: string, max = HOUSE_NUMBERS): string {
    const lane = this.city ? `${this.rng.int(1, this.city.lanes)}巷` : '';
    return `${town.name}${village}村${lane}${this.rng.int(1, max)}号`;
  }

  /** A shop's 字号 from `list`, or in a city often a drawn one. */
  brand(list: readonly string[]): string {
    return this.city && this.rng.chance(0.6) ? brandName(this.rng) : this.rng.pick(list);
  }
}

/** Several devices at one place share the place's point, a few metres apart. */
function sitePoint(b: Builder, site: [number, number]): [number, number] {
  return b.pointNear(site, 0.00015);
}

function gas(b: Builder): void {
  const { rng, sizes } = b;
  // Old residential communities (老旧小区): detectors in pipe shafts and stairwells.
  const communities = [...OLD_COMMUNITIES];
  while (b.count('gas') < sizes.communityGas && (b.city || communities.length)) {
    const town = b.town();
    const site = b.city
      ? b.uniqueName(
          () => `${town.name}${b.place(town)}${rng.pick(OLD_COMMUNITIES)}`,
          (i) => `${i}区`,
        )
      : b.uniqueName(`${town.name}${communities.splice(rng.int(0, communities.length - 1), 1)[0]!}`);
    const at = b.pointNear(town.center, b.spread(town));
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
  for (let k = 0; k < sizes.canteens; k++) {
    const town = k < 3 ? TOWNS[k]! : b.town();
    const site = b.city
      ? b.uniqueName(
          () => `${town.name}${b.place(town)}幼儿园`,
          (i) => `第${i}分园`,
        )
      : b.uniqueName(`${town.name}${rng.pick(town.villages)}幼儿园`);
    const [lon, lat] = b.pointNear(town.center, b.spread(town));
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
  while (b.count('gas') < sizes.gas) {
    const town = b.town();
    const site = b.uniqueName(
      () => `${town.name}${b.place(town)}${b.brand(RESTAURANT_BRANDS)}${rng.pick(RESTAURANT_TYPES)}`,
      b.city ? (i) => `${i}分店` : undefined,
    );
    const at = b.pointNear(town.center, b.spread(town));
    const address = b.address(town);
    const two = rng.chance(0.3) && b.count('gas') < sizes.gas - 1;
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

/** One enterprise: its tenant with the rated capacity, and its meters, each bounded by its share of that capacity. */
function enterprise(b: Builder, tenants: Tenant[], e: EnterpriseDef, id: string): void {
  const { rng } = b;
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
}

/** The listed enterprises, then (in a city) drawn ones until the meters reach the power target. */
function power(b: Builder, tenants: Tenant[]): void {
  const width = Math.max(2, digits(b.sizes.power));
  const id = (i: number) => `ent-${String(i).padStart(width, '0')}`;
  let n = 0;
  for (const e of ENTERPRISES) {
    // A city draws more enterprises: none may take a listed one's name.
    if (b.city) b.uniqueName(e.name);
    enterprise(b, tenants, e, id(++n));
  }
  while (b.count('power') < b.sizes.power) {
    const e = drawEnterprise(b.rng, b.sizes.power - b.count('power'), (draw) => b.uniqueName(draw, (i) => `${i}分公司`));
    enterprise(b, tenants, e, id(++n));
  }
}

function firePanels(b: Builder): void {
  const { rng } = b;
  while (b.count('fire_panel') < b.sizes.fire_panel) {
    const town = b.town();
    const kind = rng.pick(['hotel', 'school', 'small', 'house'] as const);
    const v = rng.pick(town.villages);
    const place = (): string =>
      kind === 'hotel'
        ? `${town.name}${b.place(town)}${b.brand(VENUE_BRANDS)}${rng.pick(VENUES.hotel)}`
        : kind === 'school'
          ? `${town.name}${b.city ? b.place(town) : v}${rng.pick(VENUES.school)}`
          : kind === 'small'
            ? `${town.name}${b.place(town)}${b.brand(VENUE_BRANDS)}${rng.pick(VENUES.small)}`
            : `${b.house(town, v, 200)}自建房(出租屋)`;
    const site = b.uniqueName(place, (i) => `${i}号楼`);
    const [lon, lat] = b.pointNear(town.center, b.spread(town));
    b.add('fire_panel', { tenant: 'qx-fire-net', name: `${site} 火灾报警控制器`, town: town.name, address: b.address(town), lon, lat });
  }
}

function smoke(b: Builder): void {
  const { rng, sizes } = b;
  let strict = 0;
  while (b.count('smoke') < sizes.smoke) {
    const town = b.town();
    const house = rng.chance(0.4);
    const site = b.uniqueName(
      () => (house ? `${b.house(town, rng.pick(town.villages))}自建房` : `${town.name}${b.place(town)}${b.brand(SHOP_NAMES)}${rng.pick(SMALL_PLACES)}`),
      b.city ? (i) => `${i}分店` : undefined,
    );
    const at = b.pointNear(town.center, b.spread(town));
    const address = b.address(town);
    // Self-built houses: one detector per floor, installed by the district (city); shops by the fire network.
    const n = Math.min(house ? rng.int(2, 4) : rng.int(1, 2), sizes.smoke - b.count('smoke'));
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
      if (house && i === 0 && strict < sizes.strictSmoke) {
        strict++;
        device.intervalS = 300;
        device.thresholds = { battery_low: { levels: { blue: 30 } } };
      }
      b.add('smoke', device);
    }
  }
}

function water(b: Builder): void {
  const { rng, sizes } = b;
  for (const town of TOWNS) {
    for (let k = 1; k <= sizes.plantsPerTown; k++) {
      const [lon, lat] = b.pointNear(town.center, b.spread(town) / 2);
      b.add('water_pressure', {
        tenant: 'qx-water',
        name: k === 1 ? `${town.name}水厂出厂压力` : `${town.name}第${k}水厂出厂压力`,
        town: town.name,
        address: b.address(town),
        lon,
        lat,
        intervalS: 15,
        thresholds: { mpa_high: { levels: { yellow: 0.6, orange: 0.65 } } },
      });
    }
  }
  let hill = 0;
  while (b.count('water_pressure') < sizes.water_pressure) {
    const town = rng.chance(0.45) ? TOWNS[0]! : b.town();
    const [lon, lat] = b.pointNear(town.center, b.spread(town) * 1.3);
    const street = (): string =>
      b.city
        ? `${b.place(town)}${rng.pick(SEGMENTS)}${rng.int(1, POINTS_PER_STREET)}号`
        : town.name === '太和镇'
          ? `${rng.pick(ROADS)}${rng.pick(SEGMENTS)}`
          : `${rng.pick(town.villages)}村`;
    const device: Omit<Device, 'id' | 'kind'> = {
      tenant: 'qx-water',
      name: b.uniqueName(() => `${town.name}${street()}供水管网压力监测点`),
      town: town.name,
      address: b.address(town),
      lon,
      lat,
    };
    // Hill villages at the end of the network run on lower pressure.
    if (town.name !== '太和镇' && hill < sizes.hillWater) {
      hill++;
      const pool = (): string => (b.city ? `${rng.int(1, b.city.lanes * 2)}号` : '');
      device.name = b.uniqueName(() => `${town.name}${rng.pick(town.villages)}村${pool()}高位水池出水压力`);
      device.thresholds = { mpa_low: { levels: { blue: 0.18, yellow: 0.13, orange: 0.09, red: 0.05 } } satisfies ThresholdOverride };
    }
    b.add('water_pressure', device);
  }
}

function drainPlace(b: Builder, town: TownDef): string {
  const { rng } = b;
  if (b.city) {
    const n = rng.int(1, POINTS_PER_STREET);
    return rng.chance(0.5) ? `${b.place(town)}${rng.pick(SEGMENTS)}雨水管网${n}号液位` : `${rng.pick(town.villages)}排洪渠${b.place(town)}段${n}号液位`;
  }
  return rng.chance(0.5)
    ? `${town.name === '太和镇' ? `${rng.pick(ROADS)}${rng.pick(SEGMENTS)}` : rng.pick(town.villages)}雨水管网液位`
    : `${rng.pick(town.villages)}排洪渠液位`;
}

function drainage(b: Builder): void {
  const { rng, sizes } = b;
  const taihe = TOWNS[0]!;
  const roads = ['清新大道', '太和大道'];
  for (let k = 0; k < sizes.sumps; k++) {
    // The sample's two underpasses on the seat's main roads; a city has more, most of them in the seat too.
    const town = k < roads.length || rng.chance(0.6) ? taihe : b.town();
    const [lon, lat] = b.pointNear(town.center, b.spread(town));
    const listed = k < roads.length ? `${taihe.name}${roads[k]}下穿隧道集水井液位` : null;
    // In a city every name goes through uniqueName, the listed two as well, so no drawn one repeats them.
    const name = b.city ? b.uniqueName(listed ?? (() => `${town.name}${b.place(town)}下穿隧道集水井液位`)) : listed!;
    b.add('drainage', {
      tenant: 'qx-drain',
      name,
      town: town.name,
      address: b.address(town),
      lon,
      lat,
      intervalS: 30,
      thresholds: { level_high: { levels: { blue: 1.3, yellow: 1.6, orange: 2.0, red: 2.4 } } },
    });
  }
  while (b.count('drainage') < sizes.drainage) {
    const town = rng.chance(0.5) ? taihe : b.town();
    const [lon, lat] = b.pointNear(town.center, b.spread(town) * 1.3);
    b.add('drainage', {
      tenant: 'qx-drain',
      name: b.uniqueName(() => `${town.name}${drainPlace(b, town)}`),
      town: town.name,
      address: b.address(town),
      lon,
      lat,
    });
  }
}

function build(sizes: Sizes, seed: number, polygons: Polygons, city: CityScale | null): Registry {
  const b = new Builder(createRng(seed), polygons, sizes, city);
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

/** Builds the sample registry; throws if the result does not pass the core checks. */
export function buildRegistry(seed = DEFAULT_SEED, polygons: Polygons = loadDistrict(DISTRICT.name).polygons): Registry {
  return build(SAMPLE_SIZES, seed, polygons, null);
}

/**
 * Builds a city of exactly `devices` devices: the sample's kinds, sites and
 * proportions, its twenty enterprises and as many more as the meters need,
 * every point inside the district. Throws if it does not pass the core checks.
 */
export function buildCity(devices: number, seed = DEFAULT_SEED, polygons: Polygons = loadDistrict(DISTRICT.name).polygons): Registry {
  const sizes = sizesFor(devices);
  const scale = devices / SAMPLE_DEVICES;
  return build(sizes, seed, polygons, { spread: 1 + 0.5 * Math.log10(scale), lanes: Math.max(1, Math.ceil(scale / 20)) });
}

/**
 * The file's text. The sample is indented throughout (as committed); a city
 * has one tenant or device a line, which diffs and greps as well at a third
 * less size.
 */
export function formatRegistry(registry: Registry, layout: 'indented' | 'lines' = 'indented'): string {
  if (layout === 'indented') return `${JSON.stringify(registry, null, 2)}\n`;
  const { tenants, devices, ...head } = registry;
  const list = (items: readonly unknown[]): string => (items.length ? `[\n    ${items.map((x) => JSON.stringify(x)).join(',\n    ')}\n  ]` : '[]');
  const top = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${[...top, `  "tenants": ${list(tenants)}`, `  "devices": ${list(devices)}`].join(',\n')}\n}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Imported late, not awaited: the command imports this module for its builders.
  void import('./generate-command.js').then(({ generateCommand, GenerateUsageError }) => {
    try {
      generateCommand(process.argv.slice(2));
    } catch (err) {
      console.error(`generate-registry: ${(err as Error).message}`);
      process.exit(err instanceof GenerateUsageError ? 2 : 1);
    }
  });
}
