import { watch, readFileSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { checkRules, RulesError, type RulesFile } from '@lifeline/core';
import { logger } from '@lifeline/core/node';

const log = logger('rules-file');

/** Reads and checks a rules file; throws a RulesError naming the rule and the field. */
export function loadRulesFile(file: string): RulesFile {
  const name = path.basename(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RulesError(`${name}: cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RulesError(`${name}: not valid JSON: ${(err as Error).message}`);
  }
  return checkRules(raw, name);
}

/**
 * Reloads the rules file when it changes, without a restart. Watches the
 * directory (editors and deploy tools replace the file by rename, which a
 * watch on the file itself would lose) and waits for writes to settle. A new
 * file that fails its checks is refused and logged; the old rules stay.
 */
export class RulesWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastText: string | null = null;
  /** The last refusal, for operators and tests; null after a good load. */
  lastError: string | null = null;
  reloads = 0;

  constructor(
    private readonly file: string,
    private readonly onRules: (rules: RulesFile) => void,
    private readonly debounceMs = 300,
  ) {}

  start(): void {
    try {
      this.lastText = readFileSync(this.file, 'utf8');
    } catch {
      this.lastText = null;
    }
    const base = path.basename(this.file);
    this.watcher = watch(path.dirname(this.file), (_event, name) => {
      if (name && name !== base) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(), this.debounceMs);
      this.timer.unref();
    });
    this.watcher.on('error', (err) => log.warn({ err, file: this.file }, 'cannot watch the rules file; changes need a restart'));
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Loads the file if it changed; true when new rules were applied. */
  reload(): boolean {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return false; // mid-rename: the next event brings it
    }
    if (text === this.lastText) return false;
    try {
      const rules = loadRulesFile(this.file);
      this.lastText = text;
      this.lastError = null;
      this.reloads++;
      this.onRules(rules);
      log.info({ file: this.file, rules: rules.rules.length }, 'rules reloaded');
      return true;
    } catch (err) {
      this.lastText = text;
      this.lastError = (err as Error).message;
      log.error({ file: this.file, error: this.lastError }, 'new rules file refused; the previous rules stay in force');
      return false;
    }
  }
}
