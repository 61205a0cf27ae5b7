/**
 * Per-second work at city size, before and after issue 8's changes: the
 * offline check, the escalation check, saving rule state, and a mass event
 * (every device falling silent at once) through the rule engine and the alert
 * manager; plus what start-up spends on the registry and the rule state.
 * "Before" is the walk the old code did every tick (kept here, as it was, to
 * time it on the same data). Prints figures; asserts nothing.
 *
 *   node --import tsx bench/city-ticks.ts [--devices 100000]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_RULES, effectiveRules, isOpen, type Alert, type Device, type OfflineRule, type Signal } from '@lifeline/core';
import { checkRegistry, intervalOf, loadRegistry } from '@lifeline/core/node';
import { OFFLINE_SLICE, RuleEngine, RuleStateFile } from '@lifeline/ingest';
import { buildCity, formatRegistry } from '@lifeline/simulators/dist/generate-registry.js';
import { normalValues } from '@lifeline/simulators/dist/feeds.js';
import { createRng } from '@lifeline/simulators/dist/rng.js';
import { AlertManager, DEFAULT_ESCALATION } from '@lifeline/server/dist/alerts/alert-manager.js';
import { escalationDueAt } from '@lifeline/server/dist/alerts/escalation.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const N = arg('devices', 100_000);
const T0 = Date.UTC(2026, 11, 1, 2);
const ms = (f: () => void): number => {
  const s = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - s) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const out: [string, string, string][] = [];
const figure = (what: string, before: string, after: string) => {
  out.push([what, before, after]);
  console.log(`${what}: before ${before}, after ${after}`);
};

const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-city-ticks-'));
try {
  // --- start-up: the registry --------------------------------------------------
  const city = buildCity(N);
  const registryFile = path.join(dir, 'registry.json');
  writeFileSync(registryFile, formatRegistry(city, 'lines'));
  const loads: number[] = [];
  let registry = checkRegistry(city);
  for (let i = 0; i < 3; i++) loads.push(ms(() => (registry = loadRegistry(registryFile))));
  figure(`registry load at ${N} devices (loadRegistry, median of 3)`, `${fmt(median(loads))} ms`, '(unchanged)');
  const devices = registry.devices;
  const byId = registry.byId;

  // --- the engine, every device heard, a realistic state -------------------------
  const signals: Signal[] = [];
  let now = T0;
  const engine = new RuleEngine({
    lookup: (id) => byId.get(id),
    tenantOf: (id) => registry.tenantsById.get(id),
    onSignal: (s) => signals.push(s),
    now: () => now,
  });
  const rng = createRng(1);
  const ctx = (d: Device) => ({ tenant: registry.tenantsById.get(d.tenant), meterCount: 2, startMs: T0 });
  // Three readings a device: every per-device state (anomaly, flatline, rate windows) exists, as after a while of running.
  for (let k = 0; k < 3; k++) {
    for (const d of devices) {
      const ts = T0 + k * 30_000;
      engine.seen(d, ts);
      engine.onReading(d, { ts, values: normalValues(d, ctx(d), ts, rng) });
    }
  }
  now = T0 + 90_000;

  // --- offline check: a tick with nothing due ------------------------------------
  const offlineRule = new Map<string, OfflineRule | undefined>();
  for (const d of devices)
    offlineRule.set(
      d.id,
      effectiveRules(d, DEFAULT_RULES).find((r): r is OfflineRule => r.type === 'offline'),
    );
  const lastSeen = new Map(devices.map((d) => [d.id, T0 + 60_000]));
  const offline = new Set<string>();
  /** The old OfflineWatch.check: every heard device, every tick. */
  const oldCheck = (t: number) => {
    let n = 0;
    for (const [id, at] of lastSeen) {
      if (offline.has(id)) continue;
      const device = byId.get(id);
      if (!device) continue;
      const r = offlineRule.get(id);
      if (r && t - at > (intervalOf(device) * r.afterIntervals + r.graceS) * 1000) n++;
    }
    return n;
  };
  const oldTicks: number[] = [];
  const newTicks: number[] = [];
  for (let i = 0; i < 30; i++) {
    oldTicks.push(ms(() => oldCheck(now + i * 1000)));
    newTicks.push(ms(() => engine.tick(now + i * 100)));
  }
  figure(`offline check per tick, ${N} devices heard, none due (median of 30)`, `${fmt(median(oldTicks))} ms`, `${fmt(median(newTicks))} ms`);

  // --- rule state: the 5-second save ---------------------------------------------
  const stateDir = path.join(dir, 'state');
  const file = new RuleStateFile(stateDir);
  let fullBytes = 0;
  const full = ms(() => {
    file.save(engine.snapshotForSave());
    fullBytes = file.snapshotBytes;
  });
  // Five seconds at 2,300 messages a second (the city's realistic rate), then what the log appends.
  const RATE = 2300;
  for (let i = 0; i < RATE * 5; i++) {
    const d = devices[(i * 7919) % devices.length]!;
    const ts = T0 + 120_000 + Math.floor(i / RATE) * 1000;
    engine.seen(d, ts);
    engine.onReading(d, { ts, values: normalValues(d, ctx(d), ts, rng) });
  }
  const before = file.logBytes;
  const inc = ms(() => file.append(engine.takeChanges()));
  figure(
    `rule state save every 5 s at ${RATE} msg/s`,
    `${fmt(full)} ms, ${(fullBytes / 1e6).toFixed(1)} MB rewritten (whole snapshot)`,
    `${fmt(inc)} ms, ${((file.logBytes - before) / 1e3).toFixed(1)} kB appended (a snapshot every 10 min)`,
  );
  file.close();
  const restored = new RuleEngine({ lookup: (id) => byId.get(id), tenantOf: (id) => registry.tenantsById.get(id), onSignal: () => undefined });
  const loadMs = ms(() => {
    const snap = new RuleStateFile(stateDir).load();
    if (snap) restored.restore(snap);
  });
  figure(`rule state load + restore at start (${(fullBytes / 1e6).toFixed(1)} MB snapshot + log)`, '(same file format)', `${fmt(loadMs)} ms`);

  // --- a mass event: every device silent, through the alert manager ------------------
  let t = T0 + 10 * 60_000;
  let notified = 0;
  const alerts = new AlertManager({
    lookup: (id) => byId.get(id),
    log: { append: () => undefined, flush: async () => undefined },
    onChange: (c) => {
      if (c.notify) notified++;
    },
    now: () => t,
  });
  const massEngine = new RuleEngine({ lookup: (id) => byId.get(id), onSignal: (s) => alerts.onSignal(s), now: () => t });
  for (const d of devices) massEngine.seen(d, T0);
  const slices: number[] = [];
  const total = ms(() => {
    // What the timer does: slices of OFFLINE_SLICE devices (run back to back here, timed one by one).
    for (;;) {
      let more = false;
      slices.push(ms(() => (more = (massEngine as unknown as { offline: { check(n: number, max: number): boolean } }).offline.check(t, OFFLINE_SLICE))));
      if (!more) break;
    }
  });
  figure(
    `every one of ${N} devices falling silent at once (engine + alert manager, log stubbed)`,
    'one pass, quadratic in the issue (raise scanned every alert): minutes, platform frozen',
    `${fmt(total)} ms in all, ${slices.length} slices, longest ${fmt(Math.max(...slices))} ms; ${alerts.openCount} open alerts, ${notified} notified`,
  );

  // --- escalation check: a tick with every device's alert open ------------------------
  t += 60_000;
  const active = alerts.list({ state: 'open', limit: N + 10 });
  const oldEsc = (at: number) => {
    let n = 0;
    for (const a of active as Alert[]) {
      if (!isOpen(a.state)) continue;
      if (a.silence) continue;
      const due = escalationDueAt(a, DEFAULT_ESCALATION);
      if (due !== null && at >= due) n++;
    }
    return n;
  };
  const oldEscTicks: number[] = [];
  const newEscTicks: number[] = [];
  for (let i = 0; i < 30; i++) {
    oldEscTicks.push(ms(() => oldEsc(t)));
    newEscTicks.push(ms(() => alerts.tick()));
    t += 1000;
  }
  figure(
    `escalation check per tick with ${active.length} open alerts (median of 30)`,
    `${fmt(median(oldEscTicks))} ms (a walk over every alert)`,
    `${fmt(median(newEscTicks))} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('\n| what | before | after |\n|---|---|---|');
for (const [w, b, a] of out) console.log(`| ${w} | ${b} | ${a} |`);
