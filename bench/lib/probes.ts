/**
 * Publish → stored latency from the probe devices, whose messages carry their
 * exact publish time as ts: InfluxDB is polled for probe points, and the
 * first poll that sees a point dates its arrival. The resolution is the poll
 * interval plus the query's own time (printed with the figures).
 */
import type { Influx } from './services.js';

export const PROBE_POLL_MS = 100;

export class ProbeWatch {
  private readonly seen = new Map<string, number>();
  private from = Infinity;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(
    private readonly influx: Influx,
    private readonly db: string,
  ) {}

  /** Watches probe points with ts ≥ fromMs from now on. */
  start(fromMs: number): void {
    this.from = fromMs;
    this.timer ??= setInterval(() => void this.poll(), PROBE_POLL_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const keys = await this.influx.probeKeys(this.db, this.from);
      const now = Date.now();
      for (const k of keys) if (!this.seen.has(k)) this.seen.set(k, now);
    } catch {
      // InfluxDB busy or down: the next poll tries again, and the latency shows it
    } finally {
      this.busy = false;
    }
  }

  /** Latencies (ms) of the probes with ts in [fromMs, toMs) seen so far. */
  latencies(fromMs: number, toMs: number): number[] {
    const out: number[] = [];
    for (const [k, at] of this.seen) {
      const ts = Number(k.slice(k.indexOf(' ') + 1));
      if (ts >= fromMs && ts < toMs) out.push(at - ts);
    }
    return out;
  }
}
