/**
 * Throughput and alert latency of the whole pipeline on this machine, against
 * the real Mosquitto and InfluxDB that scripts/services.sh starts.
 *   npm run bench            (or: node --import tsx bench/pipeline.ts [--devices N] [--connections N] [--messages N])
 * Prints one line per figure. Never part of the test suite.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { io } from 'socket.io-client';
import type { Alert, Registry } from '@lifeline/core';
import { influxQuery } from '@lifeline/core/node';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const DEVICES = arg('devices', 10_000);
const CONNECTIONS = arg('connections', 2000);
const MESSAGES = arg('messages', 400_000);
const OFFERED_RATE = arg('rate', 120_000);
const PROBES = arg('probes', 300);

const say = (s: string) => process.stderr.write(`bench: ${s}\n`);
const figure = (name: string, value: string | number, unit = '') => console.log(`${name}: ${value}${unit ? ` ${unit}` : ''}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function syntheticRegistry(file: string): void {
  const reg: Registry = {
    version: 1,
    district: { code: '441803', name: '清新区', city: '清远市', center: [113.0, 23.73] },
    towns: ['太和镇'],
    tenants: [{ id: 'bench', name: '压测租户', type: 'utility' }],
    devices: Array.from({ length: DEVICES }, (_, i) => ({
      id: `b-${i}`,
      tenant: 'bench',
      kind: 'gas' as const,
      name: `压测燃气探测器 ${i}`,
      town: '太和镇',
      lon: 113 + (i % 100) / 1000,
      lat: 23.7 + Math.floor(i / 100) / 1000,
      intervalS: 3600,
    })),
  };
  writeFileSync(file, JSON.stringify(reg));
}

function node(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  c.stderr?.on('data', (b: Buffer) => process.env.BENCH_VERBOSE && process.stderr.write(b));
  return c;
}

interface Load {
  /** Resolves when every connection is open and publishing begins. */
  ready: Promise<void>;
  done: Promise<{ publishRate: number }>;
}

function load(mqttUrl: string, registry: string, rate: number, total: number): Load {
  const c = node('bench/load-generator.ts', [mqttUrl, registry, String(CONNECTIONS), String(rate), String(total)]);
  children.push(c);
  let out = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  c.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('READY')) onReady();
  });
  const done = new Promise<{ publishRate: number }>((resolve, reject) =>
    c.once('exit', (code) => {
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
    }),
  );
  return { ready, done };
}

async function countStored(influxUrl: string, db: string): Promise<number> {
  const s = await influxQuery({ url: influxUrl, db }, 'SELECT count("ch4") FROM "telemetry"').catch(() => []);
  return Number(s[0]?.values[0]?.[1] ?? 0);
}

