/**
 * The rule engine's state on disk (`rule-state.json` in the state dir): what
 * conditions were in progress, when each device was last heard and which were
 * offline. The entries' values belong to the engine; the file checks the frame.
 */
import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';

export const RULE_STATE_VERSION = 1;

export const RuleStateSnapshot = Type.Object({
  version: Type.Literal(RULE_STATE_VERSION),
  savedAt: Type.Number({ minimum: 0 }),
  state: Type.Array(Type.Tuple([Type.String({ minLength: 1 }), Type.Unknown()])),
  lastSeen: Type.Array(Type.Tuple([Type.String({ minLength: 1 }), Type.Number()])),
  offline: Type.Array(Type.String({ minLength: 1 })),
});
export type RuleStateSnapshot = Static<typeof RuleStateSnapshot>;
export const ruleStateSnapshot = validator(RuleStateSnapshot);
