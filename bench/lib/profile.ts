/**
 * Where the platform's CPU goes at a high paced rate: Lifeline runs under
 * `node --cpu-prof`, the fleet offers `--profile-rate` for a warm-up and then
 * `--profile-seconds`, and only that steady window of the profile is
 * summarised (self time by function and by area, inclusive time by function).
 * The .cpuprofile stays in --profile-dir for Chrome DevTools or speedscope.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Bench } from './context.js';
import { clearSession } from './consumers.js';
import { processCpuSeconds } from './machine.js';
import { summarize } from './cpu-profile.js';
import { figure, say, sleep } from './report.js';
import { ROOT } from './services.js';

const WARMUP_MS = 5000;

export async function profile(b: Bench): Promise<void> {
  const f = b.flags;
  const dir = path.resolve(ROOT, f.profileDir, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  await b.quiet('profile');
  const db = b.fresh('profile');
  await b.influx.create(db);
  const clientId = `bench-ingest-${db}`;
  const spawned = Date.now();
  const p = await b.lifeline({ db, registry: b.registry(f.devices), dataDir: path.join(b.dir, db), clientId, cpuProfDir: dir });
  const fleet = await b.fleet(f.devices, f.connections, { probeRate: 0 });
  const r0 = await fleet.rate(f.profileRate);
  await sleep(WARMUP_MS);
  const from = Date.now();
  const meter = b.cpuMeter();
  const cpu0 = processCpuSeconds(p.pid);
  const sent0 = fleet.latest?.sent ?? 0;
  await sleep(f.profileSeconds * 1000);
  const to = Date.now();
  const cpu = meter.read();
  const processCpu = processCpuSeconds(p.pid) - cpu0;
  const windowMsgs = (fleet.latest?.sent ?? 0) - sent0;
  const r1 = await fleet.rate(0);
  const written = await b.influx.written(db);
  await fleet.end();
  await p.stop();
  await clearSession(b.s.mqttUrl, clientId);
  await b.influx.drop(db);
  const file = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile in ${dir}: did the platform exit cleanly?`);
  // Profile time starts when node does, a few ms after the spawn: good enough for a window of seconds.
  const s = summarize(path.join(dir, file), ROOT, (from - spawned) * 1000, (to - spawned) * 1000, f.top);
  say(`profile: ${path.join(dir, file)}`);
  figure('profile.file', path.join(dir, file));
  figure('profile.rate', `offered ${Math.round((r1.sent - r0.sent) / ((r1.at - r0.at) / 1000))}/s, stored ${written} of ${r1.sent - r0.sent}`);
  figure('profile.window_s', s.windowS.toFixed(1));
  figure('profile.platform_busy_share', (1 - s.idle).toFixed(3));
  figure('profile.platform_thread_us_per_msg', (((1 - s.idle) * s.windowS * 1e6) / windowMsgs).toFixed(1));
  figure('profile.platform_process_cpu_us_per_msg', ((processCpu * 1e6) / windowMsgs).toFixed(1));
  figure('profile.gc_share_of_busy', s.gc.toFixed(3));
  figure('profile.machine', `busy ${cpu.busy.toFixed(2)} cores, ours ${cpu.ours.toFixed(2)}, others ${cpu.foreign.toFixed(2)}`);
  // Shares of the platform thread's busy time.
  const list = (kind: string, xs: { name: string; share: number }[]) =>
    xs.forEach((x, i) => figure(`profile.${kind}.${String(i + 1).padStart(2, '0')}`, `${(x.share * 100).toFixed(1)} % ${x.name}`));
  list('self', s.self);
  list('area', s.areas);
  list('inclusive', s.inclusive);
}
