import {
  DEVICE_KINDS,
  DEVICE_STATUSES,
  effectiveRules,
  LEVELS,
  type Device,
  type DeviceListCompact,
  type DevicePatch,
  type DeviceStatus,
  type DeviceView,
  type Level,
  type RuleBound,
} from '@lifeline/core';
import type { Ingest } from '@lifeline/ingest';
import type { AlertManager } from './alerts/alert-manager.js';

/** Devices as people see them: the registry entry joined with live state from memory. */
export class DeviceViews {
  constructor(
    private readonly devices: Map<string, Device>,
    private readonly ingest: Pick<Ingest, 'rules' | 'latest'>,
    private readonly alerts: AlertManager,
  ) {}

  /**
   * Every device, or one tenant's (an enterprise user's view), for an answer
   * made a slice at a time (`sendJsonArray`): the devices, and each one's
   * view as it is when its slice is made.
   */
  listing(tenant: string | null = null): { devices: Device[]; view: (d: Device) => DeviceView } {
    const worst = this.alerts.worstLevels();
    const devices: Device[] = [];
    for (const d of this.devices.values()) if (tenant === null || d.tenant === tenant) devices.push(d);
    return { devices, view: (d) => this.view(d, worst.get(d.id) ?? null) };
  }

  /**
   * Every device (or one tenant's) in columns: what a city-wide map needs to
   * draw and count, about a fifth of the bytes of the full views.
   */
  compact(tenant: string | null = null): DeviceListCompact {
    const worst = this.alerts.worstLevels();
    const kindIndex = new Map<string, number>(DEVICE_KINDS.map((k, i) => [k, i]));
    const statusIndex = new Map<string, number>(DEVICE_STATUSES.map((s, i) => [s, i]));
    const levelIndex = new Map<string, number>(LEVELS.map((l, i) => [l, i]));
    const tenants: string[] = [];
    const tenantIndex = new Map<string, number>();
    const out: DeviceListCompact = {
      format: 'compact',
      kinds: [...DEVICE_KINDS],
      tenants,
      statuses: [...DEVICE_STATUSES],
      levels: [...LEVELS],
      id: [],
      kind: [],
      tenant: [],
      lon: [],
      lat: [],
      status: [],
      level: [],
    };
    for (const d of this.devices.values()) {
      if (tenant !== null && d.tenant !== tenant) continue;
      let ti = tenantIndex.get(d.tenant);
      if (ti === undefined) {
        ti = tenants.push(d.tenant) - 1;
        tenantIndex.set(d.tenant, ti);
      }
      const level = worst.get(d.id) ?? null;
      out.id.push(d.id);
      out.kind.push(kindIndex.get(d.kind)!);
      out.tenant.push(ti);
      out.lon.push(d.lon);
      out.lat.push(d.lat);
      out.status.push(statusIndex.get(this.statusOf(d.id, level))!);
      out.level.push(level === null ? -1 : levelIndex.get(level)!);
    }
    return out;
  }

  get(id: string): DeviceView | undefined {
    const d = this.devices.get(id);
    return d && this.view(d, this.alerts.worstLevel(id));
  }

  /**
   * The device's threshold bounds as the rule engine runs them now: the rules
   * it was last given (a reloaded rules file included) with the device's
   * registry override, by the one merge the engine uses (`effectiveRules`).
   */
  bounds(id: string): RuleBound[] | undefined {
    const d = this.devices.get(id);
    if (!d) return undefined;
    const out: RuleBound[] = [];
    for (const r of effectiveRules(d, this.ingest.rules.currentRules)) {
      if (r.type === 'threshold') out.push({ rule: r.id, metric: r.metric, direction: r.direction, levels: { ...r.levels } });
    }
    return out;
  }

  patch(id: string): DevicePatch | undefined {
    const v = this.get(id);
    return v && { id: v.id, status: v.status, level: v.level, lastSeen: v.lastSeen, values: v.values };
  }

  private statusOf(id: string, level: Level | null): DeviceStatus {
    return this.ingest.rules.isOffline(id) ? 'offline' : level ? 'alert' : this.ingest.rules.lastSeenOf(id) !== null ? 'normal' : 'unknown';
  }

  private view(d: Device, level: Level | null): DeviceView {
    const lastSeen = this.ingest.rules.lastSeenOf(d.id);
    const status = this.statusOf(d.id, level);
    const v: DeviceView = {
      id: d.id,
      tenant: d.tenant,
      kind: d.kind,
      name: d.name,
      town: d.town,
      lon: d.lon,
      lat: d.lat,
      status,
      level,
      lastSeen,
      values: this.ingest.latest.get(d.id)?.values ?? {},
    };
    if (d.site) v.site = d.site;
    return v;
  }
}
