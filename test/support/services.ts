/**
 * Helpers for tests that use the real Mosquitto, InfluxDB and PostgreSQL. The
 * run's shared instances come from `inject('mqttUrl')` / `inject('influxUrl')`
 * / `inject('pgUrl')`; a test that must stop or break a service starts its own
 * with `startServices()`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SERVICES_SCRIPT = path.join(REPO_ROOT, 'scripts/services.sh');
/** Temp dirs of service instances started by tests are named with this prefix. */
export const SERVICES_DIR_PREFIX = 'lifeline-test-';

/**
 * A name no other test (file, run or machine user) is using, usable as an
 * InfluxDB or PostgreSQL database, an MQTT client id, a tenant or a topic level:
 * lowercase letters, digits and "_" only.
 */
export function uniqueName(prefix = 't'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `${clean}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** Each test file uses its own InfluxDB database, so files can run in parallel. */
export function uniqueDbName(prefix = 'test'): string {
  return uniqueName(prefix);
}

/** A TCP port that was free on 127.0.0.1 a moment ago (asked from the OS). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs scripts/services.sh with `args`; never rejects, the caller judges the code. */
export function runServicesScript(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('bash', [SERVICES_SCRIPT, ...args], { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** KEY=VALUE lines of the script's stdout. */
export function parseUrls(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

export interface Services {
  dir: string;
  mqttUrl: string | null;
  influxUrl: string;
  mqttPort: number | null;
  influxPort: number;
  /** The PostgreSQL superuser's URL (`postgres://lifeline:…@127.0.0.1:PORT/lifeline`), null without `pg: true`. */
  databaseUrl: string | null;
  pgPort: number | null;
  /** Stops every service (idempotent) and removes the directory. */
  stop(): Promise<void>;
}

/** `count` distinct free ports. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Starts a private Mosquitto (unless `mqtt: false`), InfluxDB and, with
 * `pg: true`, PostgreSQL on free ports in a fresh temp dir. Throws with the
 * script's output (including the services' log tails) when they do not come up.
 */
export async function startServices(opts: { mqtt?: boolean; pg?: boolean } = {}): Promise<Services> {
  const mqtt = opts.mqtt ?? true;
  const pg = opts.pg ?? false;
  const dir = mkdtempSync(path.join(os.tmpdir(), SERVICES_DIR_PREFIX));
  // Lets a later run clean up after a run that was killed before its teardown.
  writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  const ports = await freePorts(3);
  const influxPort = ports[0]!;
  const mqttPort = mqtt ? ports[1]! : null;
  const pgPort = pg ? ports[2]! : null;
  const args = ['start', '--dir', dir, '--influx-port', String(influxPort)];
  if (mqttPort === null) args.push('--no-mqtt');
  else args.push('--mqtt-port', String(mqttPort));
  if (pgPort !== null) args.push('--pg-port', String(pgPort));
  const res = await runServicesScript(args);
  const stop = async () => {
    const r = await runServicesScript(['stop', '--dir', dir]);
    if (r.code !== 0) throw new Error(`services.sh stop --dir ${dir} failed (${r.code}):\n${r.stderr}`);
    rmSync(dir, { recursive: true, force: true });
  };
  const urls = parseUrls(res.stdout);
  if (res.code !== 0 || !urls.INFLUX_URL || (mqtt && !urls.MQTT_URL) || (pg && !urls.DATABASE_URL)) {
    await stop().catch(() => undefined);
    throw new Error(`could not start the test services (scripts/services.sh ${args.join(' ')} exited ${res.code}):\n${res.stderr}${res.stdout}`);
  }
  return {
    dir,
    mqttUrl: urls.MQTT_URL ?? null,
    influxUrl: urls.INFLUX_URL,
    mqttPort,
    influxPort,
    databaseUrl: urls.DATABASE_URL ?? null,
    pgPort,
    stop,
  };
}

/**
 * A data directory (rule state, outbox, silences) of one test platform's own:
 * the default under the repository would be shared by every platform of the run.
 */
export function tempDataDir(prefix = 'data'): string {
  return mkdtempSync(path.join(os.tmpdir(), `lifeline-${prefix}-`));
}
