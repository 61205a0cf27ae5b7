/**
 * Mosquitto, InfluxDB and PostgreSQL for a bench run, from scripts/services.sh
 * in a private directory on free ports, and what the bench asks InfluxDB: a
 * fresh database per run, exact point counts, and the cheap running count of
 * points written (the shard statistics) to follow progress without a scan.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDatabase, influxIdent, influxQuery } from '@lifeline/core/node';
import { sleep } from './report.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVICES = path.join(ROOT, 'scripts/services.sh');

export interface Services {
  dir: string;
  mqttUrl: string;
  influxUrl: string;
  databaseUrl: string;
  ports: { mqtt: number; influx: number; pg: number };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function servicesSh(dir: string, ports: Services['ports']): string {
  const args = ['start', '--dir', dir, '--mqtt-port', String(ports.mqtt), '--influx-port', String(ports.influx), '--pg-port', String(ports.pg)];
  return execFileSync('bash', [SERVICES, ...args], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
}

export async function startServices(dir: string): Promise<Services> {
  const ports = { mqtt: await freePort(), influx: await freePort(), pg: await freePort() };
  const started = servicesSh(dir, ports);
  const databaseUrl = /^DATABASE_URL=(.*)$/m.exec(started)?.[1];
  if (!databaseUrl) throw new Error('services.sh printed no DATABASE_URL');
  return { dir, ports, databaseUrl, mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`, influxUrl: `http://127.0.0.1:${ports.influx}` };
}

export function stopServices(dir: string): void {
  execFileSync('bash', [SERVICES, 'stop', '--dir', dir], { stdio: 'ignore' });
}

/** A bench's last step: its services stopped (a failure said, not thrown) and their directory gone. */
export function removeServices(dir: string, say: (line: string) => void): void {
  try {
    stopServices(dir);
  } catch (err) {
    say(`could not stop the services in ${dir}: ${(err as Error).message}`);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Pid of a service from its pid file (mosquitto, influxdb, postgres), or null. */
export function servicePid(s: Services, name: 'mosquitto' | 'influxdb' | 'postgres'): number | null {
  try {
    const pid = Number(readFileSync(path.join(s.dir, name, `${name}.pid`), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops InfluxDB (SIGTERM, as an operator would) and waits for the process to be gone. */
export async function stopInflux(s: Services): Promise<void> {
  const pid = servicePid(s, 'influxdb');
  if (!pid) throw new Error('no InfluxDB pid file');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Starts InfluxDB again on the same port and data (services.sh start leaves the running others alone). */
export function restartInflux(s: Services): void {
  servicesSh(s.dir, s.ports);
}

export class Influx {
  constructor(readonly url: string) {}

  async create(db: string): Promise<void> {
    await ensureDatabase({ url: this.url, db });
  }

  async drop(db: string): Promise<void> {
    await fetch(`${this.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE ${influxIdent(db)}` }) }).then((r) => r.arrayBuffer());
  }

  /** Exact number of telemetry points stored, optionally with ts in [fromMs, toMs). */
  async count(db: string, fromMs?: number, toMs?: number): Promise<number> {
    const where = [fromMs !== undefined ? `time >= ${fromMs}ms` : '', toMs !== undefined ? `time < ${toMs}ms` : ''].filter(Boolean);
    const q = `SELECT count("ch4") FROM "telemetry"${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const s = await influxQuery({ url: this.url, db }, q);
    return Number(s[0]?.values[0]?.[1] ?? 0);
  }

  /** Every stored `(device, ts)` as "device ts" keys (for an exact diff against what was acknowledged). */
  async keys(db: string): Promise<Set<string>> {
    const s = await influxQuery({ url: this.url, db }, 'SELECT "ch4" FROM "telemetry" GROUP BY "device"');
    const out = new Set<string>();
    for (const series of s) for (const row of series.values) out.add(`${series.tags?.device} ${row[0]}`);
    return out;
  }

  /** Probe points with ts ≥ fromMs: "device ts" keys. */
  async probeKeys(db: string, fromMs: number): Promise<string[]> {
    const s = await influxQuery({ url: this.url, db }, `SELECT "ch4" FROM "telemetry" WHERE "tenant" = 'probe' AND time >= ${fromMs}ms GROUP BY "device"`);
    const out: string[] = [];
    for (const series of s) for (const row of series.values) out.push(`${series.tags?.device} ${row[0]}`);
    return out;
  }

  /**
   * Points InfluxDB accepted into `db` so far, from its shard statistics: no
   * scan, so it can be polled often. Rewrites of a point count again; the
   * exact figure is `count`.
   */
  async written(db: string): Promise<number> {
    const res = await fetch(`${this.url}/debug/vars`, { signal: AbortSignal.timeout(5000) });
    const vars = (await res.json()) as Record<string, { name?: string; tags?: Record<string, string>; values?: Record<string, number> }>;
    let n = 0;
    for (const v of Object.values(vars)) if (v?.name === 'shard' && v.tags?.database === db) n += v.values?.writePointsOk ?? 0;
    return n;
  }
}
