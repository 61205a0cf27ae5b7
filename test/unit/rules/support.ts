import type { Device, RulesFile, Signal, Tenant } from '@lifeline/core';
import { RuleEngine } from '@lifeline/ingest';

export const T0 = Date.UTC(2025, 2, 3, 2); // Monday 10:00 in 清新区
export const S = 1000;
export const MIN = 60 * S;

const base = { town: '太和镇', lon: 113, lat: 23.7 };
export const gas: Device = { ...base, id: 'gas-1', tenant: 'qx-gas', kind: 'gas', name: '燃气探测器', site: '向阳小区' };
export const gas2: Device = { ...base, id: 'gas-2', tenant: 'qx-gas', kind: 'gas', name: '燃气探测器2', site: '向阳小区' };
export const panel: Device = { ...base, id: 'fp-1', tenant: 'fire', kind: 'fire_panel', name: '火灾报警控制器', site: '向阳小区' };
export const water: Device = { ...base, id: 'wp-1', tenant: 'water', kind: 'water_pressure', name: '压力点' };
export const drain: Device = { ...base, id: 'dr-1', tenant: 'water', kind: 'drainage', name: '液位点' };
export const meterA: Device = { ...base, id: 'pwr-1', tenant: 'ent-stop', kind: 'power', name: '车间电表', site: '某化工厂' };
export const meterB: Device = { ...base, id: 'pwr-2', tenant: 'ent-stop', kind: 'power', name: '办公电表', site: '某化工厂' };
export const meterC: Device = { ...base, id: 'pwr-3', tenant: 'ent-run', kind: 'power', name: '总表' };

export const tenants: Tenant[] = [
  { id: 'ent-stop', name: '某化工厂', type: 'enterprise', industry: '粉尘涉爆', enterprise: { ratedKw: 1000, idleKw: 20, state: 'stopped' } },
  { id: 'ent-run', name: '某机械厂', type: 'enterprise', industry: '非煤矿山', enterprise: { ratedKw: 500, idleKw: 10, state: 'normal' } },
];

export function engine(opts: { devices?: Device[]; rules?: RulesFile; start?: number } = {}) {
  const devices = new Map((opts.devices ?? [gas, gas2, panel, water, drain, meterA, meterB, meterC]).map((d) => [d.id, d]));
  const tenantsById = new Map(tenants.map((t) => [t.id, t]));
  const signals: Signal[] = [];
  let now = opts.start ?? T0;
  const e = new RuleEngine({
    lookup: (id) => devices.get(id),
    tenantOf: (id) => tenantsById.get(id),
    onSignal: (s) => signals.push(s),
    rules: opts.rules,
    now: () => now,
  });
  return {
    e,
    signals,
    devices,
    of: (rule: string) => signals.filter((s) => s.rule === rule),
    levels: (rule: string) => signals.filter((s) => s.rule === rule).map((s) => s.level),
    setNow: (t: number) => (now = t),
  };
}

/** Feeds `values(t)` every `stepMs` from `from` for `durMs`. */
export function feed(
  e: RuleEngine,
  device: Device,
  from: number,
  durMs: number,
  stepMs: number,
  values: (t: number, i: number) => Record<string, number>,
): number {
  let i = 0;
  let t = from;
  for (; t < from + durMs; t += stepMs) e.onReading(device, { ts: t, values: values(t, i++) });
  return t;
}
