import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { appendDurably, checkJson, ruleStateSnapshot, setAside, writeFileDurably } from '@lifeline/core/node';

/** A temp dir of the test's own, removed when it ends. */
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'lifeline-durable-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('a durable file write', () => {
  it('replaces the whole content and leaves no temp file beside it', () => {
    const dir = tmp();
    const file = path.join(dir, 'state.json');
    writeFileDurably(file, '{"v":1}');
    writeFileDurably(file, '{"v":2,"城":"清远"}');
    expect(readFileSync(file, 'utf8')).toBe('{"v":2,"城":"清远"}');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('gives a new file the mode asked for', () => {
    const file = path.join(tmp(), 'secret');
    writeFileDurably(file, 'x', { mode: 0o600 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('leaves what was there and no temp file when the rename fails', () => {
    const dir = tmp();
    // A non-empty directory where the file should go: the temp file is written, the rename refused.
    const target = path.join(dir, 'state.json');
    mkdirSync(target);
    writeFileSync(path.join(target, 'inside'), 'old');
    expect(() => writeFileDurably(target, 'new')).toThrow();
    expect(readFileSync(path.join(target, 'inside'), 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});

describe('a durable append', () => {
  it('appends every byte and says how many', () => {
    const file = path.join(tmp(), 'log.jsonl');
    const fd = openSync(file, 'a');
    try {
      expect(appendDurably(fd, '{"a":1}\n')).toBe(8);
      expect(appendDurably(fd, '{"城":2}\n')).toBe(Buffer.byteLength('{"城":2}\n'));
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"城":2}\n');
  });
});

describe('a data file checked when it is loaded', () => {
  it('gives "not JSON" as the reason for text that does not parse', () => {
    const r = checkJson('{"version":1,', ruleStateSnapshot);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/^not JSON: /);
  });

  it('names the field that does not fit the schema', () => {
    const r = checkJson(JSON.stringify({ version: 1, savedAt: 1, state: [], lastSeen: [['gas-1', 'yesterday']], offline: [] }), ruleStateSnapshot);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join(' ')).toContain('/lastSeen/0/1');
  });

  it('is set aside under a new name so the next save cannot overwrite it', () => {
    const dir = tmp();
    const file = path.join(dir, 'rule-state.json');
    writeFileSync(file, 'garbage');
    const kept = setAside(file, 1_795_000_000_000);
    expect(kept).toBe(`${file}.invalid-1795000000000`);
    expect(readFileSync(kept!, 'utf8')).toBe('garbage');
    expect(readdirSync(dir)).toEqual(['rule-state.json.invalid-1795000000000']);
    expect(setAside(file)).toBeNull();
  });
});
