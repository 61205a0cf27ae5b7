/**
 * One line of the notification outbox file (`outbox.jsonl` in the data dir):
 * a message added, or a change of its delivery state. Checked line by line
 * when the file is loaded.
 */
import { Type, type Static } from '@sinclair/typebox';
import { NotificationView } from '../schemas/api.js';
import { validator, type Checked, type Validator } from '../validate.js';

/** What the API shows of a message, plus where to post it and what (the rendered message). */
export const OutboxItem = Type.Composite([NotificationView, Type.Object({ url: Type.String({ minLength: 1 }), body: Type.Unknown() })]);
export type OutboxItem = Static<typeof OutboxItem>;

export const OutboxPatch = Type.Partial(Type.Pick(OutboxItem, ['status', 'attempts', 'nextAt', 'doneAt', 'lastError']));
export type OutboxPatch = Static<typeof OutboxPatch>;

export const OutboxAdd = Type.Object({ op: Type.Literal('add'), item: OutboxItem });
export const OutboxSet = Type.Object({ op: Type.Literal('set'), id: Type.String({ minLength: 1 }), patch: OutboxPatch });
export const OutboxRecord = Type.Union([OutboxAdd, OutboxSet]);
export type OutboxRecord = Static<typeof OutboxRecord>;

const byOp = { add: validator(OutboxAdd), set: validator(OutboxSet) } as const;

/** Checks a record by its `op`, so a bad one is told by field ("/item/url"), not as "no variant of the union". */
function checkRecord(value: unknown): Checked<OutboxRecord> {
  const op = (value as { op?: unknown } | null)?.op;
  if (op === 'add' || op === 'set') return byOp[op].check(value);
  return { ok: false, errors: [`/op: expected "add" or "set", not ${JSON.stringify(op) ?? 'nothing'}`] };
}

export const outboxRecord: Validator<OutboxRecord> = {
  check: checkRecord,
  parse(value, what) {
    const r = checkRecord(value);
    if (r.ok) return r.value;
    throw new Error(`${what}: ${r.errors.join('; ')}`);
  },
};
