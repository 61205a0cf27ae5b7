/**
 * The platform as `npm start` runs it (`server/dist/main.js`) with a city
 * registry, for the city bench: started and timed to `/api/health` 200, its
 * CPU and memory read from /proc, a person logged in, and the device list's
 * size on the wire read from the raw socket (fetch would decode it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { platformEnv } from './consumers.js';
import { processCpuSeconds } from './machine.js';
import { sleep } from './report.js';
import { freePort, ROOT, type Services } from './services.js';

const HEALTH_WAIT_MS = 180_000;
const STOP_WAIT_MS = 40_000;
const HEALTH_POLL_MS = 50;

export interface CityPlatformOptions {
  db: string;
  registry: string;
  dataDir: string;
  clientId: string;
  /** The HTTP port: the same across a restart, so a page keeps its origin. */
  port?: number;
  env?: Record<string, string>;
  verbose?: boolean;
}

export class CityPlatform {
  private tail = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly httpUrl: string,
    readonly port: number,
    /** Spawn to the first `/api/health` 200, ms. */
    readonly startMs: number,
  ) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  static async start(s: Services, o: CityPlatformOptions): Promise<CityPlatform> {
    mkdirSync(o.dataDir, { recursive: true });
    const port = o.port ?? (await freePort());
    const env = platformEnv(s, o, port);
    const t0 = Date.now();
    const child = spawn(process.execPath, ['server/dist/main.js'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', o.verbose ? 'inherit' : 'ignore', o.verbose ? 'inherit' : 'pipe'],
    });
    let tail = '';
    child.stderr?.on('data', (b: Buffer) => (tail = (tail + b.toString()).slice(-4000)));
    const url = `http://127.0.0.1:${port}`;
    const until = t0 + HEALTH_WAIT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the platform exited ${child.exitCode} during start-up:\n${tail}`);
      const status = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`the platform was not healthy after ${HEALTH_WAIT_MS / 1000} s (last status ${status}):\n${tail}`);
      }
      await sleep(HEALTH_POLL_MS);
    }
    const p = new CityPlatform(child, url, port, Date.now() - t0);
    p.tail = tail;
    child.stderr?.on('data', (b: Buffer) => (p.tail = (p.tail + b.toString()).slice(-4000)));
    return p;
  }

  /** The last of what the platform wrote to stderr (warnings and errors). */
  lastLog(): string {
    return this.tail;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM and the time until the process is gone, ms (SIGKILL after STOP_WAIT_MS). */
  async stop(): Promise<number> {
    if (!this.running) return 0;
    const t0 = Date.now();
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), STOP_WAIT_MS);
    await gone;
    clearTimeout(t);
    return Date.now() - t0;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** SIGKILL, resolved once the process is gone. */
  async killed(): Promise<void> {
    if (!this.running) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** CPU seconds the process has used so far. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** Resident memory now and at its peak, MB. */
  memory(): { rssMb: number; peakMb: number } {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
      return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
    } catch {
      return { rssMb: NaN, peakMb: NaN };
    }
  }
}

/** A person of `role`, created once per PostgreSQL cluster through the users CLI (as an operator would), logged in over HTTP. */
export class CityUser {
  private created = false;

  constructor(
    private readonly s: Services,
    readonly name: string,
    private readonly role: 'duty' | 'admin',
  ) {}

  private get password(): string {
    return `${this.name}-password-not-secret`;
  }

  /** Logs in; answers the session cookie's value (`lifeline_session`). */
  async login(httpUrl: string, registry: string): Promise<string> {
    if (!this.created) {
      execFileSync(process.execPath, ['server/dist/cli/users.js', 'add', this.name, '--role', this.role], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: this.s.databaseUrl, REGISTRY_PATH: registry },
        input: `${this.password}\n`,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      this.created = true;
    }
    const res = await fetch(`${httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: httpUrl },
      body: JSON.stringify({ username: this.name, password: this.password }),
    });
    if (!res.ok) throw new Error(`login of ${this.name} failed: HTTP ${res.status}`);
    const cookie = /lifeline_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error(`login of ${this.name} set no session cookie`);
    return cookie;
  }
}

export interface WireSize {
  /** Bytes of the body as sent (after any Content-Encoding). */
  wire: number;
  encoding: string;
  ms: number;
}

/** One GET with the session cookie, counting the body's bytes as they come off the socket. */
export function wireSize(httpUrl: string, pathAndQuery: string, cookie: string, acceptEncoding: string): Promise<WireSize> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get(`${httpUrl}${pathAndQuery}`, { headers: { cookie: `lifeline_session=${cookie}`, 'accept-encoding': acceptEncoding } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`GET ${pathAndQuery}: HTTP ${res.statusCode}`));
      }
      let wire = 0;
      res.on('data', (b: Buffer) => (wire += b.length));
      res.on('end', () => resolve({ wire, encoding: String(res.headers['content-encoding'] ?? 'identity'), ms: Date.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
