import { SYSTEM_ACTOR, type Alert, type Device, type Tenant } from '@lifeline/core';
import { toLine } from '@lifeline/core/node';

/** The measurement of one point per resolved alert: what the statistics read instead of the whole alert log. */
export const ALERT_STAT = 'alert_stat';
/** The tag value when an alert has no disposition, a device no model or a tenant no industry. */
export const NONE = 'none';

export interface StatLookups {
  device: (id: string) => Device | undefined;
  tenant: (id: string) => Tenant | undefined;
}

/** The model a device is counted under: its registered model, else its kind (so a registry without models still groups). */
export function modelOf(device: Device | undefined, alert: Pick<Alert, 'kind'>): string {
  return device?.model ?? alert.kind;
}

/**
 * The `alert_stat` point of an alert that has just been resolved, at the time
 * of its `resolved` log entry (unique: the log's times strictly increase).
 * Tags are few and bounded (no device id, no tenant, no free text): town,
 * kind, rule, level, industry, model, disposition, and who resolved it
 * (person/system); the tenant is a field (a city has thousands: as a tag it
 * would make nearly every point a series of its own, and every aggregate slow).
 * Fields: `n` = 1, `ack_s` raised→acknowledged (or dispatched, if it was
 * dispatched unacknowledged), `res_s` raised→resolved when a person resolved
 * it, `dur_s` raised→resolved always (an offline alert's length), `esc`
 * escalations (`escd` 1 if any), `device` and `raised` (ms) for the offline rankings.
 */
export function alertStatLine(alert: Alert, ts: number, look: StatLookups): string {
  const dev = look.device(alert.device);
  const industry = look.tenant(alert.tenant)?.industry;
  const resolvedAt = alert.resolvedAt ?? ts;
  const ackAt = alert.acknowledgedAt ?? alert.dispatchedAt;
  const bySystem = alert.resolvedBy === SYSTEM_ACTOR;
  const sec = (t: number) => Math.max(0, (t - alert.raisedAt) / 1000);
  return toLine(
    ALERT_STAT,
    {
      town: alert.town,
      kind: alert.kind,
      rule: alert.rule,
      level: alert.level,
      industry: industry || NONE,
      model: modelOf(dev, alert),
      disposition: alert.disposition ?? NONE,
      by: bySystem ? 'system' : 'person',
    },
    {
      n: { int: 1 },
      tenant: alert.tenant,
      ack_s: ackAt !== undefined ? sec(ackAt) : undefined,
      res_s: bySystem ? undefined : sec(resolvedAt),
      dur_s: sec(resolvedAt),
      esc: { int: alert.escalations ?? 0 },
      escd: { int: (alert.escalations ?? 0) > 0 ? 1 : 0 },
      device: alert.device,
      raised: { int: alert.raisedAt },
    },
    ts,
  );
}
