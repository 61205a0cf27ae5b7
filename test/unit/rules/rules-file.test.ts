import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RULES, checkRules, rulesFileText, type RulesFile } from '@lifeline/core';
import { CONFIG_KEYS } from '@lifeline/core/node';
import { RuleStateFile, RulesWatcher, loadRulesFile } from '@lifeline/ingest';
import { waitFor } from '../../support/wait.js';
import { T0, engine, gas } from './support.js';

const clone = (): RulesFile => structuredClone(DEFAULT_RULES);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'rules-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the rules file', () => {
  it('in data/ is the built-in defaults and passes its checks', () => {
    const file = JSON.parse(readFileSync(CONFIG_KEYS.rulesPath.default, 'utf8'));
    expect(file).toEqual(DEFAULT_RULES);
    expect(() => loadRulesFile(CONFIG_KEYS.rulesPath.default)).not.toThrow();
  });

  it('in data/ is written from the built-in defaults, never edited by hand', () => {
    const text = readFileSync(CONFIG_KEYS.rulesPath.default, 'utf8');
    expect(text, 'data/rules.json differs from core/src/rules/defaults.ts: edit defaults.ts, then run npx tsx core/src/node/write-default-rules.ts').toBe(
      rulesFileText(DEFAULT_RULES),
    );
  });

  it('refuses levels out of order, naming the rule, its kind and the field', () => {
    const r = clone();
    const gasHigh = r.rules.find((x) => x.id === 'ch4_high')!;
    (gasHigh as { levels: Record<string, number> }).levels.red = 20;
    expect(() => checkRules(r)).toThrow('rules.json: rule "ch4_high" (kind gas): levels.red must be above levels.orange (20 vs 25)');
  });

  it('refuses a field of the wrong type, a metric the kind lacks and an unknown rule type', () => {
    const r = clone() as unknown as { rules: Record<string, unknown>[] };
    r.rules[0]!.hysteresis = 'two';
    r.rules[1]!.metric = 'mpa';
    r.rules.push({ id: 'x', kind: 'gas', type: 'magic' });
    const err = (() => {
      try {
        checkRules(r);
      } catch (e) {
        return (e as Error).message;
      }
    })();
    expect(err).toContain('rule "ch4_high" (kind gas): hysteresis: Expected number');
    expect(err).toContain('rule "ch4_anomaly" (kind gas): metric "mpa" is not a metric of kind gas');
    expect(err).toContain('rule "x" (kind gas): type must be one of');
  });

  it('refuses a rule id used twice for one kind and a bad schedule', () => {
    const r = clone();
    r.rules.push({ ...r.rules[0]! });
    (r.schedules.default.quietHours[0] as { from: string }).from = '25:00';
    expect(() => checkRules(r)).toThrow(/rule "ch4_high" \(kind gas\): id is used twice[\s\S]*schedules\.default: \/quietHours\/0\/from/);
  });

  it('is reloaded when it changes, and a bad new file is refused while the old rules stay', async () => {
    const dir = tmp();
    const file = path.join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify(DEFAULT_RULES));
    const { e, levels } = engine();
    e.setRules(loadRulesFile(file));
    const w = new RulesWatcher(file, (r) => e.setRules(r), 50);
    w.start();
    try {
      const lower = clone();
      (lower.rules.find((x) => x.id === 'ch4_high') as { levels: { orange: number; red: number } }).levels.red = 40;
      writeFileSync(file, JSON.stringify(lower));
      await waitFor(() => w.reloads === 1, { what: 'the watcher to reload the changed file' });
      e.onReading(gas, { ts: T0, values: { ch4: 42 } });
      expect(levels('ch4_high')).toEqual(['red']);
      writeFileSync(file, '{"version": 1, "rules": [{"id": "ch4_high", "kind": "gas", "type": "threshold"}]}');
      await waitFor(() => w.lastError !== null, { what: 'the watcher to refuse the bad file' });
      expect(w.lastError).toMatch(/rules\.json: rule "ch4_high" \(kind gas\): .*metric/);
      e.onReading(gas, { ts: T0 + 1000, values: { ch4: 42 } });
      expect(levels('ch4_high')).toEqual(['red', 'red']);
    } finally {
      w.stop();
    }
  });
});

describe('rule state on disk', () => {
  it('is written atomically and read back', () => {
    const dir = tmp();
    const store = new RuleStateFile(path.join(dir, 'nested'));
    const { e } = engine();
    e.onReading(gas, { ts: T0, values: { ch4: 6 } });
    store.save(e.snapshot());
    const back = store.load()!;
    expect(back.state.map(([k]) => k)).toContain('d|gas-1|ch4_high');
    writeFileSync(store.file, '{not json');
    expect(store.load()).toBeNull();
  });
});
