import { LEVEL_LABELS, LEVELS, levelRank, type CorrelationRule, type Device, type DeviceKind, type Level, type Signal } from '@lifeline/core';
import { entry, type SiteEntry } from './rule-state.js';

/** What a site's detectors report, by device then rule: [level, kind, a fire or smoke event]. */
export interface SiteState {
  devs: Record<string, Record<string, [Level, DeviceKind, boolean]>>;
}

const FIRE_RULES = new Set(['event:fire', 'event:smoke']);
/** Rule types whose conditions count towards a site's correlation. */
const CORRELATED = new Set<Signal['ruleType']>(['threshold', 'event', 'rate']);

export function updateSite(s: SiteState, device: string, kind: DeviceKind, rule: string, level: Level | null): void {
  const d = (s.devs[device] ??= {});
  if (level) d[rule] = [level, kind, FIRE_RULES.has(rule)];
  else delete d[rule];
  if (!Object.keys(d).length) delete s.devs[device];
}

const raise = (l: Level): Level => LEVELS[Math.max(0, LEVELS.indexOf(l) - 1)]!;

/** The level of one site rule over the site's current conditions, with why. */
export function evalCorrelation(rule: CorrelationRule, site: string, s: SiteState): { level: Level | null; detail?: string } {
  const min = levelRank(rule.minLevel);
  if (rule.mode === 'multi') {
    let n = 0;
    let worst: Level | null = null;
    for (const rules of Object.values(s.devs)) {
      let top: Level | null = null;
      for (const [level, kind] of Object.values(rules)) {
        if (rule.kinds.includes(kind) && levelRank(level) >= min && levelRank(level) > levelRank(top)) top = level;
      }
      if (!top) continue;
      n++;
      if (levelRank(top) > levelRank(worst)) worst = top;
    }
    if (n < (rule.minDevices ?? 2) || !worst) return { level: null };
    const level = rule.level ?? raise(worst);
    return { level, detail: `${site} 有 ${n} 个探测器同时报警（最高${LEVEL_LABELS[worst].zh}），合并为一条场所告警` };
  }
  let gas = false;
  let fire = false;
  for (const rules of Object.values(s.devs)) {
    for (const [level, kind, isFire] of Object.values(rules)) {
      if (!rule.kinds.includes(kind)) continue;
      if (isFire) fire = true;
      else if (kind === 'gas' && levelRank(level) >= min) gas = true;
    }
  }
  if (!gas || !fire) return { level: null };
  return { level: rule.level ?? 'red', detail: `${site} 可燃气体报警与火警同时发生` };
}

/** The site rules over the conditions of each site's detectors, by site name. */
export class SiteCorrelation {
  private rules: CorrelationRule[] = [];

  constructor(
    private readonly sites: Map<string, SiteEntry>,
    private readonly emit: (signal: Signal) => void,
  ) {}

  setRules(rules: CorrelationRule[]): void {
    this.rules = rules;
  }

  /**
   * Emits a device's signal and the site correlations it takes part in: a site
   * condition that starts goes first, so the device alert it brings in is
   * folded into the site alert instead of being raised (and notified) alone.
   */
  report(device: Device, signal: Signal): void {
    if (!device.site || !this.rules.length || !CORRELATED.has(signal.ruleType)) return this.emit(signal);
    const s = entry(this.sites, device.site, () => ({ devs: {} }));
    updateSite(s, device.id, device.kind, signal.rule, signal.level);
    const on = (s.on ??= {});
    const after: Signal[] = [];
    for (const r of this.rules) {
      if (!r.kinds.includes(device.kind)) continue;
      const before = on[r.id] ?? null;
      const { level, detail } = evalCorrelation(r, device.site, s);
      if (level) on[r.id] = level;
      else delete on[r.id];
      if (!level && !before) continue;
      const site: Signal = {
        device: device.id,
        rule: r.id,
        ruleType: 'correlation',
        site: device.site,
        level,
        ts: signal.ts,
        ...(level && detail ? { detail } : {}),
      };
      if (level && !before) this.emit(site);
      else after.push(site);
    }
    this.emit(signal);
    for (const x of after) this.emit(x);
    if (!Object.keys(s.devs).length && !Object.keys(on).length) this.sites.delete(device.site);
  }
}
