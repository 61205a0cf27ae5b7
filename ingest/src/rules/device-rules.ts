import { effectiveRules, type Device, type DeviceRule, type EventRule, type OfflineRule, type RulesFile } from '@lifeline/core';
import type { PowerRule } from './power.js';

export type MetricRule = Extract<DeviceRule, { metric: string }>;

/** A device's rules, grouped by who evaluates them. */
export interface Compiled {
  metric: MetricRule[];
  events?: EventRule;
  offline?: OfflineRule;
  power: PowerRule[];
}

/** The rules of a device's kind as they run for it (`effectiveRules`: the registry's overrides applied), grouped. */
export function compile(rules: RulesFile, device: Device): Compiled {
  const c: Compiled = { metric: [], power: [] };
  for (const r of effectiveRules(device, rules)) {
    switch (r.type) {
      case 'event':
        c.events = r;
        break;
      case 'offline':
        c.offline = r;
        break;
      case 'power_stopped':
      case 'power_overload':
      case 'power_schedule':
      case 'power_baseline':
        c.power.push(r);
        break;
      default:
        c.metric.push(r);
    }
  }
  return c;
}
