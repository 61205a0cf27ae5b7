import type { Device, DevicePatch, DeviceView, Level } from '@lifeline/core';
import type { Ingest } from '@lifeline/ingest';
import type { AlertManager } from './alerts/alert-manager.js';

/** Devices as people see them: the registry entry joined with live state from memory. */
export class DeviceViews {
  constructor(
    private readonly devices: Map<string, Device>,
    private readonly ingest: Ingest,
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
