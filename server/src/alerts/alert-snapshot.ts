import { alertSchema, type Alert } from '@lifeline/core';
import { logger, readSnapshotFile, SnapshotSchedule, type InfluxTarget } from '@lifeline/core/node';
import { readAlertStates, type InfluxAlertLog } from './alert-log.js';
import type { AlertManager } from './alert-manager.js';

const log = logger('alert-snapshot');

/** In DATA_DIR: the active alerts and the alert log's high-water mark they include. */
export const ALERT_SNAPSHOT_FILE = 'alerts.snapshot';
const KIND = { kind: 'active-alerts', version: 1 };
const DAY_MS = 86_400_000;

export interface LoadedAlerts {
  /** The alerts not closed: open ones and those awaiting sign-off (待销号). */
  alerts: Alert[];
  /** The newest alert log entry they include; the log continues after it. */
  mark: number;
  /** Where they came from, and how many alerts the log read changed. */
  from: 'final-snapshot' | 'snapshot' | 'log';
  logAlerts: number;
}

export interface AlertSnapshotSource {
  influx: InfluxTarget;
  /** ALERT_LOG_DAYS: how far back the whole log is read without a snapshot; an older snapshot is not used. */
  days: number;
  /** The snapshot file, or null when snapshots are off (ALERT_SNAPSHOT_SECONDS=0). */
  file: string | null;
  now?: () => number;
}

/**
 * The active alerts at start-up: the snapshot, then every alert log entry
 * after its mark (newest entry per alert wins; closed ones go). Without a
 * usable snapshot, the whole log of ALERT_LOG_DAYS. Entries after the mark
 * need no margin: the log's times are its own, strictly increasing, and the
 * mark is the last one handed out when the snapshot was taken; re-reading
 * older entries would only put back states older than the snapshot's (an
 * alert's repeats are logged once a minute, counted in memory).
 */
export async function loadActiveAlerts(src: AlertSnapshotSource): Promise<LoadedAlerts> {
  const now = src.now ?? Date.now;
  const snap = src.file ? readSnapshotFile(src.file, kindOf(src.influx), alertSchema) : null;
  // A mark of 0: the log was empty when it was taken; reading "after" it is reading all of it.
  if (snap && snap.upTo > 0 && snap.upTo < now() - src.days * DAY_MS) {
    log.warn({ file: src.file, upTo: new Date(snap.upTo).toISOString() }, 'alert snapshot is older than ALERT_LOG_DAYS; reading the whole alert log');
  } else if (snap?.final) {
    // Written at a clean stop, once nothing changed alerts any more: the log holds nothing after it.
    log.info({ active: snap.items.length }, 'active alerts from the snapshot written at the last clean stop');
    return { alerts: snap.items, mark: snap.upTo, from: 'final-snapshot', logAlerts: 0 };
  } else if (snap && snap.upTo > 0) {
    const after = await readAlertStates(src.influx, `time > ${Math.floor(snap.upTo)}ms`);
    const byId = new Map(snap.items.map((a) => [a.id, a]));
    for (const [id, a] of after.states) byId.set(id, a);
    const alerts = [...byId.values()].filter((a) => a.state !== 'closed');
    log.info(
      { snapshot: snap.items.length, changedAfter: after.states.size, active: alerts.length },
      'active alerts from the snapshot and the alert log after it',
    );
    return { alerts, mark: Math.max(snap.upTo, after.lastTs), from: 'snapshot', logAlerts: after.states.size };
  }
  const all = await readAlertStates(src.influx, `time > now() - ${src.days}d`);
  const alerts = [...all.states.values()].filter((a) => a.state !== 'closed');
  return { alerts, mark: all.lastTs, from: 'log', logAlerts: all.states.size };
}

/**
 * Writes the active alerts with the alert log's high-water mark, taken in the
 * same turn of the event loop: every entry at or before the mark is in the
 * alerts written, every later one is in the alert spool (replayed to InfluxDB
 * before the next start reads the log after the mark).
 */
export function alertSnapshots(o: { file: string; influx: InfluxTarget; everyMs: number; alerts: AlertManager; log: InfluxAlertLog }): SnapshotSchedule {
  return new SnapshotSchedule({
    file: o.file,
    kind: kindOf(o.influx),
    everyMs: o.everyMs,
    capture: () => ({ upTo: o.log.highWater, items: o.alerts.activeCopies() }),
  });
}

const kindOf = (influx: InfluxTarget) => ({ ...KIND, scope: influx.db });
