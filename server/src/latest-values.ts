import {
  influxQuery,
  latestValuesItem,
  logger,
  readSnapshotFile,
  SnapshotSchedule,
  type InfluxSeries,
  type InfluxTarget,
  type LatestValuesItem,
} from '@lifeline/core/node';
import type { Ingest, Latest } from '@lifeline/ingest';

const log = logger('latest-values');

/** In DATA_DIR: every device's latest values and when they were heard. */
export const LATEST_SNAPSHOT_FILE = 'latest.snapshot';
const KIND = { kind: 'latest-values', version: 1 };
/** Without a snapshot, the latest point of each device in this much history; an older snapshot is not used either. */
const LOOKBACK_MS = 86_400_000;
/**
 * Telemetry is read back from this long before the snapshot's time: a reading
 * is stored under the device's own time, which may be a little behind the
 * moment it arrived (a slow link, a clock behind, a redelivery).
 */
export const LATEST_DELTA_MARGIN_MS = 60_000;

export interface RestoredLatest {
  devices: number;
  /** `final-snapshot`: written at a clean stop, nothing read after it. */
  from: 'final-snapshot' | 'snapshot' | 'influx' | 'none';
  /** Devices whose values the telemetry read changed. */
  fromInflux: number;
}

/**
 * Latest values and last-heard times at start-up, so a restart keeps the map
 * and the offline timers: the snapshot, then the telemetry stored after it
 * (merged as ingest merges readings: newer fields over older, an older
 * reading skipped); without a usable snapshot, each device's latest point of
 * the last day. InfluxDB not answering leaves what the snapshot had (or an
 * empty map) and says so.
 */
export async function restoreLatestValues(ingest: Ingest, o: { influx: InfluxTarget; file: string | null; now?: () => number }): Promise<RestoredLatest> {
  const now = o.now ?? Date.now;
  let snap = o.file ? readSnapshotFile(o.file, kindOf(o.influx), latestValuesItem) : null;
  if (snap && snap.upTo < now() - LOOKBACK_MS) {
    log.warn({ file: o.file, upTo: new Date(snap.upTo).toISOString() }, 'latest-values snapshot is older than a day; reading the last day instead');
    snap = null;
  }
  if (snap) for (const [id, at, values] of snap.items) ingest.latest.set(id, { values, at });
  // After a clean stop nothing was stored after the snapshot (ingest had stopped; this run has not started it yet).
  const q = snap?.final
    ? null
    : snap
      ? `SELECT *::field FROM "telemetry" WHERE time > ${Math.floor(snap.upTo - LATEST_DELTA_MARGIN_MS)}ms GROUP BY "device"`
      : 'SELECT *::field FROM "telemetry" WHERE time > now() - 1d GROUP BY "device" ORDER BY time DESC LIMIT 1';
  let fromInflux = 0;
  try {
    if (q) fromInflux = mergeSeries(await influxQuery(o.influx, q), ingest.latest);
  } catch (err) {
    log.warn({ err: (err as Error).message, snapshot: Boolean(snap) }, 'could not read latest values from InfluxDB; starting with what the snapshot had');
  }
  for (const [id, l] of ingest.latest) ingest.rules.restoreLastSeen(id, l.at);
  const r: RestoredLatest = {
    devices: ingest.latest.size,
    from: snap?.final ? 'final-snapshot' : snap ? 'snapshot' : fromInflux ? 'influx' : 'none',
    fromInflux,
  };
  if (r.devices) log.info(r, 'latest values restored');
  return r;
}

/** Each series' rows (one device, oldest first unless one row) merged into `latest`; returns how many devices changed. */
function mergeSeries(series: InfluxSeries[], latest: Map<string, Latest>): number {
  let changed = 0;
  for (const s of series) {
    const id = s.tags?.device;
    if (!id) continue;
    const it = s.columns.indexOf('time');
    let touched = false;
    for (const row of s.values) {
      const at = Number(row[it]);
      const prev = latest.get(id);
      if (prev && prev.at > at) continue;
      const values: Record<string, number> = prev ? prev.values : {};
      s.columns.forEach((c, i) => {
        if (i !== it && typeof row[i] === 'number') values[c] = row[i] as number;
      });
      latest.set(id, { values, at });
      touched = true;
    }
    if (touched) changed++;
  }
  return changed;
}

/** Every LATEST_SNAPSHOT_SECONDS and at stop: ingest's map, copied in one turn, written a slice a turn. */
export function latestSnapshots(o: { file: string; influx: InfluxTarget; everyMs: number; ingest: Ingest; now?: () => number }): SnapshotSchedule {
  const now = o.now ?? Date.now;
  return new SnapshotSchedule({
    file: o.file,
    kind: kindOf(o.influx),
    everyMs: o.everyMs,
    // The values objects are ingest's (merged into in place): each is written whole in one turn, and newer is harmless.
    capture: () => ({ upTo: now(), items: Array.from(o.ingest.latest, ([id, l]): LatestValuesItem => [id, l.at, l.values]) }),
  });
}

const kindOf = (influx: InfluxTarget) => ({ ...KIND, scope: influx.db });
