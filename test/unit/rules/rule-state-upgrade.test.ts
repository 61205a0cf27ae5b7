import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, type RulesFile } from '@lifeline/core';
import { RULE_STATE_FILE, RuleStateFile, type RuleSnapshot } from '@lifeline/ingest';
import { MIN, S, T0, drain, engine, gas, gas2, meterA, meterB, meterC, panel, water } from './support.js';

/**
 * A `rule-state.json` as the engine wrote it before its state was split into
 * typed maps (one map, prefixed keys), saved at T0 + 20 s with: gas-1 20 s
 * into its 30 s blue window, gas-2 orange, a fire and a disabled point on the
 * panel (both site rules on), a stuck drainage level (flatline blue), a burst
 * on the water main (rate orange, held), a shutdown enterprise at 320 kW for
 * 12 minutes (power_stopped orange) and a silent meter (offline orange).
 */
const FIXTURE = fileURLToPath(new URL('rule-state-v1.json', import.meta.url));
const saved = JSON.parse(readFileSync(FIXTURE, 'utf8')) as RuleSnapshot;
const SAVED_AT = T0 + 20 * S;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The old file through the state file's own loader, as ingest reads it at start-up. */
function loadOld(): RuleSnapshot {
  const dir = mkdtempSync(path.join(tmpdir(), 'rule-state-v1-'));
  dirs.push(dir);
  copyFileSync(FIXTURE, path.join(dir, RULE_STATE_FILE));
  const snap = new RuleStateFile(dir).load();
  expect(snap).not.toBeNull();
  return snap!;
}

describe('a rule state file saved before the typed state store', () => {
  it('restores, and is saved back with the same entries (so a rollback reads it too)', () => {
    const { e } = engine({ start: SAVED_AT });
    e.restore(loadOld());
    const again = e.snapshot();
    expect(new Map(again.state)).toEqual(new Map(saved.state));
    expect(again.lastSeen).toEqual(saved.lastSeen);
    expect(again.offline).toEqual(saved.offline);
  });

  it('continues every condition in progress, with durations in event time', () => {
    const { e, of, levels, signals, setNow } = engine({ start: SAVED_AT });
    e.restore(loadOld());

    e.onReading(gas, { ts: T0 + 30 * S, values: { ch4: 6 } });
    expect(of('ch4_high')).toMatchObject([{ device: 'gas-1', level: 'blue', detail: expect.stringContaining('已持续 30 秒') }]);
    // The site rules were on before the restart: they continue (after the device's signal), not start again.
    expect(signals.map((s) => [s.rule, s.level])).toEqual([
      ['ch4_high', 'blue'],
      ['site_multi_alarm', 'red'],
      ['site_gas_fire', 'red'],
    ]);

    e.onReading(water, { ts: T0 + 30 * S, values: { mpa: 0.25 } });
    expect(of('mpa_burst')).toMatchObject([{ level: 'orange', detail: expect.stringContaining('下降 0.13 MPa（0.38 → 0.25）') }]); // the readings before the restart are in the window

    e.onReading(drain, { ts: T0 + MIN, values: { level_m: 0.6 } });
    expect(levels('level_flatline')).toEqual([null]);

    e.onReading(meterA, { ts: T0 + MIN, values: { p_kw: 250 } });
    expect(of('power_stopped')).toMatchObject([{ level: 'orange', value: 320, detail: expect.stringContaining('已持续 13 分钟') }]);

    e.checkOffline(T0 + MIN);
    expect(of('offline')).toEqual([]);
    expect(e.isOffline(meterC.id)).toBe(true);
    e.seen(meterC, T0 + MIN);
    expect(levels('offline')).toEqual([null]);

    // gas-2 falls back: the site rules it held on clear, once each.
    e.onReading(gas2, { ts: T0 + MIN, values: { ch4: 1 } });
    expect(levels('site_multi_alarm')).toEqual(['red', null]);
    expect(levels('site_gas_fire')).toEqual(['red', null]);

    setNow(T0 + 24 * 60 * MIN + S);
    e.tick();
    expect(of('disabled_long')).toMatchObject([{ level: 'yellow', detail: expect.stringContaining('1-1-007') }]);
  });

  it('drops the entries of removed devices and of a rule id now of another type, which start afresh', () => {
    // ch4_high is now a rate rule: its saved threshold window cannot feed it.
    const changed: RulesFile = {
      ...DEFAULT_RULES,
      rules: DEFAULT_RULES.rules.map((r) =>
        r.id === 'ch4_high' && r.type === 'threshold'
          ? { id: r.id, kind: r.kind, type: 'rate', metric: 'ch4', change: 'rise', windowS: 60, levels: { orange: 10 } }
          : r,
      ),
    };
    const { e, of } = engine({ start: SAVED_AT, rules: changed, devices: [gas, gas2, panel, water, meterA, meterB, meterC] });
    e.restore(loadOld());
    const keys = e.snapshot().state.map(([k]) => k);
    expect(keys).not.toContain('d|gas-1|ch4_high');
    expect(keys.filter((k) => k.includes('dr-1'))).toEqual([]);
    expect(keys).toContain('d|gas-1|ch4_flatline');
    e.onReading(gas, { ts: T0 + 30 * S, values: { ch4: 6 } });
    e.onReading(gas, { ts: T0 + 40 * S, values: { ch4: 17 } });
    expect(of('ch4_high').filter((s) => s.device === 'gas-1')).toMatchObject([{ level: 'orange', ruleType: 'rate' }]);
  });
});
