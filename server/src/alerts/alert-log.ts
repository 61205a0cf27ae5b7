import { alertSchema, isOpen, type Alert, type AlertAction } from '@lifeline/core';
import { influxQuery, logger, toLine, type InfluxTarget, type InfluxWriter } from '@lifeline/core/node';

const log = logger('alert-log');

export interface AlertLogEntry {
  alert: Alert;
  action: AlertAction;
  actor?: string;
  note?: string;
}

/** Where every change of an alert is appended; the alerts are rebuilt from it at start-up. */
export interface AlertLog {
  append(entry: AlertLogEntry): void;
  /** Resolves once everything appended so far is durable. */
  flush(): Promise<void>;
}

/**
 * The alert log in InfluxDB's `alert_event` measurement. Each entry carries the
 * whole alert as JSON, so the newest entry of an alert is its current state.
 * Times are made strictly increasing so no two entries of a series share a
 * timestamp (InfluxDB would keep only one).
 */
export class InfluxAlertLog implements AlertLog {
  private lastTs = 0;

  constructor(private readonly writer: InfluxWriter) {}

  append({ alert, action, actor, note }: AlertLogEntry): void {
    const ts = (this.lastTs = Math.max(Date.now(), this.lastTs + 1));
    this.writer.write(
      toLine(
        'alert_event',
        { tenant: alert.tenant, device: alert.device, kind: alert.kind, town: alert.town, rule: alert.rule, level: alert.level, action },
        {
          alert_id: alert.id,
          state: alert.state,
          actor,
          note,
          value: alert.value,
          count: { int: alert.count },
          json: JSON.stringify(alert),
        },
        ts,
      ),
    );
    // Lifecycle changes are worth a request of their own; updates ride the interval.
    if (action !== 'updated') this.writer.flush();
  }

  flush(): Promise<void> {
    return this.writer.drain();
  }
}

/** Reads the log back and returns the alerts still open at its end. */
export async function rebuildOpenAlerts(target: InfluxTarget, days: number): Promise<Alert[]> {
  const series = await influxQuery(target, `SELECT "alert_id", "json" FROM "alert_event" WHERE time > now() - ${days}d`);
  const latest = new Map<string, string>();
  for (const s of series) {
    const ia = s.columns.indexOf('alert_id');
    const ij = s.columns.indexOf('json');
    for (const row of s.values) latest.set(String(row[ia]), String(row[ij]));
  }
  const open: Alert[] = [];
  for (const [id, json] of latest) {
    const r = alertSchema.check(safeParse(json));
    if (!r.ok) {
      log.error({ id, errors: r.errors }, 'alert log entry is not a valid alert; skipped');
      continue;
    }
    if (isOpen(r.value.state)) open.push(r.value);
  }
  return open;
}

function safeParse(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}
