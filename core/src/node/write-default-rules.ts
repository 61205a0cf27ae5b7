import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { checkRules } from '../rules/check.js';
import { DEFAULT_RULES } from '../rules/defaults.js';
import { rulesFileText } from '../rules/rules-text.js';
import { CONFIG_KEYS } from './config.js';

/**
 * Writes the repository's rules file (`data/rules.json`) from the built-in
 * rules, its only source, after checking them as any rules file is checked.
 * Run `npx tsx core/src/node/write-default-rules.ts` after editing
 * `core/src/rules/defaults.ts`; a unit test refuses a file that differs.
 */
export function writeDefaultRules(file = CONFIG_KEYS.rulesPath.default): string {
  writeFileSync(file, rulesFileText(checkRules(DEFAULT_RULES, 'defaults.ts')));
  return file;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) console.log(`wrote ${writeDefaultRules()}`);
