import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { appendDurably, checkJson, logger, ruleStateSnapshot, setAside, writeFileDurably } from '@lifeline/core/node';
import type { RuleSnapshot } from './engine.js';

const log = logger('rule-state');

export const RULE_STATE_FILE = 'rule-state.json';
/** Entries changed since the snapshot, one JSON array a line, after a header naming the snapshot they follow. */
export const RULE_CHANGES_FILE = 'rule-state.changes';

/**
 * One change: `[key, value]` puts an entry (keys as in the snapshot, e.g.
 * `d|gas-1|ch4_high`), `[key]` removes it; `off|device` says a device's
 * offline condition is on (`[key, 1]`) or off (`[key]`).
 */
export type RuleChange = [string] | [string, unknown];

export const OFFLINE_PREFIX = 'off|';

const isChange = (v: unknown): v is RuleChange => Array.isArray(v) && (v.length === 1 || v.length === 2) && typeof v[0] === 'string' && v[0].length > 0;

/**
 * Rule state on disk: a snapshot (`rule-state.json`, the format every release
 * reads, written durably: temp file, fsync, rename) and a changes log beside
 * it (appended and fsynced every few seconds with only what changed).
 * `save` is the compaction: a new snapshot, then an empty log whose header
 * names it. A log whose header names another snapshot (a crash between the
 * two writes) is older than the snapshot and ignored; a torn last line (a
 * crash mid-append) is cut. A whole log is appended to again after a restart
 * (`resumed`); anything else is compacted at start.
 */
export class RuleStateFile {
  readonly file: string;
  readonly changesFile: string;
  private fd: number | null = null;
  /** Bytes appended to the log since the last snapshot, and the size of that snapshot. */
  logBytes = 0;
  snapshotBytes = 0;
  /**
   * After `load`: the log was whole and named the snapshot, so it is open
   * again and appends continue it; no snapshot need be written at start (at
   * city size the rewrite was most of the rule engine's start-up).
   */
  resumed = false;

  constructor(dir: string) {
    this.file = path.join(dir, RULE_STATE_FILE);
    this.changesFile = path.join(dir, RULE_CHANGES_FILE);
  }

  /**
   * The saved snapshot with the logged changes applied, or null when there is
   * none or it is not valid (then rules start afresh and the file is set aside).
   */
  load(): RuleSnapshot | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    const r = checkJson(text, ruleStateSnapshot);
    if (!r.ok) {
      log.warn(
        { file: this.file, errors: r.errors, keptAs: setAside(this.file) },
        'rule state is not valid; starting afresh (the file is kept for an operator)',
      );
      return null;
    }
    this.snapshotBytes = text.length;
    return this.applyChanges(r.value);
  }

  /** Appends changes and returns once they are on disk. */
  append(changes: RuleChange[]): void {
    if (!changes.length) return;
    if (this.fd === null) throw new Error(`the rule state log ${this.changesFile} is not open (save a snapshot first)`);
    let text = '';
    for (const c of changes) text += JSON.stringify(c) + '\n';
    this.logBytes += appendDurably(this.fd, text);
  }

  /** Writes a snapshot, then starts an empty log after it. */
  save(snap: RuleSnapshot): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const text = JSON.stringify(snap);
    writeFileDurably(this.file, text);
    this.snapshotBytes = text.length;
    this.closeLog();
    writeFileDurably(this.changesFile, JSON.stringify({ snapshot: snap.savedAt }) + '\n');
    this.fd = openSync(this.changesFile, 'a');
    this.logBytes = 0;
  }

  close(): void {
    this.closeLog();
  }

  /** Opens the whole log named by the loaded snapshot again, for appends to follow what it holds. */
  private resume(bytes: number): void {
    try {
      this.fd = openSync(this.changesFile, 'a');
      this.logBytes = bytes;
      this.resumed = true;
    } catch (err) {
      log.warn({ err: (err as Error).message, file: this.changesFile }, 'rule state log cannot be opened again; a snapshot is written instead');
    }
  }

  private closeLog(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private applyChanges(snap: RuleSnapshot): RuleSnapshot {
    let text: string;
    try {
      text = readFileSync(this.changesFile, 'utf8');
    } catch {
      return snap;
    }
    const lines = text.split('\n');
    const torn = lines.pop(); // '' after a complete last line; anything else was cut mid-write
    const header = parse(lines[0]);
    if (!header || typeof header !== 'object' || (header as { snapshot?: unknown }).snapshot !== snap.savedAt) {
      log.info({ file: this.changesFile }, 'rule state log belongs to an older snapshot; ignored');
      return snap;
    }
    const state = new Map(snap.state);
    const offline = new Set(snap.offline);
    let applied = 0;
    for (let i = 1; i < lines.length; i++) {
      const c = parse(lines[i]);
      if (!isChange(c)) {
        log.warn({ file: this.changesFile, line: i + 1, of: lines.length }, 'rule state log is damaged here; the changes after it are dropped');
        break;
      }
      const [key] = c;
      if (key.startsWith(OFFLINE_PREFIX)) {
        const id = key.slice(OFFLINE_PREFIX.length);
        if (c.length === 2) offline.add(id);
        else offline.delete(id);
      } else if (c.length === 2) {
        // Re-inserted at the end: a change is newer than what the snapshot lists.
        state.delete(key);
        state.set(key, c[1]);
      } else state.delete(key);
      applied++;
    }
    if (torn) log.warn({ file: this.changesFile, bytes: torn.length }, 'rule state log ends in a torn record (a crash mid-write); it is cut');
    log.info({ changes: applied }, 'rule state changes applied to the snapshot');
    if (!torn && applied === lines.length - 1) this.resume(text.length);
    return { ...snap, state: [...state], offline: [...offline] };
  }
}

function parse(line: string | undefined): unknown {
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
