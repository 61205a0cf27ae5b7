import type { Device } from '@lifeline/core';
import { influxQuery, type InfluxTarget } from '@lifeline/core/node';
import { emptyBaseline, foldHour, type WeekBaseline } from './power.js';

const HOUR_MS = 3_600_000;

/**
 * Learns each enterprise's hour-of-week baseline from InfluxDB: the mean of
 * `p_kw` per meter and hour over `weeks`, summed per enterprise and hour, then
 * averaged per hour of the week. Only the enterprises' meters are asked for.
 */
export async function learnBaselines(
  influx: InfluxTarget,
  meters: Device[],
  opts: { weeks: number; now: number; utcOffsetH?: number },
): Promise<Map<string, WeekBaseline>> {
  const out = new Map<string, WeekBaseline>();
  if (!meters.length) return out;
  const tenantOf = new Map(meters.map((d) => [d.id, d.tenant]));
  // Whole milliseconds: InfluxQL reads `…ms` as an integer.
  const from = Math.floor(opts.now - opts.weeks * 7 * 24 * HOUR_MS);
  const q =
    `SELECT mean("p_kw") FROM "telemetry" WHERE "kind" = 'power' AND time >= ${from}ms AND time < ${Math.floor(opts.now / HOUR_MS) * HOUR_MS}ms ` +
    `GROUP BY time(1h), "device"`;
  const series = await influxQuery(influx, q);
  const sums = new Map<string, Map<number, number>>(); // tenant → hour → sum of meter means
  for (const s of series) {
    const tenant = tenantOf.get(s.tags?.device ?? '');
    if (!tenant) continue;
    let byHour = sums.get(tenant);
    if (!byHour) sums.set(tenant, (byHour = new Map()));
    for (const [t, v] of s.values) {
      if (typeof v !== 'number' || typeof t !== 'number') continue;
      byHour.set(t, (byHour.get(t) ?? 0) + v);
    }
  }
  for (const [tenant, byHour] of sums) {
    const b = emptyBaseline();
    for (const [t, kw] of [...byHour].sort((x, y) => x[0] - y[0])) foldHour(b, t, kw, opts.utcOffsetH ?? 8, opts.weeks);
    out.set(tenant, b);
  }
  return out;
}
