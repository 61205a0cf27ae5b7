/**
 * Issue 8's figures at city scale, on this machine, against the real
 * services scripts/services.sh starts (in a private directory on free
 * ports). Never part of the test suite.
 *
 *   npm run bench -- --part city [flags]      (--help lists them)
 *
 * For each registry size (10k, 100k, 200k by default, from the project's
 * generator) the platform is started as `npm start` runs it and driven with
 * steady device updates (1,000 a second, some raising alerts) while a duty
 * officer's Socket.IO client listens. At --devices (100k) the dashboard is
 * opened in headless Chromium as a duty officer: time to every device
 * drawn, then windows of frame intervals, long tasks and the link's state.
 * Every size gives the platform's CPU (% of one core) and RSS at steady load
 * and `/api/devices` bytes on the wire; --devices also the restart time to
 * `/api/health` 200. Each window records what other processes took
 * (`others … cores`): the machine is shared.
 * Progress goes to stderr; figures to stdout, one `name: value` a line.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io, type Socket } from 'socket.io-client';
import type { DevicePatch, Registry } from '@lifeline/core';
import { buildCity, formatRegistry } from '@lifeline/simulators/dist/generate-registry.js';
import { parseFlags } from './lib/flags.js';
import { CityLoad } from './lib/city-load.js';
import { CITY_FLAGS } from './lib/city-options.js';
import { CityPage, type WindowFigures } from './lib/city-page.js';
import { CityPlatform, CityUser, wireSize } from './lib/city-platform.js';
import { CpuMeter, waitQuiet, type CpuShare } from './lib/machine.js';
import { figure, median, round, say, sleep } from './lib/report.js';
import { ROOT, servicePid, startServices, removeServices, type Services } from './lib/services.js';

const flags = parseFlags(
  CITY_FLAGS,
  process.argv.slice(2),
  "npm run bench -- --part city [flags]: the dashboard at city scale in headless Chromium (frames, long tasks, time to drawn, link), the platform's CPU and RSS at steady load per registry size, restart time, /api/devices bytes on the wire",
);
if (flags.part !== 'city') {
  say(`--part ${flags.part}: this script runs only "city" (the other parts are bench/pipeline.ts)`);
  process.exit(2);
}
/** Every device reports once an hour here: a device the load heard once must not fall offline (and raise an alert) before its turn comes again. */
const QUIET_INTERVAL_S = 3600;
const PROGRESS_MS = 10_000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-city-'));
const started = Date.now();
const cleanups: (() => void | Promise<void>)[] = [];
let cleaned = false;
async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => undefined);
  removeServices(dir, say);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping what the bench started`);
    void cleanUp().then(() => process.exit(130));
  });
}

const fmt = (values: number[], digits = 0) => {
  const ok = values.filter(Number.isFinite);
  if (!ok.length) return 'n/a';
  const r = (n: number) => round(n, digits).toLocaleString('en-US');
  return ok.length === 1 ? r(ok[0]!) : `${r(median(ok))} (${r(Math.min(...ok))}–${r(Math.max(...ok))})`;
};
const others = (shares: CpuShare[]) =>
  `others ${fmt(
    shares.map((s) => s.foreign),
    2,
  )} cores`;

function writeCity(devices: number): { file: string; registry: Registry } {
  const t0 = Date.now();
  const registry = buildCity(devices);
  for (const d of registry.devices) d.intervalS = QUIET_INTERVAL_S;
  const file = path.join(dir, `city-${devices}.json`);
  writeFileSync(file, formatRegistry(registry, 'lines'));
  say(`registry of ${devices.toLocaleString('en-US')} devices written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { file, registry };
}

/** A duty officer's Socket.IO link, as a dashboard holds it: counts the device patches it is sent. */
async function listen(url: string, cookie: string): Promise<{ socket: Socket; patches: () => number }> {
  let n = 0;
  const socket = io(url, { transports: ['websocket'], extraHeaders: { cookie: `lifeline_session=${cookie}` } });
  socket.on('devices', (p: DevicePatch[]) => (n += p.length));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return { socket, patches: () => n };
}

