import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_RULES, type RulesFile } from '@lifeline/core';
import { RuleStateFile, type RuleSnapshot } from '@lifeline/ingest';
import { engine, gas, gas2, panel, S, T0 } from './support.js';

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'lifeline-rule-log-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Conditions, events and offline only: what the log carries in full (running statistics wait for a snapshot). */
const rules: RulesFile = { ...DEFAULT_RULES, rules: DEFAULT_RULES.rules.filter((r) => ['threshold', 'event', 'offline', 'correlation'].includes(r.type)) };

/** A state file in `dir` with a snapshot and one change logged after it (gas-1 over its red line). */
function oneChangeLogged(dir: string) {
  const a = engine({ rules });
  const file = new RuleStateFile(dir);
  file.save(a.e.snapshotForSave());
  a.e.onReading(gas, { ts: T0, values: { ch4: 30 } });
  file.append(a.e.takeChanges());
  return { a, file };
}

const sorted = (s: RuleSnapshot) => ({ state: [...s.state].sort((a, b) => a[0].localeCompare(b[0])), offline: [...s.offline].sort() });

describe('the rule state log (changes between snapshots)', () => {
  it('logs only what changed, and a reload (snapshot + log) restores the state the engine had', () => {
    const dir = tmp();
    const a = engine({ rules });
    const file = new RuleStateFile(dir);
    a.e.seen(gas, T0);
    a.e.seen(gas2, T0);
    a.e.seen(panel, T0);
    a.e.onReading(gas, { ts: T0, values: { ch4: 30 } });
    file.save(a.e.snapshotForSave());
    expect(a.e.takeChanges()).toEqual([]);
    a.e.onReading(gas, { ts: T0 + S, values: { ch4: 60 } }); // orange → red: a level change
    a.e.onReading(gas2, { ts: T0 + S, values: { ch4: 1 } }); // inside every bound: nothing to log
    a.e.onEvent(panel, { type: 'fire', ts: T0 + S });
    const first = a.e.takeChanges();
    expect(first.map((c) => c[0]).sort()).toEqual(['d|gas-1|ch4_high', 'ev|fp-1', 'site|向阳小区']);
    file.append(first);
    a.e.onReading(gas2, { ts: T0 + 2 * S, values: { ch4: 1 } });
    expect(a.e.takeChanges()).toEqual([]);
    a.e.checkOffline(T0 + 200 * S); // every one silent past 3 × 60 s + 5 s
    a.e.onReading(gas, { ts: T0 + 201 * S, values: { ch4: 0 } }); // cleared: its entry goes
    a.e.seen(gas, T0 + 201 * S);
    file.append(a.e.takeChanges());
    file.close();

    const b = engine({ rules });
    const loaded = new RuleStateFile(dir).load();
    expect(loaded).not.toBeNull();
    b.e.restore(loaded!);
    expect(sorted(b.e.snapshot())).toEqual(sorted(a.e.snapshot()));
    expect(b.e.isOffline('gas-2') && b.e.isOffline('fp-1') && !b.e.isOffline('gas-1')).toBe(true);
  });

  it('cuts a torn last record (a crash mid-append) and keeps every complete one before it', () => {
    const dir = tmp();
    const { file } = oneChangeLogged(dir);
    file.close();
    appendFileSync(file.changesFile, '["d|gas-2|ch4_high",{"lev');
    const snap = new RuleStateFile(dir).load()!;
    expect(snap.state.map(([k]) => k).sort()).toEqual(['d|gas-1|ch4_high', 'site|向阳小区']);
  });

  it('compacts into a new snapshot with an empty log, and ignores a log left by an older snapshot', () => {
    const dir = tmp();
    const { a, file } = oneChangeLogged(dir);
    expect(file.logBytes).toBeGreaterThan(0);
    const oldLog = readFileSync(file.changesFile, 'utf8');
    a.setNow(T0 + 10 * S);
    a.e.onReading(gas, { ts: T0 + 10 * S, values: { ch4: 0 } });
    file.save(a.e.snapshotForSave());
    expect(file.logBytes).toBe(0);
    expect(readFileSync(file.changesFile, 'utf8').trim().split('\n')).toHaveLength(1);
    file.close();
    // A crash between the snapshot and the new log: the old log (naming the older snapshot) must not undo the clear.
    writeFileSync(file.changesFile, oldLog);
    expect(new RuleStateFile(dir).load()!.state).toEqual([]);
  });

  it('goes on appending to a whole log after a restart instead of writing the snapshot again', () => {
    const dir = tmp();
    const { file } = oneChangeLogged(dir);
    file.close();
    const snapshotBefore = readFileSync(file.file, 'utf8');

    const b = engine({ rules });
    const again = new RuleStateFile(dir);
    b.e.restore(again.load()!, again.resumed);
    expect(again.resumed).toBe(true);
    // What was restored is not logged again; what changes next is.
    expect(b.e.takeChanges()).toEqual([]);
    b.e.onReading(gas2, { ts: T0 + S, values: { ch4: 30 } });
    again.append(b.e.takeChanges());
    again.close();
    expect(readFileSync(file.file, 'utf8')).toBe(snapshotBefore);
    const c = engine({ rules });
    c.e.restore(new RuleStateFile(dir).load()!);
    expect(sorted(c.e.snapshot())).toEqual(sorted(b.e.snapshot()));
  });

  it('does not go on after a torn log: it is cut and compacted at start', () => {
    const dir = tmp();
    const a = engine({ rules });
    const file = new RuleStateFile(dir);
    file.save(a.e.snapshotForSave());
    file.close();
    appendFileSync(file.changesFile, '["d|gas-2|ch4_high",{"lev');
    const again = new RuleStateFile(dir);
    again.load();
    expect(again.resumed).toBe(false);
  });
});
