import { renameSync } from 'node:fs';
import type { Checked, Validator } from '../validate.js';

/** Parses JSON text and checks it against a schema; "not JSON" is one more reason, not an exception. */
export function checkJson<T>(text: string, v: Validator<T>): Checked<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
  return v.check(value);
}

/**
 * Moves a data file that failed its schema out of the way (`<file>.invalid-<ms>`)
 * so the next save cannot overwrite it: the operator finds it, and the reason
 * in the log. Returns the new path, or null when it could not be moved.
 */
export function setAside(file: string, now = Date.now()): string | null {
  const kept = `${file}.invalid-${now}`;
  try {
    renameSync(file, kept);
    return kept;
  } catch {
    return null;
  }
}
