import { alertSchema, type Alert, type AlertAction, type TimelineEntry } from '@lifeline/core';
import { checkJson, influxQuery, influxString, logger, toLine, type InfluxTarget, type SpooledWriter } from '@lifeline/core/node';

const log = logger('alert-log');

export interface AlertLogEntry {
  alert: Alert;
  action: AlertAction;
  actor?: string;
  note?: string;
}

/** Where every change of an alert is appended; the alerts are rebuilt from it at start-up. */
export interface AlertLog {
  /** Keeps the change before it returns (a process kill does not lose it); the caller shows it after. */
  append(entry: AlertLogEntry): void;
  /** Resolves once everything appended so far is durable, a power cut included. */
  flush(): Promise<void>;
}

/**
 * The alert log in InfluxDB's `alert_event` measurement. Each entry carries the
 * whole alert as JSON, so the newest entry of an alert is its current state.
 * Times are made strictly increasing so no two entries of a series share a
 * timestamp (InfluxDB would keep only one). Each entry is in the alert spool
 * when `append` returns, before the change is emitted or answered; from there
 * it is written to InfluxDB, and written again after a crash (same point,
 * same time: InfluxDB keeps one).
 */
export class InfluxAlertLog implements AlertLog {
  private lastTs = 0;
  private flushQueued = false;

  /** `extra`: lines to keep with an entry, in the same spool record (the statistics' points of a raised or resolved alert). */
  constructor(
    private readonly sink: SpooledWriter,
    private readonly extra?: (entry: AlertLogEntry, ts: number) => string[],
    private readonly now: () => number = Date.now,
  ) {}

  append({ alert, action, actor, note }: AlertLogEntry): void {
    const ts = (this.lastTs = Math.max(this.now(), this.lastTs + 1));
    const line = toLine(
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
    );
    const lines = [line, ...(this.extra?.({ alert, action, actor, note }, ts) ?? [])];
    try {
      this.sink.append(lines);
    } catch (err) {
      // An alert is never held back for the disk: it goes to InfluxDB from memory, and says so.
      log.error({ err: (err as Error).message, alert: alert.id, action }, 'alert change not in the spool (full or failing): written from memory only');
      for (const l of lines) this.sink.writer.write(l);
    }
    // Lifecycle changes are worth a request of their own, not one each: those of one turn of the event loop
    // (a slice of a mass event: a thousand devices offline) go together. Updates ride the interval.
    if (action !== 'updated' && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        if (!this.sink.writer.isClosed) this.sink.writer.flush();
      });
    }
  }

  flush(): Promise<void> {
    return this.sink.spool.sync();
  }

  /** The time of the newest entry appended (or continued from): every entry at or before it is in memory's alerts. */
  get highWater(): number {
    return this.lastTs;
  }

  /**
   * Entries from now on come after `ts` (the newest entry of the log as read
   * back at start): a run's entries are never older than a snapshot's mark,
   * even when the last run's times ran ahead of the clock in a burst.
   */
  continueAfter(ts: number): void {
    this.lastTs = Math.max(this.lastTs, ts);
  }

  /** Resolves once what was appended is in InfluxDB (or `timeoutMs` passed): before the log is read back. */
  written(timeoutMs: number): Promise<void> {
    return this.sink.writer.drain(timeoutMs);
  }
}

export interface AlertStates {
  /** Each alert's newest logged state (closed ones too: a later entry closes what an earlier read held). */
  states: Map<string, Alert>;
  /** The newest entry's time, 0 without any. */
  lastTs: number;
}

/** The newest entry of each alert among those `where` selects (an InfluxQL condition on the alert log). */
export async function readAlertStates(target: InfluxTarget, where: string): Promise<AlertStates> {
  const series = await influxQuery(target, `SELECT "alert_id", "json" FROM "alert_event" WHERE ${where}`);
  const latest = new Map<string, string>();
  let lastTs = 0;
  for (const s of series) {
    const it = s.columns.indexOf('time');
    const ia = s.columns.indexOf('alert_id');
    const ij = s.columns.indexOf('json');
    // One series, oldest first: a later row of an alert replaces an earlier one.
    for (const row of s.values) {
      latest.set(String(row[ia]), String(row[ij]));
      lastTs = Math.max(lastTs, Number(row[it]));
    }
  }
  const states = new Map<string, Alert>();
  for (const [id, json] of latest) {
    const r = checkJson(json, alertSchema);
    if (!r.ok) {
      log.error({ id, errors: r.errors }, 'alert log entry is not a valid alert; skipped');
      continue;
    }
    states.set(id, r.value);
  }
  return { states, lastTs };
}

/** Plain repeats in a timeline: at most one per this interval (level changes and notes always show). */
const TIMELINE_UPDATE_EVERY_MS = 60_000;
/** Alert ids are generated (`<base36 time>-<hex>`); anything else is not asked for (and what is asked for is quoted anyway). */
const ALERT_ID = /^[a-z0-9-]{1,40}$/;

/** Every logged change of one alert, oldest first, with repeats thinned. */
export async function readTimeline(target: InfluxTarget, id: string, days: number): Promise<TimelineEntry[]> {
  if (!ALERT_ID.test(id)) return [];
  const series = await influxQuery(
    target,
    `SELECT "action", "actor", "note", "state", "level" FROM "alert_event" WHERE "alert_id" = ${influxString(id)} AND time > now() - ${days}d ORDER BY time ASC`,
  );
  const rows: TimelineEntry[] = [];
  for (const s of series) {
    const col = (name: string) => s.columns.indexOf(name);
    const [it, ia, iac, ino, ist, il] = ['time', 'action', 'actor', 'note', 'state', 'level'].map(col) as number[];
    for (const r of s.values) {
      const e: TimelineEntry = { at: Number(r[it!]), action: String(r[ia!]), level: String(r[il!]), state: String(r[ist!]) };
      if (r[iac!] != null && r[iac!] !== '') e.actor = String(r[iac!]);
      if (r[ino!] != null && r[ino!] !== '') e.note = String(r[ino!]);
      rows.push(e);
    }
  }
  rows.sort((a, b) => a.at - b.at);
  return thinUpdates(rows);
}

export function thinUpdates(rows: TimelineEntry[]): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  let lastUpdate = -Infinity;
  rows.forEach((e, i) => {
    const prev = out[out.length - 1];
    const keep =
      e.action !== 'updated' || e.note !== undefined || prev?.level !== e.level || e.at - lastUpdate >= TIMELINE_UPDATE_EVERY_MS || i === rows.length - 1;
    if (!keep) return;
    if (e.action === 'updated') lastUpdate = e.at;
    out.push(e);
  });
  return out;
}
