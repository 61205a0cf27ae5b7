/**
 * What subscribes and writes to InfluxDB in a run: the bare baseline
 * (bench/baseline-subscriber.ts) or Lifeline itself (`server/dist/main.js`,
 * as `npm start` runs it), both started fresh on a database of their own.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { connect } from './mqtt-wire.js';
import { sleep } from './report.js';
import { freePort, ROOT, type Services } from './services.js';

export interface Consumer {
  readonly label: 'baseline' | 'lifeline';
  readonly pid: number;
  /** SIGTERM and wait for the exit (a clean stop flushes what it holds). */
  stop(): Promise<void>;
  /** SIGKILL: no flush, no goodbye. */
  kill(): Promise<void>;
}

const HEALTH_WAIT_MS = 60_000;
const STOP_WAIT_MS = 40_000;

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

async function terminate(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), STOP_WAIT_MS);
  await exited(c);
  clearTimeout(t);
}

export async function startBaseline(s: Services, db: string, verbose = false): Promise<Consumer> {
  const c = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-subscriber.ts', s.mqttUrl, s.influxUrl, db], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  c.stderr!.on('data', (b: Buffer) => verbose && process.stderr.write(b));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: c.stdout! }).on('line', (l) => l === 'READY' && resolve());
    c.once('exit', (code) => reject(new Error(`baseline subscriber exited ${code} before subscribing`)));
  });
  return {
    label: 'baseline',
    pid: c.pid!,
    stop: () => terminate(c),
    kill: async () => {
      c.kill('SIGKILL');
      await exited(c);
    },
  };
}

export interface LifelineOptions {
  db: string;
  registry: string;
  /** Kept across a restart: rule state, outbox and whatever else the platform persists. */
  dataDir: string;
  clientId: string;
  /** Write a V8 CPU profile here at exit (`node --cpu-prof`). */
  cpuProfDir?: string;
  /** More environment for the platform (e.g. a setting under test). */
  env?: Record<string, string>;
  /** More node flags (e.g. `--import` of an experiment's preload). */
  nodeArgs?: string[];
  /** The checkout whose server/dist/main.js runs (default: this one), for before/after comparisons. */
  root?: string;
  verbose?: boolean;
}

/** The environment a bench's platform runs with: the services, its database, registry, data dir and port, then `o.env`. */
export function platformEnv(
  s: Services,
  o: Pick<LifelineOptions, 'db' | 'registry' | 'dataDir' | 'clientId' | 'env' | 'verbose'>,
  port: number,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    MQTT_URL: s.mqttUrl,
    MQTT_CLIENT_ID: o.clientId,
    INFLUX_URL: s.influxUrl,
    INFLUX_DB: o.db,
    DATABASE_URL: s.databaseUrl,
    REGISTRY_PATH: o.registry,
    DATA_DIR: o.dataDir,
    LOG_LEVEL: o.verbose ? 'info' : 'warn',
    ...o.env,
  };
}

export class Lifeline implements Consumer {
  readonly label = 'lifeline';
  private constructor(
    private readonly child: ChildProcess,
    readonly httpUrl: string,
  ) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static async start(s: Services, o: LifelineOptions): Promise<Lifeline> {
    mkdirSync(o.dataDir, { recursive: true });
    const port = await freePort();
    const env = platformEnv(s, o, port);
    const nodeArgs = [...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : []), ...(o.nodeArgs ?? [])];
    const child = spawn(process.execPath, [...nodeArgs, 'server/dist/main.js'], {
      cwd: o.root ?? ROOT,
      env,
      stdio: ['ignore', 'ignore', o.verbose ? 'inherit' : 'pipe'],
    });
    let tail = '';
    child.stderr?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
    const p = new Lifeline(child, `http://127.0.0.1:${port}`);
    const until = Date.now() + HEALTH_WAIT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`Lifeline exited ${child.exitCode} during start-up:\n${tail}`);
      const status = await fetch(`${p.httpUrl}/api/health`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > until) throw new Error(`Lifeline not healthy after ${HEALTH_WAIT_MS / 1000} s (last status ${status}):\n${tail}`);
      await sleep(100);
    }
    // Healthy means connected; give the SUBSCRIBE a moment to be granted before anything is published.
    await sleep(300);
    return p;
  }

  stop(): Promise<void> {
    return terminate(this.child);
  }

  /** SIGKILL: no flush, no goodbye. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await exited(this.child);
  }

  /** Peak resident memory so far, in MB. */
  peakRssMb(): number | null {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Math.round(Number(m[1]) / 1024) : null;
    } catch {
      return null;
    }
  }
}

/** Ends a persistent session on the broker (CONNECT with clean session), so nothing queues for a client id after its run. */
export async function clearSession(mqttUrl: string, clientId: string): Promise<void> {
  const u = new URL(mqttUrl);
  const socket = await connect(
    u.hostname,
    Number(u.port),
    clientId,
    () => undefined,
    () => undefined,
  );
  socket.end();
}

/** A logged-in admin (created once per PostgreSQL cluster): the cookie for /api/metrics and Socket.IO. */
export class BenchUser {
  static readonly NAME = 'bench-admin';
  static readonly PASSWORD = 'bench-admin-password-not-secret';
  private created = false;

  constructor(
    private readonly s: Services,
    private readonly registry: string,
  ) {}

  async login(httpUrl: string): Promise<string> {
    if (!this.created) {
      execFileSync(process.execPath, ['server/dist/cli/users.js', 'add', BenchUser.NAME, '--role', 'admin'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: this.s.databaseUrl, REGISTRY_PATH: this.registry },
        input: `${BenchUser.PASSWORD}\n`,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      this.created = true;
    }
    const res = await fetch(`${httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: BenchUser.NAME, password: BenchUser.PASSWORD }),
    });
    if (!res.ok) throw new Error(`bench login failed: HTTP ${res.status}`);
    return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  }
}

/** The platform's own counters (/api/metrics), or null when it does not answer. */
export async function metrics(httpUrl: string, cookie: string): Promise<Record<string, unknown> | null> {
  try {
    const r = await fetch(`${httpUrl}/api/metrics`, { headers: { cookie } });
    return r.ok ? ((await r.json()) as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
