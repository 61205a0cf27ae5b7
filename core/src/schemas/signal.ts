import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { LevelSchema } from './device.js';
import { EVENT_TYPES } from './event.js';
import { DirectionSchema, RULE_TYPES } from './alert.js';

/**
 * What the rule engine tells the alert manager: a (device, rule) condition is
 * active at a level, or has cleared (`level: null`). One signal per evaluated
 * message while a condition lasts, so alerts can count and track the peak.
 */
export const Signal = Type.Object(
  {
    device: Type.String(),
    rule: Type.String(),
    ruleType: Type.Union(RULE_TYPES.map((t) => Type.Literal(t))),
    level: Type.Union([LevelSchema, Type.Null()]),
    ts: Type.Integer({ minimum: 0 }),
    metric: Type.Optional(Type.String()),
    /** Threshold rules: the way the bound is crossed, carried into the alert. */
    direction: Type.Optional(DirectionSchema),
    value: Type.Optional(Type.Number()),
    threshold: Type.Optional(Type.Number()),
    event: Type.Optional(Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)))),
    point: Type.Optional(Type.String()),
    /** A site-level condition (correlation): the alert is keyed by site and rule. */
    site: Type.Optional(Type.String()),
    /** Human-readable facts of the condition (durations, baselines), shown on the alert. */
    detail: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type Signal = Static<typeof Signal>;
export const signalSchema = validator(Signal);
