/**
 * How long each scripted incident takes to be detected, with the rules of
 * data/rules.json, replayed through the rule engine on a simulated clock
 * (the devices' own reporting intervals; no broker, no database).
 *   node --import tsx bench/detection-delay.ts
 * Prints one line per incident and level: seconds from the incident's start to the first signal.
 */
import type { Device, Level, Signal } from '@lifeline/core';
import { CONFIG_KEYS, intervalOf, loadRegistry } from '@lifeline/core/node';
import { RuleEngine, loadRulesFile } from '@lifeline/ingest';
import { meterCapacity, normalValues, type FeedContext } from '@lifeline/simulators/dist/feeds.js';
import { GasLeak, INCIDENT_INTERVAL_S, ShutdownViolation, defaultGasDevice, defaultStoppedEnterprise } from '@lifeline/simulators/dist/incidents.js';
import { createRng } from '@lifeline/simulators/dist/rng.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
const rules = loadRulesFile(CONFIG_KEYS.rulesPath.default);
const devices = [...registry.byId.values()];
// A Tuesday, 10:00 in UTC+8: working hours, so nothing but the incident is unusual.
const T0 = Date.UTC(2026, 10, 24, 2);
const WARMUP_S = 3600;
const rng = createRng(7);

interface Scenario {
  name: string;
  devices: Device[];
  /** Seconds between readings of a device, and its reading at incident-relative second s (null: normal). */
  interval: (d: Device, s: number) => number;
  value: (d: Device, s: number, normal: Record<string, number>) => Record<string, number> | null;
  event?: (d: Device, s: number) => Signal['event'] | null;
  rules: (s: Signal) => boolean;
  durationS: number;
}

function ctxOf(d: Device): FeedContext {
  const meters = devices.filter((x) => x.tenant === d.tenant && x.kind === 'power').length;
  return { tenant: registry.tenantsById.get(d.tenant), meterCount: Math.max(1, meters), startMs: T0 - WARMUP_S * 1000 };
}

function run(sc: Scenario): Map<Level, number> {
  let now = T0 - WARMUP_S * 1000;
  const first = new Map<Level, number>();
  const engine = new RuleEngine({
    lookup: (id) => registry.byId.get(id),
    tenantOf: (id) => registry.tenantsById.get(id),
    rules,
    now: () => now,
    onSignal: (s) => {
      if (s.level && sc.rules(s) && now >= T0 && !first.has(s.level)) first.set(s.level, (now - T0) / 1000);
    },
  });
  const next = new Map(sc.devices.map((d, i) => [d.id, now + i * 1000]));
  const end = T0 + sc.durationS * 1000;
  for (; now <= end; now += 1000) {
    const s = (now - T0) / 1000;
    for (const d of sc.devices) {
      if (now < next.get(d.id)!) continue;
      const normal = normalValues(d, ctxOf(d), now, rng);
      const values = (s >= 0 && sc.value(d, s, normal)) || normal;
      engine.seen(d, now);
      engine.onReading(d, { ts: now, values });
      const ev = s >= 0 ? sc.event?.(d, s) : null;
      if (ev) engine.onEvent(d, { ts: now, type: ev });
      next.set(d.id, now + sc.interval(d, s) * 1000);
    }
    engine.checkOffline(now);
  }
  return first;
}

const gasDevice = defaultGasDevice(devices)!;
const leak = new GasLeak(gasDevice, 0);
const violator = defaultStoppedEnterprise(devices, registry.tenants)!;
const violation = new ShutdownViolation(violator, 0);
const meters = devices.filter((d) => d.tenant === violator.id && d.kind === 'power');
const water = devices.find((d) => d.kind === 'water_pressure' && !d.thresholds)!;
const panel = devices.find((d) => d.kind === 'fire_panel')!;

const scenarios: Scenario[] = [
  {
    name: `gas leak (${gasDevice.id}, ramps blue→red over ~150 s, reports every ${INCIDENT_INTERVAL_S} s)`,
    devices: [gasDevice],
    interval: (d, s) => (leak.active(s) ? INCIDENT_INTERVAL_S : intervalOf(d)),
    value: (_d, s, n) => {
      const v = leak.value(s, rng);
      return v === null ? null : { ...n, ch4: v };
    },
    rules: (s) => s.rule === 'ch4_high',
    durationS: 300,
  },
  {
    name: `shutdown violation (${violator.id}, ${meters.length} meter(s), production load under 停产整顿)`,
    devices: meters,
    interval: (d) => intervalOf(d),
    value: (d, s, n) => {
      const kw = violation.value(d, meterCapacity(d, ctxOf(d)).capacityKw, s, rng);
      return kw === null ? null : { ...n, p_kw: kw };
    },
    rules: (s) => s.rule === 'power_stopped',
    durationS: 3600,
  },
  {
    name: `water main burst (${water.id}, 0.38 → 0.12 MPa in 20 s)`,
    devices: [water],
    interval: (d) => intervalOf(d),
    value: (_d, s, n) => ({ ...n, mpa: Math.max(0.12, 0.38 - (0.26 * s) / 20) }),
    rules: (s) => s.ruleType === 'rate' || s.rule === 'mpa_low',
    durationS: 300,
  },
  {
    name: `fire alarm (${panel.id})`,
    devices: [panel],
    interval: (d) => intervalOf(d),
    value: () => null,
    event: (_d, s) => (s === 0 ? 'fire' : null),
    rules: (s) => s.rule === 'event:fire',
    durationS: 120,
  },
  {
    name: `a gas detector falls silent (${gasDevice.id}, interval ${intervalOf(gasDevice)} s)`,
    devices: [gasDevice],
    interval: (d, s) => (s >= 0 ? 1e9 : intervalOf(d)),
    value: () => null,
    rules: (s) => s.ruleType === 'offline',
    durationS: 600,
  },
];

for (const sc of scenarios) {
  const first = run(sc);
  const parts = (['blue', 'yellow', 'orange', 'red'] as Level[]).filter((l) => first.has(l)).map((l) => `${l} ${first.get(l)!.toFixed(0)} s`);
  console.log(`detection_delay: ${sc.name}: ${parts.length ? parts.join(', ') : 'NOT DETECTED'}`);
}
