import type { RulesFile } from './schema.js';

/** One JSON value on one line, with a space after each `:` and `,` (as people write it). */
function oneLine(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(oneLine).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const fields = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{${fields.map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}

/**
 * A rules file as text: one rule a line, so a diff of `data/rules.json` shows
 * the rules that changed; the schedules indented below them.
 */
export function rulesFileText(rules: RulesFile): string {
  const schedules = JSON.stringify(rules.schedules, null, 2).replace(/\n/g, '\n  ');
  return `{\n  "version": ${rules.version},\n  "rules": [\n${rules.rules.map((r) => `    ${oneLine(r)}`).join(',\n')}\n  ],\n  "schedules": ${schedules}\n}\n`;
}
