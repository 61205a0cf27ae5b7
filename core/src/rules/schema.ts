import { Type, type Static, type TOptional } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { DeviceKindSchema, LevelSchema, LevelValues } from '../schemas/device.js';
import { EVENT_TYPES } from '../schemas/event.js';

/**
 * The rules file (`data/rules.json`, config `rulesPath`): every rule the
 * engine evaluates, per device kind, and the enterprises' production
 * schedules. Devices override a rule by its id in the registry
 * (`device.thresholds[ruleId]`: levels, hysteresis, enabled).
 */

const RuleId = Type.String({ pattern: '^[a-z][a-z0-9_:]{0,47}$' });
const Metric = Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' });
const Seconds = Type.Number({ minimum: 0, maximum: 30 * 86_400 });
const EventTypeSchema = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)));

const common = {
  id: RuleId,
  kind: DeviceKindSchema,
  enabled: Type.Optional(Type.Boolean()),
  /** What the rule is for, for people reading the file. */
  note: Type.Optional(Type.String({ maxLength: 200 })),
};

/** Levels entered when a metric reaches a bound, left past the bound by `hysteresis`; optionally only after it held `durationS[level]` seconds. */
export const ThresholdRule = Type.Object(
  {
    ...common,
    type: Type.Literal('threshold'),
    metric: Metric,
    direction: Type.Union([Type.Literal('above'), Type.Literal('below')]),
    levels: LevelValues,
    hysteresis: Type.Number({ minimum: 0 }),
    durationS: Type.Optional(LevelValues),
  },
  { additionalProperties: false },
);

/** A change of the metric within `windowS` (a drop or a rise) of at least each level's magnitude. */
export const RateRule = Type.Object(
  {
    ...common,
    type: Type.Literal('rate'),
    metric: Metric,
    change: Type.Union([Type.Literal('drop'), Type.Literal('rise')]),
    windowS: Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }),
    levels: LevelValues,
    /** The level is kept at least this long after the change was last seen, so a burst does not flap. */
    holdS: Type.Optional(Seconds),
  },
  { additionalProperties: false },
);

/** A stuck sensor: one value (within `tolerance`) for at least `minCount` readings and `minDurationS`. */
export const FlatlineRule = Type.Object(
  {
    ...common,
    type: Type.Literal('flatline'),
    metric: Metric,
    minCount: Type.Integer({ minimum: 2, maximum: 100_000 }),
    minDurationS: Seconds,
    tolerance: Type.Optional(Type.Number({ minimum: 0 })),
    level: LevelSchema,
  },
  { additionalProperties: false },
);

/**
 * Far outside the device's own normal: a robust baseline (EWMA of the mean and
 * of the absolute deviation). `levels` are in multiples of the deviation scale;
 * a reading must also be `minDeviation` away in the metric's unit.
 */
export const AnomalyRule = Type.Object(
  {
    ...common,
    type: Type.Literal('anomaly'),
    metric: Metric,
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 0.5 }),
    minSamples: Type.Integer({ minimum: 10, maximum: 1_000_000 }),
    minDeviation: Type.Number({ minimum: 0 }),
    levels: LevelValues,
    /** Consecutive anomalous readings needed before the level is entered. */
    minCount: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);

/** Discrete events mapped to levels, cleared by `clearOn`; a point disabled for `disabledAfterS` is a warning of its own. */
export const EventRule = Type.Object(
  {
    ...common,
    type: Type.Literal('event'),
    levels: Type.Object(
      Object.fromEntries(EVENT_TYPES.map((t) => [t, Type.Optional(LevelSchema)])) as Record<(typeof EVENT_TYPES)[number], TOptional<typeof LevelSchema>>,
      {
        additionalProperties: false,
      },
    ),
    clearOn: Type.Array(EventTypeSchema, { maxItems: 16 }),
    disabledAfterS: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    disabledLevel: Type.Optional(LevelSchema),
  },
  { additionalProperties: false },
);

/** Silence: nothing for `afterIntervals` intervals plus `graceS`, or the device's own `offline`. */
export const OfflineRule = Type.Object(
  {
    ...common,
    type: Type.Literal('offline'),
    level: LevelSchema,
    afterIntervals: Type.Number({ minimum: 1, maximum: 100 }),
    graceS: Type.Number({ minimum: 0, maximum: 3600 }),
  },
  { additionalProperties: false },
);

/** Enterprise power during an ordered shutdown above idle × `idleFactor`; `levels` are seconds sustained. */
export const PowerStoppedRule = Type.Object(
  { ...common, type: Type.Literal('power_stopped'), idleFactor: Type.Number({ minimum: 1 }), levels: LevelValues },
  { additionalProperties: false },
);

/** Enterprise load above rated capacity: `levels` are fractions of `ratedKw`, entered after `durationS`. */
export const PowerOverloadRule = Type.Object(
  {
    ...common,
    type: Type.Literal('power_overload'),
    levels: LevelValues,
    hysteresis: Type.Number({ minimum: 0, maximum: 1 }),
    durationS: Seconds,
  },
  { additionalProperties: false },
);

