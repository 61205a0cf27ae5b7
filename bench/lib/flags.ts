/**
 * Command-line flags of the bench scripts: each with a doc and a default, so
 * `--help` lists them all, and an unknown or malformed flag stops the run
 * before anything is started.
 */
export type FlagSpec = { doc: string } & ({ default: number } | { default: string } | { default: boolean } | { default: readonly number[] });
type Value<S extends FlagSpec> = S['default'] extends readonly number[]
  ? number[]
  : S['default'] extends number
    ? number
    : S['default'] extends boolean
      ? boolean
      : string;
export type Flags<T extends Record<string, FlagSpec>> = { [K in keyof T]: Value<T[K]> };

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function usage(specs: Record<string, FlagSpec>): string {
  return Object.entries(specs)
    .map(([k, s]) => {
      const def = Array.isArray(s.default) ? s.default.join(',') : String(s.default);
      return `  --${kebab(k)}${typeof s.default === 'boolean' ? '' : ' V'}  ${s.doc} (default ${def})`;
    })
    .join('\n');
}

export function parseFlags<T extends Record<string, FlagSpec>>(specs: T, argv: string[], header: string): Flags<T> {
  const out: Record<string, unknown> = {};
  const byFlag = new Map(Object.keys(specs).map((k) => [`--${kebab(k)}`, k]));
  for (const [k, s] of Object.entries(specs)) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stderr.write(`${header}\n\nflags:\n${usage(specs)}\n`);
      process.exit(0);
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const key = byFlag.get(flag);
    if (!key) fail(`unknown flag ${a} (--help lists them)`);
    const def = specs[key]!.default;
    if (typeof def === 'boolean') {
      out[key] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) fail(`${flag} needs a value`);
    if (typeof def === 'number') {
      const n = Number(raw);
      if (!Number.isFinite(n)) fail(`${flag} must be a number, got "${raw}"`);
      out[key] = n;
    } else if (Array.isArray(def)) {
      const list = raw.split(',').map((x) => Number(x.trim().replace(/k$/i, '000')));
      if (!list.length || list.some((n) => !Number.isFinite(n) || n <= 0))
        fail(`${flag} must be a comma-separated list of positive numbers (10k allowed), got "${raw}"`);
      out[key] = list;
    } else out[key] = raw;
  }
  return out as Flags<T>;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}
