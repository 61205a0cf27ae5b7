import { LEVEL_LABELS, LEVELS, levelRank, type CorrelationRule, type DeviceKind, type Level } from '@lifeline/core';

/** What a site's detectors report, by device then rule: [level, kind, a fire or smoke event]. */
export interface SiteState {
  devs: Record<string, Record<string, [Level, DeviceKind, boolean]>>;
}

const FIRE_RULES = new Set(['event:fire', 'event:smoke']);

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
