import type { DeviceReadings, HistoryPoint } from '@lifeline/core';
import { influxQuery, influxString, type InfluxTarget } from '@lifeline/core/node';

/** Bucket sizes people read easily; the smallest that gives at most the wanted points. */
const BUCKETS_S = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

export function bucketFor(minutes: number, points: number): number {
  const want = (minutes * 60) / points;
  return BUCKETS_S.find((b) => b >= want) ?? BUCKETS_S[BUCKETS_S.length - 1]!;
}

/** Downsampled telemetry of one device from InfluxDB (mean per bucket). */
export class HistoryReader {
  private readonly target: InfluxTarget;

  constructor(url: string, db: string, username?: string, password?: string) {
    this.target = { url, db, username: username || undefined, password: password || undefined };
  }

  async read(device: string, minutes: number, points: number, now = Date.now()): Promise<DeviceReadings> {
    if (!Number.isInteger(minutes) || minutes <= 0) throw new RangeError(`history window must be a whole number of minutes, not ${minutes}`);
    const bucketS = bucketFor(minutes, points);
    const series = await influxQuery(
      this.target,
      `SELECT mean(*) FROM "telemetry" WHERE "device" = ${influxString(device)} AND time > now() - ${minutes}m GROUP BY time(${bucketS}s) fill(none)`,
    );
    const metrics = new Set<string>();
    const out: HistoryPoint[] = [];
    for (const s of series) {
      const it = s.columns.indexOf('time');
      for (const row of s.values) {
        const p: HistoryPoint = { t: Number(row[it]) };
        s.columns.forEach((k, i) => {
          const v = row[i];
          // mean(*) spans every field of the measurement; a metric this device never sent stays out.
          if (!k.startsWith('mean_') || typeof v !== 'number') return;
          const m = k.slice(5);
          metrics.add(m);
          p[m] = v;
        });
        out.push(p);
      }
    }
    return { device, from: now - minutes * 60_000, to: now, bucketS, metrics: [...metrics], points: out };
  }
}
