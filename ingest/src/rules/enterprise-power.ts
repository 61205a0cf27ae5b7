import type { Device, RulesFile, Signal, Tenant } from '@lifeline/core';
import { intervalOf } from '@lifeline/core/node';
import { emptyBaseline, evalPower, observeBaseline, scheduleOf, type PowerRule, type SustainState, type WeekBaseline } from './power.js';
import { entry, type MeterReadings } from './rule-state.js';

/** Meter readings older than this many intervals no longer count in an enterprise's total. */
const METER_FRESH_INTERVALS = 3;

export interface EnterpriseState {
  meters: Map<string, MeterReadings>;
  /** By `tenant|rule`. */
  enterprise: Map<string, SustainState>;
  baselines: Map<string, WeekBaseline>;
}

export interface EnterpriseContext {
  tenantOf?: (id: string) => Tenant | undefined;
  rules: () => RulesFile;
  emit: (signal: Signal) => void;
}

/**
 * Enterprise power: each meter's reading joins its enterprise's total, which
 * the enterprise rules judge (shutdown, overload, schedule, the learned
 * hour-of-week baseline) as one condition per enterprise, not per meter.
 */
export class EnterprisePower {
  constructor(
    private readonly st: EnterpriseState,
    private readonly ctx: EnterpriseContext,
  ) {}

  onReading(device: Device, rules: PowerRule[], kw: number, ts: number): void {
    const tenant = this.ctx.tenantOf?.(device.tenant);
    const ent = tenant?.enterprise;
    if (!tenant || !ent) return;
    const meters = entry(this.st.meters, tenant.id, () => ({}));
    const prev = meters[device.id];
    if (prev && prev[0] > ts) return; // an older reading from a buffered batch
    meters[device.id] = [ts, kw];
    const fresh = ts - intervalOf(device) * METER_FRESH_INTERVALS * 1000;
    let total = 0;
    for (const [at, v] of Object.values(meters)) if (at >= fresh) total += v;
    const schedule = scheduleOf(this.ctx.rules(), tenant);
    const baseline = entry(this.st.baselines, tenant.id, emptyBaseline);
    const site = device.site ?? tenant.name;
    for (const r of rules) {
      const s = entry(this.st.enterprise, `${tenant.id}|${r.id}`, () => ({ level: null }));
      const before = s.level;
      const out = evalPower(r, s, { ent, totalKw: total, ts, schedule, baseline });
      if (!out.level && !before) continue;
      this.ctx.emit({
        device: device.id,
        rule: r.id,
        ruleType: 'power',
        level: out.level,
        ts,
        site,
        metric: 'p_kw',
        value: Math.round(total * 10) / 10,
        ...(out.level && out.threshold !== undefined ? { threshold: Math.round(out.threshold * 10) / 10 } : {}),
        ...(out.level && out.detail ? { detail: out.detail } : {}),
      });
    }
    observeBaseline(baseline, ts, total, schedule.utcOffsetH ?? 8);
  }

  /** Applies hour-of-week baselines learned from history (they replace what was there for the hours they know). */
  applyBaselines(learned: Map<string, WeekBaseline>): void {
    for (const [tenant, b] of learned) {
      const cur = entry(this.st.baselines, tenant, emptyBaseline);
      for (let h = 0; h < b.mean.length; h++) {
        if (b.mean[h] !== null && (b.weeks[h] ?? 0) > 0) {
          cur.mean[h] = b.mean[h]!;
          cur.weeks[h] = b.weeks[h]!;
        }
      }
    }
  }

  baselineOf(tenant: string): WeekBaseline | undefined {
    return this.st.baselines.get(tenant);
  }
}