/** Publishes `total` messages as fast as offered and times publish start → all stored. */
async function throughput(label: string, mqttUrl: string, influxUrl: string, db: string, registry: string): Promise<number> {
  const before = await countStored(influxUrl, db);
  const loading = load(mqttUrl, registry, OFFERED_RATE, MESSAGES);
  await loading.ready;
  const t0 = Date.now();
  let stored = before;
  let lastPrint = 0;
  let lastChange = Date.now();
  for (;;) {
    await sleep(250);
    const n = await countStored(influxUrl, db);
    if (n !== stored) lastChange = Date.now();
    stored = n;
    if (Date.now() - lastPrint > 2000) {
      say(`${label}: ${stored - before}/${MESSAGES} stored after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      lastPrint = Date.now();
    }
    if (stored - before >= MESSAGES) break;
    if (Date.now() - lastChange > 15_000) {
      say(`${label}: stalled at ${stored - before}/${MESSAGES}; counting what arrived`);
      break;
    }
  }
  const { publishRate } = await loading.done;
  const elapsed = (lastChange - t0) / 1000;
  say(`${label}: publisher offered ${publishRate}/s`);
  return Math.round((stored - before) / elapsed);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-'));
const services = path.join(ROOT, 'scripts/services.sh');
try {
  const [mqttPort, influxPort, httpPort, pgPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  say(`starting Mosquitto :${mqttPort}, InfluxDB :${influxPort} and PostgreSQL :${pgPort} in ${dir}`);
  const started = execFileSync(
    'bash',
    [services, 'start', '--dir', dir, '--mqtt-port', String(mqttPort), '--influx-port', String(influxPort), '--pg-port', String(pgPort)],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  ).toString();
  const databaseUrl = /^DATABASE_URL=(.*)$/m.exec(started)?.[1];
  if (!databaseUrl) throw new Error('services.sh printed no DATABASE_URL');
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const influxUrl = `http://127.0.0.1:${influxPort}`;
  const registry = path.join(dir, 'registry.json');
  syntheticRegistry(registry);
  say(`${DEVICES} devices over ${CONNECTIONS} connections, ${MESSAGES} messages per run, offered at up to ${OFFERED_RATE}/s`);

  // The bare baseline.
  const base = node('bench/baseline-subscriber.ts', [mqttUrl, influxUrl, 'bench_baseline']);
  children.push(base);
  await sleep(1500);
  const baseline = await throughput('baseline', mqttUrl, influxUrl, 'bench_baseline', registry);
  base.kill('SIGTERM');

  // Lifeline, as `npm start` runs it.
  const platform = spawn(process.execPath, ['server/dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      MQTT_URL: mqttUrl,
      INFLUX_URL: influxUrl,
      INFLUX_DB: 'bench_lifeline',
      REGISTRY_PATH: registry,
      LOG_LEVEL: 'warn',
      MQTT_CLIENT_ID: 'bench-ingest',
      DATABASE_URL: databaseUrl,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(platform);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; i < 100; i++) {
    if (
      (await fetch(`${httpUrl}/api/health`)
        .then((r) => r.status)
        .catch(() => 0)) === 200
    )
      break;
    await sleep(200);
  }
  const sustained = await throughput('lifeline', mqttUrl, influxUrl, 'bench_lifeline', registry);

  // Alert latency at half the sustained rate: background load plus one device at a time going red, seen by a logged-in duty officer.
  const password = 'bench-duty-password';
  execFileSync(process.execPath, ['server/dist/cli/users.js', 'add', 'bench-duty', '--role', 'duty'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, REGISTRY_PATH: registry },
    input: `${password}\n`,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const login = await fetch(`${httpUrl}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench-duty', password }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
  const socket = io(httpUrl, { transports: ['websocket'], extraHeaders: { cookie } });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  socket.on('alert', (a: Alert) => {
    const t = sentAt.get(a.device);
    if (t !== undefined && a.state === 'raised' && a.count === 1) {
      latencies.push(Date.now() - t);
      sentAt.delete(a.device);
    }
  });
  const half = Math.max(1000, Math.round(sustained / 2));
  const probeGapMs = 50;
  const background = load(mqttUrl, registry, half, Math.round((half * (PROBES * probeGapMs + 3000)) / 1000));
  const prober = await mqtt.connectAsync(mqttUrl, { clientId: 'bench-prober' });
  await background.ready;
  await sleep(1500);
  say(`latency: ${PROBES} red readings under ${half}/s background load`);
  const devices = (JSON.parse(readFileSync(registry, 'utf8')) as Registry).devices;
  for (let i = 0; i < PROBES; i++) {
    const d = devices[devices.length - 1 - i]!;
    sentAt.set(d.id, Date.now());
    prober.publish(`lifeline/v1/${d.tenant}/${d.id}/telemetry`, JSON.stringify({ values: { ch4: 60 } }), { qos: 1 });
    await sleep(probeGapMs);
  }
  await background.done;
  await sleep(2000);
  await prober.endAsync();
  socket.close();
  const rss = readFileSync(`/proc/${platform.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+)/)?.[1];
  latencies.sort((a, b) => a - b);

  figure('lifeline.sustained_msgs_per_s', sustained);
  figure('baseline.bare_batched_msgs_per_s', baseline);
  figure('lifeline.ratio_to_baseline', (sustained / baseline).toFixed(2));
  figure('alert_latency.load_msgs_per_s', half);
  figure('alert_latency.samples', `${latencies.length}/${PROBES}`);
  figure('alert_latency.p50_ms', percentile(latencies, 50));
  figure('alert_latency.p99_ms', percentile(latencies, 99));
  figure('lifeline.peak_rss_mb', rss ? Math.round(Number(rss) / 1024) : 'n/a');
  figure('setup', `${DEVICES} devices, ${CONNECTIONS} connections, ${MESSAGES} msgs per run, ${os.cpus().length} cores`);
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await sleep(1000);
  execFileSync('bash', [services, 'stop', '--dir', dir], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
