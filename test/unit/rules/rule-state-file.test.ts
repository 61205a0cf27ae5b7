import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RULE_CHANGES_FILE, RULE_STATE_FILE, RuleStateFile } from '@lifeline/ingest';

/** A temp dir of the test's own, removed when it ends. */
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'lifeline-rule-state-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const snap = {
  version: 1 as const,
  savedAt: 1_795_000_000_000,
  state: [['d|gas-1|ch4_high', { since: 1 }]] as [string, unknown][],
  lastSeen: [['gas-1', 1_795_000_000_000]] as [string, number][],
  offline: ['gas-2'],
};

describe('the rule state file', () => {
  it('reads back what was saved and leaves no temp file beside it', () => {
    const dir = tmp();
    const store = new RuleStateFile(dir);
    store.save(snap);
    store.save({ ...snap, offline: [] });
    expect(store.load()).toEqual({ ...snap, offline: [] });
    expect(readdirSync(dir).sort()).toEqual([RULE_CHANGES_FILE, RULE_STATE_FILE].sort());
  });

  it('starts afresh from a file that is not a version 1 snapshot, and keeps that file for an operator', () => {
    const dir = tmp();
    const store = new RuleStateFile(dir);
    writeFileSync(store.file, JSON.stringify({ ...snap, version: 2 }));
    expect(store.load()).toBeNull();
    store.save(snap);
    const kept = readdirSync(dir).filter((f) => f.startsWith(`${RULE_STATE_FILE}.invalid-`));
    expect(kept).toHaveLength(1);
    expect(JSON.parse(readFileSync(path.join(dir, kept[0]!), 'utf8'))).toMatchObject({ version: 2 });
    expect(store.load()).toEqual(snap);
  });

  it('starts afresh from a snapshot whose entries are not of the right shape', () => {
    const store = new RuleStateFile(tmp());
    writeFileSync(store.file, JSON.stringify({ ...snap, lastSeen: [['gas-1']] }));
    expect(store.load()).toBeNull();
  });
});
