import { SYSTEM_ACTOR, type Alert, type AlertAction, type Device, type Tenant } from '@lifeline/core';
import { toLine } from '@lifeline/core/node';

/**
 * The statistics' own measurements, written beside the alert log (in the same
 * spool record as the log entry, so they are kept exactly when it is):
 *
 * - `alert_raised`: one point per raised alert;
 * - `alert_stat`: one point per resolved alert, with its durations;
 * - `alert_judged`: one point per alert resolved with a disposition;
 * - `alert_offline`: one point per resolved offline alert (how long, which device).
 *
 * Their tags are few and low in cardinality (a town, an industry, a level, a
 * disposition; a rule and a model for `alert_judged`), everything else is a
 * field (tenant, kind, rule, device): the alert log's own `alert_event`
 * carries the device as a tag, so any count over it touches a series per
 * device, and a tag per dimension multiplies into a series per point.
 */
export const ALERT_RAISED = 'alert_raised';
export const ALERT_STAT = 'alert_stat';
export const ALERT_JUDGED = 'alert_judged';
export const ALERT_OFFLINE = 'alert_offline';
/** The offline rule's id (every kind's offline rule has it). */
export const OFFLINE_RULE_ID = 'offline';
/** The tag value when an alert has no disposition or a tenant no industry. */
export const NONE = 'none';

export interface StatLookups {
  device: (id: string) => Device | undefined;
  tenant: (id: string) => Tenant | undefined;
}

/** The model a device is counted under: its registered model, else its kind (so a registry without models still groups). */
export function modelOf(device: Device | undefined, alert: Pick<Alert, 'kind'>): string {
  return device?.model ?? alert.kind;
}

/** The statistics lines of an alert-log entry at `ts` (its time in the log, unique: the log's times strictly increase). */
export function statLines(alert: Alert, action: AlertAction, ts: number, look: StatLookups): string[] {
  const industry = look.tenant(alert.tenant)?.industry || NONE;
  const dims = { tenant: alert.tenant, kind: alert.kind, rule: alert.rule };
  if (action === 'raised') return [toLine(ALERT_RAISED, { town: alert.town, industry, level: alert.level }, { n: { int: 1 }, ...dims }, ts)];
  if (action !== 'resolved') return [];
  const model = modelOf(look.device(alert.device), alert);
  const resolvedAt = alert.resolvedAt ?? ts;
  const ackAt = alert.acknowledgedAt ?? alert.dispatchedAt;
  const bySystem = alert.resolvedBy === SYSTEM_ACTOR;
  const sec = (t: number) => Math.max(0, (t - alert.raisedAt) / 1000);
  const disposition = alert.disposition ?? NONE;
  const lines = [
    toLine(
      ALERT_STAT,
      { town: alert.town, industry, level: alert.level, disposition, by: bySystem ? 'system' : 'person' },
      {
        n: { int: 1 },
        ...dims,
        model,
        // raised → acknowledged (or dispatched, if it was dispatched unacknowledged)
        ack_s: ackAt !== undefined ? sec(ackAt) : undefined,
        // raised → resolved, when a person resolved it
        res_s: bySystem ? undefined : sec(resolvedAt),
        // raised → resolved always (an offline alert's length)
        dur_s: sec(resolvedAt),
        esc: { int: alert.escalations ?? 0 },
        escd: { int: (alert.escalations ?? 0) > 0 ? 1 : 0 },
      },
      ts,
    ),
  ];
  if (alert.rule === OFFLINE_RULE_ID) {
    lines.push(
      toLine(
        ALERT_OFFLINE,
        { town: alert.town, industry },
        { n: { int: 1 }, tenant: alert.tenant, kind: alert.kind, device: alert.device, dur_s: sec(resolvedAt), raised: { int: alert.raisedAt } },
        ts,
      ),
    );
  }
  if (alert.disposition) {
    lines.push(
      toLine(
        ALERT_JUDGED,
        { rule: alert.rule, model, disposition },
        { n: { int: 1 }, tenant: alert.tenant, kind: alert.kind, town: alert.town, industry, level: alert.level },
        ts,
      ),
    );
  }
  return lines;
}
