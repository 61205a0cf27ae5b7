import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { DeviceKindSchema, LevelSchema } from './device.js';
import { EVENT_TYPES } from './event.js';
import { DispositionSchema } from '../disposition.js';

export const ALERT_STATES = ['raised', 'acknowledged', 'dispatched', 'resolved', 'closed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];
export const OPEN_STATES: readonly AlertState[] = ['raised', 'acknowledged', 'dispatched'];
export const isOpen = (state: AlertState): boolean => OPEN_STATES.includes(state);

export const RULE_TYPES = ['threshold', 'event', 'offline', 'rate', 'flatline', 'anomaly', 'power', 'correlation'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** What the alert log records; the `action` tag of `alert_event`. */
export const ALERT_ACTIONS = ['raised', 'updated', 'cleared', 'acknowledged', 'dispatched', 'resolved', 'closed', 'escalated'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

const Ms = Type.Integer({ minimum: 0 });

/**
 * Why an alert is recorded but not notified: raised inside a maintenance
 * silence (维护屏蔽, its id), flapping (lifted once it settles), or folded into
 * the open site alert of its site (that alert notifies and escalates for it).
 * Alerts logged before this tag carry `silenced`/`silenceReason` instead; see
 * `upgradeLegacySilence`.
 */
export const AlertSilence = Type.Union([
  Type.Object({ kind: Type.Literal('maintenance'), id: Type.String() }),
  Type.Object({ kind: Type.Literal('flapping') }),
  Type.Object({ kind: Type.Literal('correlated'), site: Type.String() }),
]);
export type AlertSilence = Static<typeof AlertSilence>;

/** Which way a rule's bound is crossed: a reading at or above it (gas, load), or at or below it (pressure, battery). */
export const DirectionSchema = Type.Union([Type.Literal('above'), Type.Literal('below')]);
export type Direction = Static<typeof DirectionSchema>;

export const Alert = Type.Object({
  id: Type.String(),
  device: Type.String(),
  tenant: Type.String(),
  kind: DeviceKindSchema,
  name: Type.String(),
  town: Type.String(),
  lon: Type.Number(),
  lat: Type.Number(),
  /** Set when the alert is about a site (several devices at one place), not one device. */
  site: Type.Optional(Type.String()),
  rule: Type.String(),
  ruleType: Type.Union(RULE_TYPES.map((t) => Type.Literal(t))),
  level: LevelSchema,
  state: Type.Union(ALERT_STATES.map((s) => Type.Literal(s))),
  metric: Type.Optional(Type.String()),
  event: Type.Optional(Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)))),
  /** The boundary crossed for the current level (threshold rules). */
  threshold: Type.Optional(Type.Number()),
  /** The way the rule's bound is crossed (threshold rules), as the rule that raised the alert says. */
  direction: Type.Optional(DirectionSchema),
  value: Type.Optional(Type.Number()),
  peak: Type.Optional(Type.Number()),
  /** A rule's own explanation, e.g. how long and how far a reading was off. */
  detail: Type.Optional(Type.String()),
  count: Type.Integer({ minimum: 1 }),
  raisedAt: Ms,
  updatedAt: Ms,
  /** When the condition last cleared while the alert was open; null while it lasts. */
  clearedAt: Type.Union([Ms, Type.Null()]),
  acknowledgedAt: Type.Optional(Ms),
  acknowledgedBy: Type.Optional(Type.String()),
  dispatchedAt: Type.Optional(Ms),
  dispatchedBy: Type.Optional(Type.String()),
  /** The responsible unit the alert was handed to (责任单位). */
  dispatchedTo: Type.Optional(Type.String()),
  resolvedAt: Type.Optional(Ms),
  resolvedBy: Type.Optional(Type.String()),
  closedAt: Type.Optional(Ms),
  closedBy: Type.Optional(Type.String()),
  note: Type.Optional(Type.String()),
  /** 研判: the first judgement, recorded at acknowledge (alerts logged before it have none). */
  judgement: Type.Optional(DispositionSchema),
  /** How the alert ended, recorded at resolve beside the note; none when the system resolved a cleared condition, or before it existed. */
  disposition: Type.Optional(DispositionSchema),
  /** The hazard a `real` alert opened when it was resolved. */
  hazard: Type.Optional(Type.String()),
  /** How many times the alert escalated, and when last. */
  escalations: Type.Optional(Type.Integer({ minimum: 0 })),
  escalatedAt: Type.Optional(Ms),
  /** Set while the alert is silenced: recorded, not notified (see `AlertSilence`). */
  silence: Type.Optional(AlertSilence),
});
export type Alert = Static<typeof Alert>;
export const alertSchema = validator(Alert);
