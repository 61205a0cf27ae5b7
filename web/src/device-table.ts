/**
 * Every device the map draws, in columns (the compact device list as it comes
 * from `GET /api/devices?format=compact`), with the counters of the header
 * kept as patches change a status: nothing here ever walks the whole registry
 * after the first load.
 */
import { DEVICE_STATUSES, LEVELS, type DeviceKind, type DeviceListCompact, type DevicePatch, type DeviceStatus, type Level } from '@lifeline/core';

const NO_LEVEL = -1;
const STATUS_INDEX = new Map<string, number>(DEVICE_STATUSES.map((s, i) => [s, i]));
const LEVEL_INDEX = new Map<string, number>(LEVELS.map((l, i) => [l, i]));
const UNKNOWN = STATUS_INDEX.get('unknown')!;

/** What the map knows of a device without asking the server. */
export interface DeviceSummary {
  id: string;
  kind: DeviceKind;
  tenant: string;
  lon: number;
  lat: number;
  status: DeviceStatus;
  level: Level | null;
}

export type StatusCounts = Record<DeviceStatus, number>;

export class DeviceTable {
  readonly ids: string[];
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  private readonly kindOf: Uint8Array;
  private readonly tenantOf: Uint32Array;
  /** Index into DEVICE_STATUSES. */
  private readonly statusOf: Uint8Array;
  /** Index into LEVELS, or NO_LEVEL. */
  private readonly levelOf: Int8Array;
  private readonly kinds: DeviceKind[];
  private readonly tenants: string[];
  private readonly index = new Map<string, number>();
  private readonly counts: StatusCounts = { normal: 0, alert: 0, offline: 0, unknown: 0 };

  /** Reads the answer's tables into our own order of statuses and levels; anything unreadable counts as unknown. */
  constructor(c: DeviceListCompact) {
    const n = c.id.length;
    this.ids = c.id;
    this.kinds = c.kinds;
    this.tenants = c.tenants;
    this.lon = Float64Array.from(c.lon);
    this.lat = Float64Array.from(c.lat);
    this.kindOf = Uint8Array.from(c.kind);
    this.tenantOf = Uint32Array.from(c.tenant);
    this.statusOf = new Uint8Array(n);
    this.levelOf = new Int8Array(n);
    const statusMap = c.statuses.map((s) => STATUS_INDEX.get(s) ?? UNKNOWN);
    const levelMap = c.levels.map((l) => LEVEL_INDEX.get(l) ?? NO_LEVEL);
    for (let i = 0; i < n; i++) {
      this.index.set(c.id[i]!, i);
      const s = statusMap[c.status[i]!] ?? UNKNOWN;
      this.statusOf[i] = s;
      this.levelOf[i] = c.level[i]! >= 0 ? (levelMap[c.level[i]!] ?? NO_LEVEL) : NO_LEVEL;
      this.counts[DEVICE_STATUSES[s]!] += 1;
    }
  }

  static empty(): DeviceTable {
    return new DeviceTable({
      format: 'compact',
      kinds: [],
      tenants: [],
      statuses: [],
      levels: [],
      id: [],
      kind: [],
      tenant: [],
      lon: [],
      lat: [],
      status: [],
      level: [],
    });
  }

  get size(): number {
    return this.ids.length;
  }

  /** Devices per status, kept as patches arrive. */
  get statusCounts(): Readonly<StatusCounts> {
    return this.counts;
  }

  indexOf(id: string): number | undefined {
    return this.index.get(id);
  }

  status(i: number): DeviceStatus {
    return DEVICE_STATUSES[this.statusOf[i]!]!;
  }

  level(i: number): Level | null {
    const l = this.levelOf[i]!;
    return l === NO_LEVEL ? null : LEVELS[l]!;
  }

  get(id: string): DeviceSummary | undefined {
    const i = this.index.get(id);
    if (i === undefined) return undefined;
    return {
      id,
      kind: this.kinds[this.kindOf[i]!]!,
      tenant: this.tenants[this.tenantOf[i]!]!,
      lon: this.lon[i]!,
      lat: this.lat[i]!,
      status: this.status(i),
      level: this.level(i),
    };
  }

  /** Whether both tables hold the same devices in the same order (a resync of the same registry). */
  sameDevices(other: DeviceTable): boolean {
    if (other.size !== this.size) return false;
    for (let i = 0; i < this.ids.length; i++) if (this.ids[i] !== other.ids[i]) return false;
    return true;
  }

  /** Applies a patch's status and level; answers the device's index when either changed, else undefined. */
  apply(p: Pick<DevicePatch, 'id' | 'status' | 'level'>): number | undefined {
    const i = this.index.get(p.id);
    if (i === undefined) return undefined;
    const s = p.status === undefined ? this.statusOf[i]! : (STATUS_INDEX.get(p.status) ?? UNKNOWN);
    const l = p.level === undefined ? this.levelOf[i]! : p.level === null ? NO_LEVEL : (LEVEL_INDEX.get(p.level) ?? NO_LEVEL);
    if (s === this.statusOf[i] && l === this.levelOf[i]) return undefined;
    if (s !== this.statusOf[i]) {
      this.counts[DEVICE_STATUSES[this.statusOf[i]!]!] -= 1;
      this.counts[DEVICE_STATUSES[s]!] += 1;
      this.statusOf[i] = s;
    }
    this.levelOf[i] = l;
    return i;
  }
}
