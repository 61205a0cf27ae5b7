import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export interface Validator<T> {
  check(value: unknown): Checked<T>;
  /** Throws an Error listing every problem, prefixed with `what`. */
  parse(value: unknown, what: string): T;
}

const MAX_ERRORS = 5;

/**
 * Compiles a schema on first use (so a page that only needs the types never
 * runs the compiler); the same schema gives the TypeScript type.
 */
export function validator<S extends TSchema>(schema: S): Validator<Static<S>> {
  let compiled: ReturnType<typeof TypeCompiler.Compile<S>> | null = null;
  const check = (value: unknown): Checked<Static<S>> => {
    compiled ??= TypeCompiler.Compile(schema);
    if (compiled.Check(value)) return { ok: true, value: value as Static<S> };
    const errors: string[] = [];
    for (const e of compiled.Errors(value)) {
      errors.push(`${e.path || '/'}: ${e.message}`);
      if (errors.length >= MAX_ERRORS) break;
    }
    return { ok: false, errors };
  };
  return {
    check,
    parse(value, what) {
      const r = check(value);
      if (r.ok) return r.value;
      throw new Error(`${what}: ${r.errors.join('; ')}`);
    },
  };
}
