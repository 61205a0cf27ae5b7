import { describe, expect, it } from 'vitest';
import { LEVELS, type Device, type Level, type Signal } from '@lifeline/core';
import { CONFIG_KEYS, intervalOf, loadRegistry } from '@lifeline/core/node';
import { RuleEngine, emptyBaseline, foldHour, type WeekBaseline } from '@lifeline/ingest';
import { normalEvent, normalValues, type FeedContext } from '../../../simulators/src/feeds.js';
import { createRng } from '../../../simulators/src/rng.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
const HOUR = 3_600_000;
/** Sunday 2025-03-02 00:00 in 清新区 (UTC+8): a Sunday, then a weekday. */
const SUNDAY = Date.UTC(2025, 2, 1, 16);
const HOURS = 48;

function contextOf(device: Device): FeedContext {
  const tenant = registry.tenantsById.get(device.tenant);
  const meterCount = registry.devices.filter((d) => d.tenant === device.tenant && d.kind === 'power').length;
  return { tenant, meterCount, startMs: SUNDAY };
}

/** Four earlier weeks of each enterprise's simulated power, as InfluxDB would hand them to the engine at start-up. */
function learnedBaselines(): Map<string, WeekBaseline> {
  const out = new Map<string, WeekBaseline>();
  const rng = createRng(7);
  const meters = registry.devices.filter((d) => d.kind === 'power');
  for (let w = 4; w >= 1; w--) {
    for (let h = 0; h < 168; h++) {
      const hourStart = SUNDAY - w * 168 * HOUR + h * HOUR;
      const sums = new Map<string, number>();
      for (const m of meters) {
        let sum = 0;
        for (let k = 0; k < 6; k++) sum += normalValues(m, contextOf(m), hourStart + k * 600_000, rng).p_kw!;
        sums.set(m.tenant, (sums.get(m.tenant) ?? 0) + sum / 6);
      }
      for (const [tenant, kw] of sums) {
        if (!out.has(tenant)) out.set(tenant, emptyBaseline());
        foldHour(out.get(tenant)!, hourStart, kw, 8, 4);
      }
    }
  }
  return out;
}

describe('a simulated normal day through the full rule engine', () => {
  it('raises no red or orange signal, and counts the rest', () => {
    const signals: Signal[] = [];
    let now = SUNDAY;
    const e = new RuleEngine({
      lookup: (id) => registry.byId.get(id),
      tenantOf: (id) => registry.tenantsById.get(id),
      onSignal: (s) => signals.push(s),
      now: () => now,
    });
    e.applyBaselines(learnedBaselines());
    const devices = registry.devices.map((d, i) => ({ d, ctx: contextOf(d), step: intervalOf(d) * 1000, rng: createRng(i + 1) }));
    for (now = SUNDAY; now < SUNDAY + HOURS * HOUR; now += 30_000) {
      for (const { d, ctx, step, rng } of devices) {
        if ((now - SUNDAY) % step !== 0) continue;
        e.seen(d, now);
        e.onReading(d, { ts: now, values: normalValues(d, ctx, now, rng) });
        const ev = normalEvent(d, now, rng);
        if (ev) e.onEvent(d, { ...ev, ts: now });
      }
      if ((now - SUNDAY) % 60_000 === 0) e.tick(now);
    }
    // The baselines were there to judge against, and the anomaly rules were past warm-up.
    expect(e.baselineOf('ent-01')!.weeks.every((w) => w >= 4)).toBe(true);
    const snap = new Map(e.snapshot().state);
    expect((snap.get('d|wp-0001|mpa_anomaly') as { n: number } | undefined)?.n).toBeGreaterThan(240);
    const raised = signals.filter((s) => s.level);
    const byLevel = Object.fromEntries(LEVELS.map((l) => [l, raised.filter((s) => s.level === l).length])) as Record<Level, number>;
    const alerts = new Set(raised.map((s) => `${s.site ?? s.device}|${s.rule}|${s.level}`));
    const byRule: Record<string, number> = {};
    for (const k of alerts) {
      const rule = k.split('|')[1]!;
      byRule[rule] = (byRule[rule] ?? 0) + 1;
    }
    console.log(`normal ${HOURS} h, ${registry.devices.length} devices: signals by level`, byLevel, 'distinct alerts by rule', byRule);
    expect(byLevel.red + byLevel.orange).toBe(0);
    expect(byLevel.yellow).toBe(0);
    // Only the feeds' own rare panel faults (blue, a few a day by design); nothing from the other rules.
    expect(Object.keys(byRule).filter((r) => r !== 'event:fault')).toEqual([]);
    // 48 h of 406 devices is ~1.6M readings: seconds of CPU, more on a loaded CI machine.
  }, 120_000);
});
