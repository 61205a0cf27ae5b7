import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { logger } from '@lifeline/core/node';
import type { RuleSnapshot } from './engine.js';

const log = logger('rule-state');

export const RULE_STATE_FILE = 'rule-state.json';

/** Rule state on disk: written whole to a temp file and renamed, so a crash never leaves half a file. */
export class RuleStateFile {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, RULE_STATE_FILE);
  }

  /** The saved snapshot, or null when there is none or it cannot be read (then rules start afresh). */
  load(): RuleSnapshot | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const snap = JSON.parse(text) as RuleSnapshot;
      if (snap?.version !== 1 || !Array.isArray(snap.state) || !Array.isArray(snap.lastSeen) || !Array.isArray(snap.offline)) throw new Error('not a version 1 snapshot');
      return snap;
    } catch (err) {
      log.warn({ file: this.file, err }, 'rule state unreadable; starting afresh');
      return null;
    }
  }

  save(snap: RuleSnapshot): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(snap));
    renameSync(tmp, this.file);
  }
}
