import { KINDS } from '../kinds.js';
import { LEVELS, type Level } from '../levels.js';
import type { LevelValues } from '../schemas/device.js';
import { validator, type Validator } from '../validate.js';
import {
  AnomalyRule,
  CorrelationRule,
  EventRule,
  FlatlineRule,
  OfflineRule,
  PowerBaselineRule,
  PowerOverloadRule,
  PowerScheduleRule,
  PowerStoppedRule,
  RateRule,
  RulesFile,
  Schedule,
  ThresholdRule,
  type Rule,
  type RulesFile as RulesFileT,
} from './schema.js';

export class RulesError extends Error {}

const BY_TYPE: Record<Rule['type'], Validator<Rule>> = {
  threshold: validator(ThresholdRule),
  rate: validator(RateRule),
  flatline: validator(FlatlineRule),
  anomaly: validator(AnomalyRule),
  event: validator(EventRule),
  offline: validator(OfflineRule),
  power_stopped: validator(PowerStoppedRule),
  power_overload: validator(PowerOverloadRule),
  power_schedule: validator(PowerScheduleRule),
  power_baseline: validator(PowerBaselineRule),
  correlation: validator(CorrelationRule),
} as Record<Rule['type'], Validator<Rule>>;
const fileSchema = validator(RulesFile);
const scheduleSchema = validator(Schedule);
const ASCENDING = [...LEVELS].reverse() as Level[]; // blue … red
/** Rule types whose levels grow with the bound (durations, magnitudes, fractions). */
const RISING_LEVELS = new Set<Rule['type']>(['rate', 'anomaly', 'power_stopped', 'power_overload', 'power_schedule', 'power_baseline']);

/** Bounds must grow in severity: rising for `above` (and magnitudes), falling for `below`. */
export function levelOrderProblem(levels: LevelValues, rising: boolean): string | null {
  const present = ASCENDING.filter((l) => levels[l] !== undefined);
  for (let i = 1; i < present.length; i++) {
    const lo = present[i - 1]!;
    const hi = present[i]!;
    const a = levels[lo]!;
    const b = levels[hi]!;
    if (rising ? b <= a : b >= a) return `levels.${hi} must be ${rising ? 'above' : 'below'} levels.${lo} (${b} vs ${a})`;
  }
  return null;
}

function describe(raw: unknown, i: number): string {
  const r = raw as { id?: unknown; kind?: unknown; type?: unknown } | null;
  const id = typeof r?.id === 'string' ? `rule "${r.id}"` : `rule #${i + 1}`;
  return typeof r?.kind === 'string' ? `${id} (kind ${r.kind})` : id;
}

/**
 * Checks a parsed rules file; every problem names the rule and the field, e.g.
 * `rules.json: rule "ch4_high" (kind gas): levels.red must be above levels.orange (40 vs 45)`.
 */
export function checkRules(raw: unknown, file = 'rules.json'): RulesFileT {
  const problems: string[] = [];
  const top = raw as { version?: unknown; rules?: unknown; schedules?: unknown } | null;
  if (!top || typeof top !== 'object' || Array.isArray(top)) throw new RulesError(`${file}: must be a JSON object`);
  if (top.version !== 1) problems.push(`version must be 1`);
  if (!Array.isArray(top.rules)) problems.push(`rules must be an array`);
  const seen = new Set<string>();
  for (const [i, r] of (Array.isArray(top.rules) ? top.rules : []).entries()) {
    const at = describe(r, i);
    const type = (r as { type?: unknown } | null)?.type as Rule['type'];
    const v = BY_TYPE[type];
    if (!v) {
      problems.push(`${at}: type must be one of ${Object.keys(BY_TYPE).join(', ')}`);
      continue;
    }
    const c = v.check(r);
    if (!c.ok) {
      problems.push(`${at}: ${c.errors.map((e) => e.replace(/^\//, '').replace(/\//g, '.')).join('; ')}`);
      continue;
    }
    const rule = c.value;
    const kind = rule.type === 'correlation' ? '*' : rule.kind;
    const key = `${kind}|${rule.id}`;
    if (seen.has(key)) problems.push(`${at}: id is used twice for this kind`);
    seen.add(key);
    if ('metric' in rule && !(rule.metric in KINDS[rule.kind].metrics)) {
      problems.push(`${at}: metric "${rule.metric}" is not a metric of kind ${rule.kind} (${Object.keys(KINDS[rule.kind].metrics).join(', ')})`);
    }
    if ('levels' in rule && rule.type !== 'event') {
      const levels = rule.levels as LevelValues;
      if (!ASCENDING.some((l) => levels[l] !== undefined)) problems.push(`${at}: levels must name at least one level`);
      const rising = RISING_LEVELS.has(rule.type) || (rule.type === 'threshold' && rule.direction === 'above');
      const order = levelOrderProblem(levels, rising);
      if (order) problems.push(`${at}: ${order}`);
    }
    if (rule.type === 'threshold' && rule.durationS) {
      for (const l of ASCENDING) {
        if (rule.durationS[l] !== undefined && rule.levels[l] === undefined) problems.push(`${at}: durationS.${l} is set but levels.${l} is not`);
        if ((rule.durationS[l] ?? 0) < 0) problems.push(`${at}: durationS.${l} must not be negative`);
      }
    }
    if (rule.type === 'event' && rule.disabledAfterS !== undefined && !rule.disabledLevel) {
      problems.push(`${at}: disabledLevel is required with disabledAfterS`);
    }
    if (rule.type === 'correlation' && rule.mode === 'multi' && rule.minDevices === undefined) problems.push(`${at}: minDevices is required in mode multi`);
    if (rule.type === 'correlation' && rule.mode === 'gas_fire' && rule.level === undefined) problems.push(`${at}: level is required in mode gas_fire`);
    if (rule.type === 'correlation' && rule.mode === 'area_offline') {
      for (const f of ['minDevices', 'minFraction', 'minTownDevices', 'windowS', 'level'] as const) {
        if (rule[f] === undefined) problems.push(`${at}: ${f} is required in mode area_offline`);
      }
    }
    if (problems.length > 20) break;
  }
  const schedules = top.schedules as { default?: unknown; byIndustry?: Record<string, unknown>; byTenant?: Record<string, unknown> } | undefined;
  if (!schedules || typeof schedules !== 'object') problems.push('schedules must be an object with a default schedule');
  else {
    const one = (s: unknown, where: string) => {
      const c = scheduleSchema.check(s);
      if (!c.ok) problems.push(`schedules.${where}: ${c.errors.join('; ')}`);
    };
    one(schedules.default, 'default');
    for (const [k, s] of Object.entries(schedules.byIndustry ?? {})) one(s, `byIndustry.${k}`);
    for (const [k, s] of Object.entries(schedules.byTenant ?? {})) one(s, `byTenant.${k}`);
  }
  if (!problems.length) {
    // Whatever the per-rule checks let through (unknown top-level keys …).
    const c = fileSchema.check(raw);
    if (!c.ok) problems.push(...c.errors);
  }
  if (problems.length) throw new RulesError(`${file}: ${problems.slice(0, 20).join('; ')}`);
  return raw as RulesFileT;
}
