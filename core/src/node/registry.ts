import { readFileSync } from 'node:fs';
import { KINDS, type ThresholdSpec } from '../kinds.js';
import { LEVELS, type Level } from '../levels.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import { registrySchema, type Device, type Registry, type Tenant } from '../schemas/device.js';

export class RegistryError extends Error {}

/** A registry that has been checked and indexed for lookups on the hot path. */
export interface LoadedRegistry extends Registry {
  path: string;
  byId: Map<string, Device>;
  tenantsById: Map<string, Tenant>;
}

/** Reads and validates a registry file; every problem is named with the device and field. */
export function loadRegistry(path: string): LoadedRegistry {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RegistryError(`registry ${path}: cannot read JSON: ${(err as Error).message}`);
  }
  return checkRegistry(raw, path);
}

export function checkRegistry(raw: unknown, path = '(registry)'): LoadedRegistry {
  const r = registrySchema.check(raw);
  if (!r.ok) throw new RegistryError(`registry ${path}: ${r.errors.join('; ')}`);
  const reg = r.value;
  const problems: string[] = [];
  const tenantsById = new Map<string, Tenant>();
  for (const t of reg.tenants) {
    if (tenantsById.has(t.id)) problems.push(`tenant "${t.id}" is listed twice`);
    tenantsById.set(t.id, t);
  }
  const towns = new Set(reg.towns);
  const byId = new Map<string, Device>();
  for (const d of reg.devices) {
    const at = `device "${d.id}"`;
    if (byId.has(d.id)) problems.push(`${at} is listed twice`);
    byId.set(d.id, d);
    if (!tenantsById.has(d.tenant)) problems.push(`${at}: tenant "${d.tenant}" is not in tenants`);
    if (!towns.has(d.town)) problems.push(`${at}: town "${d.town}" is not in towns`);
    for (const [ruleId, o] of Object.entries(d.thresholds ?? {})) {
      const rule = overridable(d.kind).get(ruleId);
      if (!rule) {
        problems.push(`${at}: thresholds.${ruleId} is not a rule of kind ${d.kind} (${[...overridable(d.kind).keys()].join(', ') || 'none'})`);
        continue;
      }
      const base = KINDS[d.kind].thresholds[ruleId];
      if (base) {
        const order = checkLevelOrder({ ...base, levels: { ...base.levels, ...o.levels } });
        if (order) problems.push(`${at}: thresholds.${ruleId}: ${order}`);
      } else if (o.hysteresis !== undefined) {
        problems.push(`${at}: thresholds.${ruleId}: hysteresis applies to threshold rules only (${ruleId} is a ${rule} rule)`);
      }
    }
    if (problems.length > 20) break;
  }
  if (problems.length) throw new RegistryError(`registry ${path}: ${problems.slice(0, 20).join('; ')}`);
  return { ...reg, path, byId, tenantsById };
}

/** Rules a device of `kind` may override or switch off by id (every rule of the built-in rules but correlations), with their type. */
function overridable(kind: Device['kind']): Map<string, string> {
  return new Map(DEFAULT_RULES.rules.filter((r) => r.type !== 'correlation' && r.kind === kind).map((r) => [r.id, r.type]));
}

/** Level bounds must grow in severity: rising for `above`, falling for `below`. */
export function checkLevelOrder(spec: ThresholdSpec): string | null {
  const ordered = [...LEVELS].reverse().filter((l): l is Level => spec.levels[l] !== undefined);
  for (let i = 1; i < ordered.length; i++) {
    const a = spec.levels[ordered[i - 1]!]!;
    const b = spec.levels[ordered[i]!]!;
    if (spec.direction === 'above' ? b <= a : b >= a) {
      return `${ordered[i]} (${b}) must be ${spec.direction === 'above' ? 'above' : 'below'} ${ordered[i - 1]} (${a})`;
    }
  }
  return null;
}

// Kept here for the callers that know it from the registry; the merge is the rules' own (`effectiveRules`).
export { thresholdsFor } from '../rules/effective.js';

export function intervalOf(device: Device): number {
  return device.intervalS ?? KINDS[device.kind].intervalS;
}
