/** What every part of the bench shares: the services, the flags, the run directory and the processes to clean up. */
import path from 'node:path';
import { Fleet, writeRegistry } from './fleet.js';
import { CpuMeter, waitQuiet, type Quiet } from './machine.js';
import { Lifeline, BenchUser, startBaseline, type Consumer, type LifelineOptions } from './consumers.js';
import type { BenchFlags } from './options.js';
import { say, sleep } from './report.js';
import { Influx, servicePid, type Services } from './services.js';

function keyValues(list: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`${flag}: "${kv}" is not K=V`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Longest a warm-up waits for its messages to be stored. */
const WARMUP_MAX_MS = 60_000;

export class Bench {
  readonly influx: Influx;
  readonly user: BenchUser;
  private readonly registries = new Map<number, string>();
  private readonly cleanups: (() => void)[] = [];
  private runs = 0;

  constructor(
    readonly s: Services,
    readonly flags: BenchFlags,
    readonly dir: string,
  ) {
    this.influx = new Influx(s.influxUrl);
    this.user = new BenchUser(s, this.registry(flags.devices));
  }

  /** A registry of `devices` gas detectors plus the probes, written once per size. */
  registry(devices: number): string {
    let file = this.registries.get(devices);
    if (!file) {
      file = path.join(this.dir, `registry-${devices}.json`);
      writeRegistry(file, devices);
      this.registries.set(devices, file);
    }
    return file;
  }

  /** A name no earlier run of this bench used: databases, data dirs and client ids are never reused. */
  fresh(prefix: string): string {
    return `${prefix}_${++this.runs}`;
  }

  /** The service pids: with the bench's own tree, what counts as "ours". */
  servicePids(): number[] {
    return (['mosquitto', 'influxdb', 'postgres'] as const).map((n) => servicePid(this.s, n)).filter((p): p is number => p !== null);
  }

  cpuMeter(): CpuMeter {
    return new CpuMeter(() => this.servicePids());
  }

  quiet(label: string): Promise<Quiet> {
    return waitQuiet(this.flags.quietIdle, this.flags.quietTimeout, () => this.servicePids()).then((q) => {
      if (q.quiet) say(`${label}: machine quiet (${(q.idle * 100).toFixed(0)} % idle${q.waitedS > 3 ? ` after ${q.waitedS.toFixed(0)} s` : ''})`);
      return q;
    });
  }

  /** Lifeline as configured, or (`variant`) as the --variant-* flags change it. */
  async lifeline(o: Omit<LifelineOptions, 'env' | 'verbose' | 'nodeArgs' | 'root'>, variant = false): Promise<Lifeline> {
    const f = this.flags;
    const env = { ...keyValues(f.platformEnv, '--platform-env'), ...(variant ? keyValues(f.variantEnv, '--variant-env') : {}) };
    const root = variant ? f.variantRoot : f.platformRoot;
    const extra = { nodeArgs: (variant ? f.variantNodeArgs : f.platformNodeArgs).split(' ').filter(Boolean), root: root ? path.resolve(root) : undefined };
    const p = await Lifeline.start(this.s, { ...o, ...extra, env, verbose: f.verbose });
    this.onCleanup(() => void p.kill().catch(() => undefined));
    return p;
  }

  async baseline(db: string): Promise<Consumer> {
    const c = await startBaseline(this.s, db, this.flags.verbose);
    this.onCleanup(() => void c.kill().catch(() => undefined));
    return c;
  }

  async fleet(devices: number, connections: number, extra: { probeRate?: number; ackedFile?: string } = {}): Promise<Fleet> {
    say(`connecting ${connections} publishers for ${devices} devices`);
    const f = await Fleet.start({
      mqttUrl: this.s.mqttUrl,
      registry: this.registry(devices),
      connections,
      qos: this.flags.qos === 0 ? 0 : 1,
      verbose: this.flags.verbose,
      ...extra,
    });
    this.onCleanup(() => f.kill());
    return f;
  }

  /**
   * One message per device through the consumer just started, waited for:
   * InfluxDB creates the series and the consumer's code is warm before
   * anything is measured (a fresh database spends its first seconds creating
   * 10,000 series, which is not throughput).
   */
  async warmUp(fleet: Fleet, db: string, devices: number): Promise<void> {
    const before = await this.influx.written(db);
    const burst = fleet.burst(Math.min(this.flags.rate, 20_000), devices);
    const start = await burst.started;
    const n = (await burst.done).sent - start.sent;
    const until = Date.now() + WARMUP_MAX_MS;
    while ((await this.influx.written(db).catch(() => before)) - before < n && Date.now() < until) await sleep(100);
  }

  onCleanup(f: () => void): void {
    this.cleanups.push(f);
  }

  cleanup(): void {
    for (const f of this.cleanups.reverse()) f();
  }
}
