/**
 * How busy the machine is, from /proc: waiting until it is quiet before a
 * run, and splitting the CPU used during a run into ours (the bench, what it
 * spawned, the services) and everybody else's, so that a run disturbed by
 * another engineer's test suite says so.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { say, sleep } from './report.js';

const HZ = 100; // USER_HZ: /proc reports CPU time in 1/100 s on every Linux we run on

function cpuLine(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

interface Proc {
  pid: number;
  ppid: number;
  jiffies: number;
  name: string;
}

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = s.lastIndexOf(')');
      const f = s.slice(close + 2).split(' ');
      out.set(Number(e), { pid: Number(e), ppid: Number(f[1]), jiffies: Number(f[11]) + Number(f[12]), name: s.slice(s.indexOf('(') + 1, close) });
    } catch {
      // gone between readdir and read
    }
  }
  return out;
}

/** CPU seconds (user + system, all threads) process `pid` has used so far, or NaN when it is gone. */
export function processCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds of the process's main thread alone (its JavaScript, where Node's own helper threads and GC helpers are not). */
export function mainThreadCpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(file: string): number {
  try {
    const s = readFileSync(file, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / HZ;
  } catch {
    return NaN;
  }
}

/** Every pid in `procs` that is one of `roots` or descends from one. */
function tree(procs: Map<number, Proc>, roots: number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const p of procs.values()) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(p.pid);
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop()!;
    if (out.has(p)) continue;
    out.add(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

export interface CpuShare {
  seconds: number;
  /** Cores in use on average, by everything / by our processes / by everybody else. */
  busy: number;
  ours: number;
  foreign: number;
  /** The busiest processes that are not ours, "name:cores". */
  topForeign: string[];
}

/** CPU accounting over an interval; `roots` gives the pids whose process trees are ours (the bench's own is always in). */
export class CpuMeter {
  private t0 = Date.now();
  private cpu0 = cpuLine();
  private procs0 = processes();

  constructor(private readonly roots: () => number[]) {}

  read(): CpuShare {
    const seconds = (Date.now() - this.t0) / 1000;
    const cpu = cpuLine();
    const procs = processes();
    const ours = tree(procs, [process.pid, ...this.roots()]);
    let oursJ = 0;
    const foreign: { name: string; j: number }[] = [];
    for (const p of procs.values()) {
      const d = p.jiffies - (this.procs0.get(p.pid)?.jiffies ?? 0);
      if (ours.has(p.pid)) oursJ += d;
      else if (d > 0) foreign.push({ name: `${p.name}[${p.pid}]`, j: d });
    }
    const busy = (cpu.busy - this.cpu0.busy) / HZ / seconds;
    const oursCores = oursJ / HZ / seconds;
    foreign.sort((a, b) => b.j - a.j);
    return {
      seconds,
      busy,
      ours: oursCores,
      foreign: Math.max(0, busy - oursCores),
      topForeign: foreign.slice(0, 3).map((f) => `${f.name}:${(f.j / HZ / seconds).toFixed(2)}`),
    };
  }
}

export interface Quiet {
  quiet: boolean;
  /** Idle fraction of all cores over the last sample, 0…1. */
  idle: number;
  load1: number;
  waitedS: number;
  topForeign: string[];
}

/**
 * Waits until the machine's idle fraction over a `sampleMs` window is at
 * least `minIdle` (the 1-minute load average lags by a minute, and our own
 * last run is in it, so /proc/stat is what decides), for at most `timeoutS`.
 * Never fails: a machine that never quiets down is reported and the run goes on.
 */
export async function waitQuiet(minIdle: number, timeoutS: number, roots: () => number[] = () => [], sampleMs = 2000): Promise<Quiet> {
  const started = Date.now();
  let lastSay = 0;
  for (;;) {
    const meter = new CpuMeter(roots);
    await sleep(sampleMs);
    const share = meter.read();
    const idle = Math.max(0, 1 - share.busy / os.cpus().length);
    const load1 = os.loadavg()[0]!;
    const waitedS = (Date.now() - started) / 1000;
    if (idle >= minIdle) return { quiet: true, idle, load1, waitedS, topForeign: share.topForeign };
    if (waitedS >= timeoutS) {
      say(
        `machine never quiet in ${timeoutS} s: ${(idle * 100).toFixed(0)} % idle, load ${load1.toFixed(2)}, busiest others ${share.topForeign.join(' ')}; running anyway`,
      );
      return { quiet: false, idle, load1, waitedS, topForeign: share.topForeign };
    }
    if (Date.now() - lastSay > 10_000) {
      say(
        `waiting for a quiet machine: ${(idle * 100).toFixed(0)} % idle (want ${(minIdle * 100).toFixed(0)} %), load ${load1.toFixed(2)}; busiest: ${share.topForeign.join(' ')}`,
      );
      lastSay = Date.now();
    }
  }
}