/** Production (above idle × `idleFactor`) in the enterprise's quiet hours or off days; `levels` are seconds sustained. */
export const PowerScheduleRule = Type.Object(
  { ...common, type: Type.Literal('power_schedule'), idleFactor: Type.Number({ minimum: 1 }), levels: LevelValues },
  { additionalProperties: false },
);

/**
 * Enterprise power above its learned baseline for this hour of the week:
 * above mean × `factor` + ratedKw × `marginFraction`; `levels` are seconds sustained.
 */
export const PowerBaselineRule = Type.Object(
  {
    ...common,
    type: Type.Literal('power_baseline'),
    factor: Type.Number({ minimum: 1 }),
    marginFraction: Type.Number({ minimum: 0, maximum: 10 }),
    minWeeks: Type.Integer({ minimum: 1, maximum: 52 }),
    learnWeeks: Type.Integer({ minimum: 1, maximum: 52 }),
    levels: LevelValues,
  },
  { additionalProperties: false },
);

/**
 * One site alert instead of many: `multi` when `minDevices` detectors of a site
 * are at `minLevel` or worse together (one level above the worst of them);
 * `gas_fire` when a gas alarm and a fire or smoke event meet at one site (`level`).
 * `area_offline` (大面积离线) is the same idea for a whole area: when at least
 * `minDevices` devices of `kinds` go offline within `windowS`, or at least
 * `minFraction` of a town's devices (and `minTownDevices` of them) do, one
 * area-wide alert (site `AREA_OFFLINE_SITE`) names the count and the towns and
 * the devices' own offline alerts are folded into it; it clears once fewer
 * than half those numbers are still offline.
 */
export const CorrelationRule = Type.Object(
  {
    id: RuleId,
    type: Type.Literal('correlation'),
    enabled: Type.Optional(Type.Boolean()),
    note: Type.Optional(Type.String({ maxLength: 200 })),
    mode: Type.Union([Type.Literal('multi'), Type.Literal('gas_fire'), Type.Literal('area_offline')]),
    kinds: Type.Array(DeviceKindSchema, { minItems: 1 }),
    minDevices: Type.Optional(Type.Integer({ minimum: 2, maximum: 1_000_000 })),
    minLevel: LevelSchema,
    level: Type.Optional(LevelSchema),
    /** area_offline: the share of a town's devices, 0–1. */
    minFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    /** area_offline: the fewest devices of one town that count as that town going offline. */
    minTownDevices: Type.Optional(Type.Integer({ minimum: 1 })),
    /** area_offline: how close together (seconds) the devices must go offline. */
    windowS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

/** The `site` of the one area-wide offline alert (大面积离线): not a place, the whole district. */
export const AREA_OFFLINE_SITE = '全区';

export const Rule = Type.Union([
  ThresholdRule,
  RateRule,
  FlatlineRule,
  AnomalyRule,
  EventRule,
  OfflineRule,
  PowerStoppedRule,
  PowerOverloadRule,
  PowerScheduleRule,
  PowerBaselineRule,
  CorrelationRule,
]);

const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });

/** When an enterprise may not produce, in local time (UTC+`utcOffsetH`). */
export const Schedule = Type.Object(
  {
    quietHours: Type.Array(Type.Object({ from: HHMM, to: HHMM }, { additionalProperties: false }), { maxItems: 8 }),
    /** Days of the week off, 0 = Sunday. */
    offWeekdays: Type.Optional(Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), { maxItems: 7 })),
    offDates: Type.Optional(Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), { maxItems: 400 })),
    utcOffsetH: Type.Optional(Type.Number({ minimum: -12, maximum: 14 })),
  },
  { additionalProperties: false },
);

export const RulesFile = Type.Object(
  {
    version: Type.Literal(1),
    rules: Type.Array(Rule, { maxItems: 1000 }),
    /** Schedules by tenant id, then by industry, then the default. */
    schedules: Type.Object(
      {
        default: Schedule,
        byIndustry: Type.Optional(Type.Record(Type.String(), Schedule)),
        byTenant: Type.Optional(Type.Record(Type.String(), Schedule)),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type ThresholdRule = Static<typeof ThresholdRule>;
export type RateRule = Static<typeof RateRule>;
export type FlatlineRule = Static<typeof FlatlineRule>;
export type AnomalyRule = Static<typeof AnomalyRule>;
export type EventRule = Static<typeof EventRule>;
export type OfflineRule = Static<typeof OfflineRule>;
export type PowerStoppedRule = Static<typeof PowerStoppedRule>;
export type PowerOverloadRule = Static<typeof PowerOverloadRule>;
export type PowerScheduleRule = Static<typeof PowerScheduleRule>;
export type PowerBaselineRule = Static<typeof PowerBaselineRule>;
export type CorrelationRule = Static<typeof CorrelationRule>;
export type Rule = Static<typeof Rule>;
export type DeviceRule = Exclude<Rule, CorrelationRule>;
export type Schedule = Static<typeof Schedule>;
export type RulesFile = Static<typeof RulesFile>;
export const rulesFileSchema = validator(RulesFile);
