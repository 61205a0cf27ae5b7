/**
 * Output of the benchmarks: progress on stderr ("bench: …"), figures on
 * stdout as `name: value` lines, one figure a line, names stable across runs
 * so that two runs can be diffed or grepped.
 */
export const say = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

export function figure(name: string, value: string | number, unit = ''): void {
  process.stdout.write(`${name}: ${value}${unit ? ` ${unit}` : ''}\n`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The q-quantile (0…1) by linear interpolation between closest ranks. */
export function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (values: number[]) => quantile(values, 0.5);

/** Nearest-rank percentile (p in 0…100), the usual reading of "p99" for latencies. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Least-squares slope of y over x (per unit of x); 0 with fewer than two points. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const round = (n: number, digits = 0) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : NaN);