function progressWhile(load: CityLoad, p: CityPlatform, label: string): () => void {
  let last = { t: Date.now(), sent: load.counts.sent, acked: load.counts.acked, cpu: p.cpuSeconds() };
  const timer = setInterval(() => {
    const now = { t: Date.now(), sent: load.counts.sent, acked: load.counts.acked, cpu: p.cpuSeconds() };
    const s = (now.t - last.t) / 1000;
    const mem = p.memory();
    say(
      `${label}: offered ${Math.round((now.sent - last.sent) / s)}/s, acknowledged ${Math.round((now.acked - last.acked) / s)}/s, platform ${Math.round(((now.cpu - last.cpu) / s) * 100)} % of a core, RSS ${Math.round(mem.rssMb)} MB; ${load.counts.firstHeard} devices heard, ${load.counts.yellow} yellow and ${load.counts.red} red alerts raised`,
    );
    last = now;
  }, PROGRESS_MS);
  return () => clearInterval(timer);
}

interface CpuWindow {
  cpuPct: number;
  usPerUpdate: number;
  rssMb: number;
  patchesPerS: number;
  share: CpuShare;
}

async function cpuWindow(p: CityPlatform, load: CityLoad, patches: () => number, meterRoots: () => number[], seconds: number): Promise<CpuWindow> {
  const meter = new CpuMeter(meterRoots);
  const c0 = p.cpuSeconds();
  const s0 = load.counts.sent;
  const n0 = patches();
  const t0 = Date.now();
  await sleep(seconds * 1000);
  const s = (Date.now() - t0) / 1000;
  const cpu = p.cpuSeconds() - c0;
  return {
    cpuPct: (cpu / s) * 100,
    usPerUpdate: (cpu / Math.max(1, load.counts.sent - s0)) * 1e6,
    rssMb: p.memory().rssMb,
    patchesPerS: (patches() - n0) / s,
    share: meter.read(),
  };
}

async function bytesOnTheWire(p: CityPlatform, cookie: string, size: number): Promise<void> {
  for (const [name, q] of [
    ['full', '/api/devices'],
    ['compact', '/api/devices?format=compact'],
  ] as const) {
    let plain, gz;
    try {
      plain = await wireSize(p.httpUrl, q, cookie, 'identity');
      gz = await wireSize(p.httpUrl, q, cookie, 'gzip');
    } catch (err) {
      // A figure, not the end of the run: what the platform logged about it goes with it.
      const said = p.lastLog().trim().split('\n').slice(-3).join(' | ');
      figure(`city.${size}.devices_${name}_bytes`, `failed: ${(err as Error).message}; the platform logged: ${said || 'nothing'}`);
      continue;
    }
    figure(
      `city.${size}.devices_${name}_bytes`,
      `${plain.wire.toLocaleString('en-US')} uncompressed (${(plain.wire / size).toFixed(1)} a device), ${gz.wire.toLocaleString('en-US')} ${gz.encoding} (${(gz.wire / size).toFixed(1)} a device, ${gz.ms} ms)`,
    );
  }
}

