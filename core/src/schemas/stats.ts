import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { DeviceKindSchema, LevelSchema } from './device.js';

/** The longest period one statistics query may cover (a year and a bit, for year-on-year views). */
export const STATS_MAX_SPAN_MS = 400 * 86_400_000;

const Ms = Type.Integer({ minimum: 0 });
const Count = Type.Integer({ minimum: 0 });
/** Seconds, or null when nothing was measured. */
const Seconds = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]);

/** `GET /api/stats`: a period [from, to) in epoch ms and optional filters on the alert's dimensions. */
export const StatsQuery = Type.Object(
  {
    from: Type.Optional(Ms),
    to: Type.Optional(Ms),
    town: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    industry: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    kind: Type.Optional(DeviceKindSchema),
    rule: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    level: Type.Optional(LevelSchema),
  },
  { additionalProperties: false },
);
export type StatsQuery = Static<typeof StatsQuery>;
export const statsQuery = validator(StatsQuery);

/** Median and 90th percentile of a duration, over `n` alerts. */
export const DurationStat = Type.Object({
  n: Count,
  medianS: Seconds,
  p90S: Seconds,
  /** Set when the figures come from the daily rollup's histograms (periods over 35 days): within 2 % above a minute. */
  approx: Type.Optional(Type.Boolean()),
});
export type DurationStat = Static<typeof DurationStat>;

/** One row of a ranked table (a town or an industry). */
export const StatsRankRow = Type.Object({
  key: Type.String(),
  raised: Count,
  resolved: Count,
  mtta: DurationStat,
  mttr: DurationStat,
  escalated: Count,
});
export type StatsRankRow = Static<typeof StatsRankRow>;

/** False alarms among the alerts given a disposition, per rule or per device model. */
export const FalseAlarmRow = Type.Object({ key: Type.String(), judged: Count, falseAlarms: Count, rate: Rate });
export type FalseAlarmRow = Static<typeof FalseAlarmRow>;

export const OfflineDeviceRow = Type.Object({
  device: Type.String(),
  name: Type.String(),
  town: Type.String(),
  /** Offline alerts of the device in the period. */
  times: Count,
  offlineS: Type.Number({ minimum: 0 }),
});
export type OfflineDeviceRow = Static<typeof OfflineDeviceRow>;

/** A duty shift overlapping the period (值班): who, from when, to when (null while it lasts). */
export const StatsDutyRow = Type.Object({
  officer: Type.String(),
  officerName: Type.String(),
  from: Ms,
  to: Type.Union([Ms, Type.Null()]),
});
export type StatsDutyRow = Static<typeof StatsDutyRow>;

/** Shifts listed in one answer (three a day for a year and a bit); `onDutyTotal` says when there were more. */
export const STATS_MAX_DUTY_ROWS = 1500;

/** The answer of `GET /api/stats`; see the README's statistics section for every definition. */
export const StatsAnswer = Type.Object({
  from: Ms,
  to: Ms,
  generatedAt: Ms,
  /** Alerts raised in the period, by the level they were raised at. */
  raised: Type.Object({ total: Count, byLevel: Type.Record(Type.String(), Count) }),
  /** Alerts resolved in the period, by disposition (`none`: resolved by the system or before dispositions existed). */
  resolved: Type.Object({ total: Count, bySystem: Count, byDisposition: Type.Record(Type.String(), Count) }),
  mtta: DurationStat,
  mttr: DurationStat,
  /** Resolved in the period after escalating at least once, plus open ones raised in it that have escalated. */
  escalated: Count,
  /** Open now, raised in the period, and past their deadline (unacknowledged past their level's limit, or dispatched past the dispatch limit). */
  overdue: Count,
  /** Open now and raised in the period. */
  open: Count,
  falseAlarms: Type.Object({ byRule: Type.Array(FalseAlarmRow), byModel: Type.Array(FalseAlarmRow) }),
  online: Type.Object({
    devices: Count,
    /** 1 − offline device-seconds / (devices × period seconds); null for an empty scope. */
    rate: Rate,
    offlineS: Type.Number({ minimum: 0 }),
    mostOffline: Type.Array(OfflineDeviceRow),
  }),
  /** Slowest first (MTTR median, then MTTA median). */
  towns: Type.Array(StatsRankRow),
  industries: Type.Array(StatsRankRow),
  /** The duty shifts overlapping the period, in order of their start (the first STATS_MAX_DUTY_ROWS). */
  onDuty: Type.Array(StatsDutyRow),
  onDutyTotal: Count,
  /** How long InfluxDB took to answer, for the operators. */
  queryMs: Type.Number({ minimum: 0 }),
});
export type StatsAnswer = Static<typeof StatsAnswer>;
export const statsAnswer = validator(StatsAnswer);
