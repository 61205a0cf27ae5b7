import type { Device, ThresholdOverride } from '../schemas/device.js';
import { DEFAULT_RULES } from './defaults.js';
import type { DeviceRule, RulesFile, ThresholdRule } from './schema.js';

/**
 * The one merge of a device's registry override (`device.thresholds[rule.id]`)
 * into a rule: levels replace the rule's levels one by one, hysteresis applies
 * to threshold rules only, and `enabled: false` switches the rule off (null).
 * Event levels name events, not bounds, so an override leaves them alone.
 */
export function withOverride(rule: DeviceRule, o: ThresholdOverride | undefined): DeviceRule | null {
  if (rule.enabled === false || o?.enabled === false) return null;
  if (!o || !('levels' in rule) || rule.type === 'event') return rule;
  const r = { ...rule, levels: { ...rule.levels, ...o.levels } };
  if (r.type === 'threshold' && o.hysteresis !== undefined) r.hysteresis = o.hysteresis;
  return r;
}

/**
 * Each rule of the device's kind in `rules` as it runs for this device: with
 * the device's overrides applied, without the rules either switched off. What
 * the engine evaluates, and what a screen showing a device's bounds must draw.
 */
export function effectiveRules(device: Device, rules: RulesFile = DEFAULT_RULES): DeviceRule[] {
  const out: DeviceRule[] = [];
  for (const base of rules.rules) {
    if (base.type === 'correlation' || base.kind !== device.kind) continue;
    const r = withOverride(base, device.thresholds?.[base.id]);
    if (r) out.push(r);
  }
  return out;
}

/** The device's threshold rules by id, overrides applied: the bounds a reading is judged against. */
export function thresholdsFor(device: Device, rules: RulesFile = DEFAULT_RULES): Record<string, ThresholdRule> {
  const out: Record<string, ThresholdRule> = {};
  for (const r of effectiveRules(device, rules)) if (r.type === 'threshold') out[r.id] = r;
  return out;
}
