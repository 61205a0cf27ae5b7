/**
 * CPU cost of the full rule engine per message over a realistic mix: the
 * sample district's 406 devices (gas, power, fire panels, smoke, water,
 * drainage) sending normal readings at their own cadence, with every rule of
 * data/rules.json, correlation and enterprise totals. Run: node --import tsx bench/rule-cost.ts
 */
import { CONFIG_KEYS, intervalOf, loadRegistry } from '@lifeline/core/node';
import { RuleEngine, loadRulesFile } from '@lifeline/ingest';
import { normalValues } from '@lifeline/simulators/dist/feeds.js';
import { createRng } from '@lifeline/simulators/dist/rng.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
const rules = loadRulesFile(CONFIG_KEYS.rulesPath.default);
const START = Date.UTC(2025, 2, 2, 16);
const HOURS = 24;

// Precompute the messages so only the engine is timed.
const rng = createRng(1);
const msgs: { d: (typeof registry.devices)[number]; ts: number; values: Record<string, number> }[] = [];
for (let t = START; t < START + HOURS * 3_600_000; t += 30_000) {
  for (const d of registry.devices) {
    if ((t - START) % (intervalOf(d) * 1000) !== 0) continue;
    const tenant = registry.tenantsById.get(d.tenant);
    msgs.push({ d, ts: t, values: normalValues(d, { tenant, meterCount: 2, startMs: START }, t, rng) });
  }
}
let signals = 0;
function run(): number {
  const e = new RuleEngine({
    lookup: (id) => registry.byId.get(id),
    tenantOf: (id) => registry.tenantsById.get(id),
    onSignal: () => signals++,
    rules,
    now: () => START,
  });
  const t0 = process.hrtime.bigint();
  for (const m of msgs) {
    e.seen(m.d, m.ts);
    e.onReading(m.d, { ts: m.ts, values: m.values });
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / msgs.length;
}
run(); // warm-up
const us = Math.min(run(), run(), run());
const kinds: Record<string, number> = {};
for (const m of msgs) kinds[m.d.kind] = (kinds[m.d.kind] ?? 0) + 1;
console.log(
  `rule engine, full rules file: ${us.toFixed(2)} us/msg (${Math.round(1e6 / us)} msg/s on one core) over ${msgs.length} messages`,
  kinds,
  `signals: ${signals}`,
);
