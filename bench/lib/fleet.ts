/**
 * The simulated fleet: a synthetic registry of gas detectors (plus a few
 * latency probes), and the load generator process (bench/load-generator.ts)
 * driven over its stdin/stdout JSON lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Registry } from '@lifeline/core';
import { ROOT } from './services.js';

/** Devices of tenant "probe": their messages carry the exact publish time, for publish → stored latency. */
export const PROBE_DEVICES = 50;

export function writeRegistry(file: string, devices: number): void {
  const gas = (id: string, tenant: string, i: number) => ({
    id,
    tenant,
    kind: 'gas' as const,
    name: `压测燃气探测器 ${id}`,
    town: '太和镇',
    lon: 113 + (i % 100) / 1000,
    lat: 23.7 + Math.floor(i / 100) / 1000,
    intervalS: 3600,
  });
  const reg: Registry = {
    version: 1,
    district: { code: '441803', name: '清新区', city: '清远市', center: [113.0, 23.73] },
    towns: ['太和镇'],
    tenants: [
      { id: 'bench', name: '压测租户', type: 'utility' },
      { id: 'probe', name: '时延探针', type: 'utility' },
    ],
    devices: [
      ...Array.from({ length: devices }, (_, i) => gas(`b-${i}`, 'bench', i)),
      ...Array.from({ length: PROBE_DEVICES }, (_, i) => gas(`p-${i}`, 'probe', i)),
    ],
  };
  writeFileSync(file, JSON.stringify(reg));
}

/** What the generator says: counts include probes; `boundary` splits the ts of messages sent before and after a command. */
export interface FleetCounts {
  at: number;
  boundary: number;
  sent: number;
  acked: number;
  probes: number;
  idsExhausted: number;
  closedConnections: number;
  unacked?: number;
}

export interface FleetOptions {
  mqttUrl: string;
  registry: string;
  connections: number;
  qos: 0 | 1;
  probeRate?: number;
  /** Where the generator writes every acknowledged "device ts" at the end. */
  ackedFile?: string;
  verbose?: boolean;
}

export class Fleet {
  readonly child: ChildProcess;
  /** The latest progress line. */
  latest: FleetCounts | null = null;
  private waiters: { type: string; resolve: (c: FleetCounts) => void }[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(opts: FleetOptions) {
    const args = ['--url', opts.mqttUrl, '--registry', opts.registry, '--connections', String(opts.connections), '--qos', String(opts.qos)];
    if (opts.probeRate !== undefined) args.push('--probe-rate', String(opts.probeRate));
    if (opts.ackedFile) args.push('--acked-file', opts.ackedFile);
    this.child = spawn(process.execPath, ['--import', 'tsx', 'bench/load-generator.ts', ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (b: Buffer) => opts.verbose && process.stderr.write(b));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let m: FleetCounts & { type: string };
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      if (m.type !== 'ready') this.latest = m;
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
  }

  /** Starts the generator and resolves once every connection is open. */
  static async start(opts: FleetOptions): Promise<Fleet> {
    const f = new Fleet(opts);
    const ready = f.next('ready');
    const failed = f.exited.then((code) => Promise.reject(new Error(`load generator exited ${code} before it was ready`)));
    await Promise.race([ready, failed]);
    return f;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  private next(type: string): Promise<FleetCounts> {
    return new Promise((resolve) => this.waiters.push({ type, resolve }));
  }

  private command(o: object): void {
    this.child.stdin!.write(`${JSON.stringify(o)}\n`);
  }

  /** Publishes at `rate` msg/s from now on (0 pauses); resolves with the counts at the switch. */
  rate(rate: number): Promise<FleetCounts> {
    const r = this.next('rate');
    this.command({ cmd: 'rate', rate });
    return r;
  }

  /** Publishes `count` messages at `rate`; `started` resolves at the switch, `done` when the last is written. */
  burst(rate: number, count: number): { started: Promise<FleetCounts>; done: Promise<FleetCounts> } {
    const started = this.next('rate');
    const done = this.next('idle');
    this.command({ cmd: 'rate', rate, count });
    return { started, done };
  }

  /** Stops publishing, waits for outstanding PUBACKs, and resolves with the final counts once the process is gone. */
  async end(): Promise<FleetCounts> {
    const end = this.next('end');
    this.command({ cmd: 'end' });
    const counts = await Promise.race([end, this.exited.then((code) => Promise.reject(new Error(`load generator exited ${code} without its summary`)))]);
    await this.exited;
    return counts;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
