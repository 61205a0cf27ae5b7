import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkJson, logger, ruleStateSnapshot, setAside, writeFileDurably } from '@lifeline/core/node';
import type { RuleSnapshot } from './engine.js';

const log = logger('rule-state');

export const RULE_STATE_FILE = 'rule-state.json';

/** Rule state on disk: written durably (temp file, fsync, rename), so a crash never leaves half a file. */
export class RuleStateFile {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, RULE_STATE_FILE);
  }

  /** The saved snapshot, or null when there is none or it is not valid (then rules start afresh and the file is set aside). */
  load(): RuleSnapshot | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    const r = checkJson(text, ruleStateSnapshot);
    if (r.ok) return r.value;
    log.warn({ file: this.file, errors: r.errors, keptAs: setAside(this.file) }, 'rule state is not valid; starting afresh (the file is kept for an operator)');
    return null;
  }

  save(snap: RuleSnapshot): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileDurably(this.file, JSON.stringify(snap));
  }
}