async function dashboard(p: CityPlatform, cookie: string, size: number, meterRoots: () => number[]): Promise<void> {
  const page = await CityPage.open(p.httpUrl, cookie, flags.reducedMotion);
  cleanups.push(() => page.close());
  say(`dashboard: navigating as a duty officer${flags.reducedMotion ? ' (prefers-reduced-motion: reduce)' : ''}`);
  const load = await page.load(p.httpUrl, size, say);
  figure(`city.dashboard.navigation_to_loaded_ms`, load.loadedMs);
  figure(`city.dashboard.navigation_to_drawn_ms`, load.drawnMs);
  figure(`city.dashboard.first_load_long_tasks`, `${load.loadLongTasks}, longest ${Math.round(load.loadLongestTaskMs)} ms`);
  if (load.list)
    figure(
      `city.dashboard.device_list`,
      `${load.list.url.replace(p.httpUrl, '')}: ${load.list.bytes} bytes, ${load.list.wire} on the wire, ${Math.round(load.list.ms)} ms`,
    );
  say(`dashboard: every device drawn in ${load.drawnMs} ms; ${flags.warmupSeconds} s of updates before the windows`);
  await sleep(flags.warmupSeconds * 1000);
  const windows: (WindowFigures & { share: CpuShare; cpuPct: number })[] = [];
  for (let i = 1; i <= flags.windows; i++) {
    const meter = new CpuMeter(meterRoots);
    const c0 = p.cpuSeconds();
    const w = await page.sample(flags.windowSeconds);
    const share = meter.read();
    const cpuPct = ((p.cpuSeconds() - c0) / share.seconds) * 100;
    windows.push({ ...w, share, cpuPct });
    const st = await page.state();
    say(
      `dashboard window ${i}/${flags.windows}: ${w.frames} frames, median ${w.frameMedianMs.toFixed(1)} ms, p95 ${w.frameP95Ms.toFixed(1)} ms, longest task ${Math.round(w.longestTaskMs)} ms (${w.longTasks} over 50 ms); link ${w.states.join(' → ')}; ${st.alerts} open alerts, ${st.rings} rings, ${st.rows} alert rows in the DOM; platform ${Math.round(cpuPct)} % of a core; others ${share.foreign.toFixed(2)} cores (${share.topForeign.join(' ')})`,
    );
    figure(
      `city.dashboard.window_${i}`,
      `median ${w.frameMedianMs.toFixed(1)} ms, p95 ${w.frameP95Ms.toFixed(1)} ms, longest task ${Math.round(w.longestTaskMs)} ms, ${w.longTasks} long tasks, link ${w.states.join('→')}, ${st.alerts} open alerts, ${st.rings} rings, others ${share.foreign.toFixed(2)} cores`,
    );
  }
  figure(
    'city.dashboard.frame_median_ms',
    `${fmt(
      windows.map((w) => w.frameMedianMs),
      1,
    )} over ${windows.length} windows of ${flags.windowSeconds} s, ${others(windows.map((w) => w.share))}`,
  );
  figure(
    'city.dashboard.frame_p95_ms',
    fmt(
      windows.map((w) => w.frameP95Ms),
      1,
    ),
  );
  figure('city.dashboard.longest_task_ms', fmt(windows.map((w) => w.longestTaskMs)));
  figure('city.dashboard.platform_cpu_pct', fmt(windows.map((w) => w.cpuPct)));
  const end = await page.state();
  figure('city.dashboard.link_at_end', `${end.link}; states seen ${[...new Set(windows.flatMap((w) => w.states))].join(', ')}`);
  figure(
    'city.dashboard.at_end',
    `${end.alerts} open alerts, ${end.rings} pulsing rings, ${end.rows} alert rows in the DOM, ${page.errors.length} page errors`,
  );
  for (const e of page.errors.slice(0, 5)) say(`page error: ${e}`);
  if (flags.screenshot) {
    const shot = path.resolve(ROOT, flags.screenshot);
    mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot(shot);
    say(`screenshot: ${shot}`);
  }
  await page.close();
}

