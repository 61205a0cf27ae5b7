/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and sums self and
 * inclusive time per function, and self time per area (a package, node's
 * internals, the GC), over a window of the profile, as shares of the time the
 * thread was busy (idle left out).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Summary {
  windowS: number;
  /** Shares of the window (0…1). */
  idle: number;
  gc: number;
  /** The rest are shares of the busy (non-idle) time. */
  self: { name: string; share: number }[];
  inclusive: { name: string; share: number }[];
  areas: { name: string; share: number }[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function where(url: string, root: string): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(root)) u = u.slice(root.length);
  return u;
}

function area(url: string, fn: string, root: string): string {
  if (SPECIAL.has(fn)) return fn;
  const u = where(url, root);
  if (!u) return '(native/V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return nm[1]!;
  if (u.startsWith('node:')) return `node:${u.slice(5).split('/')[0] === 'internal' ? u.slice(5).split('/').slice(0, 2).join('/') : u.slice(5)}`;
  const pkg = /^(core|ingest|server)\/dist\/(.*?)(\.js)?$/.exec(u);
  return pkg ? `${pkg[1]}/${pkg[2]}` : u;
}

/** Summarises samples whose time (µs since the profile's start) is in [fromUs, toUs). */
export function summarize(file: string, root: string, fromUs = 0, toUs = Infinity, top = 25): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const fn = n.callFrame.functionName || '(anonymous)';
    if (SPECIAL.has(fn)) return fn;
    const u = where(n.callFrame.url, root);
    return `${fn} ${u ? `${u}:${n.callFrame.lineNumber + 1}` : '(native)'}`;
  };
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  const areas = new Map<string, number>();
  let t = 0;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    if (t < fromUs || t >= toUs) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    const n = byId.get(p.samples[i]!)!;
    total += dt;
    const name = label(n);
    self.set(name, (self.get(name) ?? 0) + dt);
    const a = area(n.callFrame.url, n.callFrame.functionName, root);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const l = label(byId.get(id)!);
      if (seen.has(l) || SPECIAL.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + dt);
    }
  }
  const busy = total - (self.get('(idle)') ?? 0);
  self.delete('(idle)');
  areas.delete('(idle)');
  const ranked = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, share: busy ? us / busy : 0 }));
  return {
    windowS: total / 1e6,
    idle: total ? (total - busy) / total : 0,
    gc: busy ? (self.get('(garbage collector)') ?? 0) / busy : 0,
    self: ranked(self, top),
    inclusive: ranked(incl, top),
    areas: ranked(areas, 15),
  };
}
