import { InfluxDB, escape } from 'influx';
import type { DeviceHistory, HistoryPoint } from '@lifeline/core';

/** Bucket sizes people read easily; the smallest that gives at most the wanted points. */
const BUCKETS_S = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

export function bucketFor(minutes: number, points: number): number {
  const want = (minutes * 60) / points;
  return BUCKETS_S.find((b) => b >= want) ?? BUCKETS_S[BUCKETS_S.length - 1]!;
}

/** Downsampled telemetry of one device from InfluxDB (mean per bucket). */
export class HistoryReader {
  private readonly influx: InfluxDB;

  constructor(url: string, database: string, username?: string, password?: string) {
    const u = new URL(url);
    this.influx = new InfluxDB({
      host: u.hostname,
      port: Number(u.port) || (u.protocol === 'https:' ? 443 : 8086),
      protocol: u.protocol === 'https:' ? 'https' : 'http',
      database,
      username: username || undefined,
      password: password || undefined,
    });
  }

  async read(device: string, minutes: number, points: number, now = Date.now()): Promise<DeviceHistory> {
    const bucketS = bucketFor(minutes, points);
    const rows = await this.influx.query<Record<string, unknown>>(
      `SELECT mean(*) FROM "telemetry" WHERE "device" = ${escape.stringLit(device)} AND time > now() - ${minutes}m GROUP BY time(${bucketS}s) fill(none)`,
      { precision: 'ms' },
    );
    const metrics = new Set<string>();
    const out: HistoryPoint[] = [];
    for (const row of rows) {
      const p: HistoryPoint = { t: new Date(row.time as Date).getTime() };
      for (const [k, v] of Object.entries(row)) {
        if (!k.startsWith('mean_')) continue;
        // mean(*) spans every field of the measurement; a metric this device never sent stays out.
        if (typeof v !== 'number') continue;
        const m = k.slice(5);
        metrics.add(m);
        p[m] = v;
      }
      out.push(p);
    }
    return { device, from: now - minutes * 60_000, to: now, bucketS, metrics: [...metrics], points: out };
  }
}