async function size(s: Services, devices: number, duty: CityUser): Promise<void> {
  const { file, registry } = writeCity(devices);
  const db = `city_${devices}`;
  const dataDir = path.join(dir, db);
  const clientId = `bench-city-ingest-${devices}`;
  const servicePids = () => (['mosquitto', 'influxdb', 'postgres'] as const).map((n) => servicePid(s, n)).filter((p): p is number => p !== null);
  const q = await waitQuiet(flags.quietIdle, flags.quietTimeout, servicePids);
  say(`${devices}: starting the platform (machine ${(q.idle * 100).toFixed(0)} % idle${q.quiet ? '' : ', never quiet'})`);
  const env = Object.fromEntries(
    flags.platformEnv
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  let p = await CityPlatform.start(s, { db, registry: file, dataDir, clientId, env, verbose: flags.verbose });
  cleanups.push(() => p.kill());
  figure(`city.${devices}.first_start_to_healthy_ms`, p.startMs);
  const roots = () => [p.pid, ...servicePids()];
  const cookie = await duty.login(p.httpUrl, file);
  const link = await listen(p.httpUrl, cookie);
  const load = await CityLoad.connect({
    mqttUrl: s.mqttUrl,
    registry,
    rate: flags.rate,
    alertRate: flags.alertRate,
    redRate: flags.redRate,
    clientId: `bench-city-load-${devices}`,
  });
  cleanups.push(() => load.end());
  const stopProgress = progressWhile(load, p, `${devices}`);
  load.start();
  if (flags.browser && devices === flags.devices) await dashboard(p, cookie, devices, roots);
  else await sleep(flags.warmupSeconds * 1000);

  const windows: CpuWindow[] = [];
  for (let i = 1; i <= flags.windows; i++) {
    const w = await cpuWindow(p, load, link.patches, roots, flags.windowSeconds);
    windows.push(w);
    say(
      `${devices} window ${i}/${flags.windows}: platform ${w.cpuPct.toFixed(0)} % of a core (${w.usPerUpdate.toFixed(0)} µs an update), RSS ${Math.round(w.rssMb)} MB, ${Math.round(w.patchesPerS)} patches/s to the duty socket; others ${w.share.foreign.toFixed(2)} cores`,
    );
  }
  const mem = p.memory();
  figure(
    `city.${devices}.platform_cpu_pct`,
    `${fmt(windows.map((w) => w.cpuPct))} of a core at ${flags.rate} updates/s over ${windows.length} windows of ${flags.windowSeconds} s, ${others(windows.map((w) => w.share))}`,
  );
  figure(`city.${devices}.platform_us_per_update`, fmt(windows.map((w) => w.usPerUpdate)));
  figure(`city.${devices}.platform_rss_mb`, `${fmt(windows.map((w) => w.rssMb))} (peak ${Math.round(mem.peakMb)})`);
  figure(`city.${devices}.patches_per_s_to_a_duty_socket`, fmt(windows.map((w) => w.patchesPerS)));
  await bytesOnTheWire(p, cookie, devices);
  stopProgress();
  load.pause();
  link.socket.close();
  figure(
    `city.${devices}.load`,
    `${load.counts.sent} readings sent, ${load.counts.acked} acknowledged, ${load.counts.firstHeard} devices heard, ${load.counts.yellow} yellow and ${load.counts.red} red alerts raised`,
  );

  if (flags.restart && devices === flags.devices) {
    const history = Math.round((Date.now() - started) / 60_000);
    const stopMs = await p.stop();
    figure(`city.${devices}.stop_ms`, stopMs);
    const restarts: number[] = [];
    for (let i = 0; i < flags.windows; i++) {
      await waitQuiet(flags.quietIdle, flags.quietTimeout, servicePids);
      p = await CityPlatform.start(s, { db, registry: file, dataDir, clientId, port: p.port, env, verbose: flags.verbose });
      restarts.push(p.startMs);
      say(`${devices}: restart ${i + 1}/${flags.windows} healthy in ${p.startMs} ms`);
      if (i < flags.windows - 1) await p.stop();
    }
    figure(
      `city.${devices}.restart_to_healthy_ms`,
      `${fmt(restarts)} over ${restarts.length} restarts (the data of this run: ${history} min, ${load.counts.acked} readings, its rule state and alerts)`,
    );
    const crashAfterS = flags.crashAfterSeconds;
    if (crashAfterS > 0) {
      // A crash under the load: no final snapshots, so the start reads back what came after the periodic ones.
      const crashes: number[] = [];
      for (let i = 0; i < flags.windows; i++) {
        await sleep(crashAfterS * 1000);
        await p.killed();
        p = await CityPlatform.start(s, { db, registry: file, dataDir, clientId, port: p.port, env, verbose: flags.verbose });
        crashes.push(p.startMs);
        say(`${devices}: restart ${i + 1}/${flags.windows} after a SIGKILL healthy in ${p.startMs} ms`);
      }
      figure(
        `city.${devices}.restart_after_kill_ms`,
        `${fmt(crashes)} over ${crashes.length} restarts, each after a SIGKILL ${crashAfterS} s into a run under ${flags.rate} updates/s`,
      );
    }
  }
  await load.end();
  await p.stop();
  await fetch(`${s.influxUrl}/query`, { method: 'POST', body: new URLSearchParams({ q: `DROP DATABASE "${db}"` }) }).then(
    (r) => r.arrayBuffer(),
    () => undefined,
  );
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(file, { force: true });
}

function head(): string {
  try {
    const h = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .split('\n')
      .filter(Boolean).length;
    return `commit ${h}${dirty ? ` + ${dirty} uncommitted files` : ''}`;
  } catch {
    return 'no git';
  }
}

try {
  say(`starting Mosquitto, InfluxDB and PostgreSQL in ${dir}`);
  const s = await startServices(dir);
  figure('bench.started', new Date(started).toISOString());
  figure('bench.machine', `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GB, node ${process.version}`);
  figure('bench.platform', `${path.join(ROOT, 'server/dist/main.js')}, ${head()}`);
  figure(
    'city.load',
    `${flags.rate} readings/s over one MQTT connection (QoS 1), of which ${flags.alertRate}/s raise yellow and ${flags.redRate}/s red gas alerts`,
  );
  const duty = new CityUser(s, 'bench-duty', 'duty');
  const sizes = [...new Set([...flags.sizes, ...(flags.browser || flags.restart ? [flags.devices] : [])])].sort((a, b) => a - b);
  for (const n of sizes) await size(s, n, duty);
  figure('bench.minutes', ((Date.now() - started) / 60_000).toFixed(1));
} finally {
  await sleep(200);
  await cleanUp();
}
