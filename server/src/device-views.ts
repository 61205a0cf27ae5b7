import { effectiveRules, type Device, type DevicePatch, type DeviceView, type Level, type RuleBound } from '@lifeline/core';
import type { Ingest } from '@lifeline/ingest';
import type { AlertManager } from './alerts/alert-manager.js';

/** Devices as people see them: the registry entry joined with live state from memory. */
export class DeviceViews {
  constructor(
    private readonly devices: Map<string, Device>,
    private readonly ingest: Pick<Ingest, 'rules' | 'latest'>,
    private readonly alerts: AlertManager,
  ) {}

  /** Every device, or one tenant's (an enterprise user's view). */
  list(tenant: string | null = null): DeviceView[] {
    const worst = this.alerts.worstLevels();
    const out: DeviceView[] = [];
    for (const d of this.devices.values()) if (tenant === null || d.tenant === tenant) out.push(this.view(d, worst.get(d.id) ?? null));
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

  private view(d: Device, level: Level | null): DeviceView {
    const lastSeen = this.ingest.rules.lastSeenOf(d.id);
    const status = this.ingest.rules.isOffline(d.id) ? 'offline' : level ? 'alert' : lastSeen !== null ? 'normal' : 'unknown';
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
