import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { DeviceKindSchema, LevelSchema, LevelValues } from './device.js';
import { ALERT_STATES, DirectionSchema } from './alert.js';
import { DispositionSchema } from '../disposition.js';
import { HazardFromAlert } from './hazard.js';

export const Actor = Type.String({ minLength: 1, maxLength: 64 });
export const Note = Type.String({ minLength: 1, maxLength: 500 });

/**
 * Action bodies carry no actor: the actor of every action is the logged-in
 * user, taken from the session (a body naming one is refused as an unknown field).
 */
export const AcknowledgeBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 500 })),
    /** 研判: the first judgement of what the alert is, from the disposition list. */
    judgement: Type.Optional(DispositionSchema),
  },
  { additionalProperties: false },
);
export type AcknowledgeBody = Static<typeof AcknowledgeBody>;
export const acknowledgeBody = validator(AcknowledgeBody);

/**
 * Resolving needs a note (what was found and done, 整改情况) and the
 * disposition from the fixed list; a `real` one may open a hazard in the same
 * step (`hazard`): both happen, or neither.
 */
export const ResolveBody = Type.Object({ note: Note, disposition: DispositionSchema, hazard: Type.Optional(HazardFromAlert) }, { additionalProperties: false });
export type ResolveBody = Static<typeof ResolveBody>;
export const resolveBody = validator(ResolveBody);

export const AlertQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('open'), ...ALERT_STATES.map((s) => Type.Literal(s))])),
    level: Type.Optional(LevelSchema),
    kind: Type.Optional(DeviceKindSchema),
    town: Type.Optional(Type.String({ maxLength: 32 })),
    tenant: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  },
  { additionalProperties: false },
);
export type AlertQuery = Static<typeof AlertQuery>;
export const alertQuery = validator(AlertQuery);

export const HistoryQuery = Type.Object(
  {
    /** Window length in minutes, back from now. */
    minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 * 24 * 31 })),
    /** Target number of points; the bucket size is derived from it. */
    points: Type.Optional(Type.Integer({ minimum: 10, maximum: 2000 })),
  },
  { additionalProperties: false },
);
export type HistoryQuery = Static<typeof HistoryQuery>;
export const historyQuery = validator(HistoryQuery);

export const DEVICE_STATUSES = ['normal', 'alert', 'offline', 'unknown'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** A device as the dashboard sees it: registry entry plus live state kept in memory. */
export const DeviceView = Type.Object({
  id: Type.String(),
  tenant: Type.String(),
  kind: DeviceKindSchema,
  name: Type.String(),
  town: Type.String(),
  site: Type.Optional(Type.String()),
  lon: Type.Number(),
  lat: Type.Number(),
  status: Type.Union(DEVICE_STATUSES.map((s) => Type.Literal(s))),
  /** Worst level among the device's open alerts. */
  level: Type.Union([LevelSchema, Type.Null()]),
  lastSeen: Type.Union([Type.Integer(), Type.Null()]),
  values: Type.Record(Type.String(), Type.Number()),
});
export type DeviceView = Static<typeof DeviceView>;

/** `GET /api/devices`: `?format=compact` answers a {@link DeviceListCompact} instead of one object per device. */
export const DeviceListQuery = Type.Object({ format: Type.Optional(Type.Literal('compact')) }, { additionalProperties: false });
export type DeviceListQuery = Static<typeof DeviceListQuery>;
export const deviceListQuery = validator(DeviceListQuery);

const Index = Type.Integer({ minimum: 0 });

/**
 * Every device in columns, for a map of a whole city: what the map draws and
 * counts (id, kind, tenant, position, status, worst level), one array per
 * field, the same device at the same position in each. Kinds, tenants,
 * statuses and levels are indexes into the answer's own tables. A device's
 * name, place, values and last message come from `GET /api/devices/:id`
 * when someone opens it.
 */
export const DeviceListCompact = Type.Object(
  {
    format: Type.Literal('compact'),
    kinds: Type.Array(DeviceKindSchema),
    tenants: Type.Array(Type.String()),
    statuses: Type.Array(Type.Union(DEVICE_STATUSES.map((s) => Type.Literal(s)))),
    levels: Type.Array(LevelSchema),
    id: Type.Array(Type.String()),
    /** Index into `kinds`. */
    kind: Type.Array(Index),
    /** Index into `tenants`. */
    tenant: Type.Array(Index),
    lon: Type.Array(Type.Number()),
    lat: Type.Array(Type.Number()),
    /** Index into `statuses`. */
    status: Type.Array(Index),
    /** Index into `levels` of the worst open alert's level, or -1 for none. */
    level: Type.Array(Type.Integer({ minimum: -1 })),
  },
  { additionalProperties: false },
);
export type DeviceListCompact = Static<typeof DeviceListCompact>;
export const deviceListCompact = validator(DeviceListCompact);

/** `refused_by_influxdb`: valid, but InfluxDB will not take it (its series past the cardinality limits, or a 4xx for the line). */
export const DEAD_LETTER_CODES = [
  'bad_topic',
  'bad_json',
  'invalid_payload',
  'unknown_device',
  'tenant_mismatch',
  'bad_timestamp',
  'refused_by_influxdb',
] as const;
export type DeadLetterCode = (typeof DEAD_LETTER_CODES)[number];
export const DeadLetterCodeSchema = Type.Union(DEAD_LETTER_CODES.map((c) => Type.Literal(c)));

/** A message ingest refused, and why. */
export const DeadLetter = Type.Object({
  at: Type.Integer({ minimum: 0 }),
  topic: Type.String(),
  code: DeadLetterCodeSchema,
  reason: Type.String(),
  tenant: Type.Optional(Type.String()),
  device: Type.Optional(Type.String()),
  /** The first bytes of the payload as text, for the operator to see. */
  payload: Type.String(),
});
export type DeadLetter = Static<typeof DeadLetter>;

/** `GET /api/dead-letters`: refusals since start-up, in all and by code, and the newest of them. */
export const DeadLetterList = Type.Object({
  total: Type.Integer({ minimum: 0 }),
  byCode: Type.Partial(Type.Record(DeadLetterCodeSchema, Type.Integer({ minimum: 0 }))),
  items: Type.Array(DeadLetter),
});
export type DeadLetterList = Static<typeof DeadLetterList>;

/** One bucket: its start (`t`, ms) and each metric's mean in it (null where the device sent none). */
export const HistoryPoint = Type.Intersect([Type.Object({ t: Type.Integer() }), Type.Record(Type.String(), Type.Union([Type.Number(), Type.Null()]))]);
export type HistoryPoint = Static<typeof HistoryPoint>;

/** A device's telemetry as the history reader gives it: means per bucket of `bucketS` seconds. */
export const DeviceReadings = Type.Object({
  device: Type.String(),
  from: Type.Integer(),
  to: Type.Integer(),
  bucketS: Type.Integer({ minimum: 1 }),
  metrics: Type.Array(Type.String()),
  points: Type.Array(HistoryPoint),
});
export type DeviceReadings = Static<typeof DeviceReadings>;

/**
 * One bound-crossing (threshold) rule of a device as the rule engine runs it
 * now: the rules file's rule with the device's registry override applied, so
 * the chart draws the lines the alerts are raised at.
 */
export const RuleBound = Type.Object(
  {
    rule: Type.String(),
    metric: Type.String(),
    direction: DirectionSchema,
    levels: LevelValues,
  },
  { additionalProperties: false },
);
export type RuleBound = Static<typeof RuleBound>;

/** `GET /api/devices/:id/history`: the readings, and the device's bounds for the chart's lines. */
export const DeviceHistory = Type.Composite([DeviceReadings, Type.Object({ bounds: Type.Array(RuleBound) })]);
export type DeviceHistory = Static<typeof DeviceHistory>;
export const deviceHistorySchema = validator(DeviceHistory);

/** `GET /api/meta`. */
export interface DistrictMeta {
  district: { code: string; name: string; city: string; center: [number, number] };
  towns: string[];
  tenants: { id: string; name: string; type: string }[];
}

export interface DependencyHealth {
  ok: boolean;
  url: string;
  detail?: string;
}

/**
 * What a spool (the write-ahead log in DATA_DIR/spool) holds that is not yet
 * in InfluxDB: shown by `/api/metrics` and in the admin's `/api/health`.
 */
export interface SpoolBacklog {
  bytes: number;
  records: number;
  segments: number;
  /** Age of the oldest record not yet written (to within a second); null when none. */
  oldestAgeS: number | null;
  /** Full: acknowledgements are held, the broker keeps the messages. */
  full: boolean;
  maxBytes: number;
  /** Lines of it in the writer's memory (the rest is read back from disk). */
  inMemoryLines: number;
  /** Records written per second, over the last 10 s. */
  writeRatePerS: number;
  /** Seconds until the backlog is written at that rate; null while InfluxDB fails or nothing is written. */
  drainEtaS: number | null;
  /** Records found at start-up (an earlier run's, written again). */
  replayed: number;
  /** Torn or corrupt records cut off at start-up. */
  torn: number;
}

export interface Health {
  status: 'ok' | 'degraded';
  broker: DependencyHealth & { embedded: boolean };
  influx: DependencyHealth;
  /** Only in the admin's detail: the ingest and alert-log spools. */
  backlog?: { ingest: SpoolBacklog; alerts: SpoolBacklog };
  uptimeS: number;
}

/** Handing an alert to the responsible unit (派单). */
export const DispatchBody = Type.Object(
  { unit: Type.String({ minLength: 1, maxLength: 100 }), note: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export type DispatchBody = Static<typeof DispatchBody>;
export const dispatchBody = validator(DispatchBody);

/** Signing a resolved alert off (销号). */
export const CloseBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
export type CloseBody = Static<typeof CloseBody>;
export const closeBody = validator(CloseBody);

/** One line of `GET /api/alerts/:id/timeline`, read back from the alert log. */
export interface TimelineEntry {
  at: number;
  action: string;
  actor?: string;
  note?: string;
  level: string;
  state: string;
}

const EpochMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });

/**
 * A maintenance silence (维护屏蔽): alerts raised inside it are recorded but not
 * notified. Exactly one of `device`, `site`, `tenant` (checked by the route,
 * which names the field), and `from` < `to`.
 */
export const SilenceBody = Type.Object(
  {
    device: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    from: EpochMs,
    to: EpochMs,
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
);
export type SilenceInput = Static<typeof SilenceBody>;
export const silenceBody = validator(SilenceBody);

/**
 * A silence as stored and listed. `actor` is who created it (from the session);
 * ending one (`DELETE /api/silences/:id`) sets `endedAt`/`endedBy` and `to`:
 * silences are ended, never deleted.
 */
export const Silence = Type.Composite([
  SilenceBody,
  Type.Object({
    id: Type.String(),
    createdAt: EpochMs,
    actor: Actor,
    endedAt: Type.Optional(EpochMs),
    endedBy: Type.Optional(Actor),
  }),
]);
export type Silence = Static<typeof Silence>;
/** The silences file in the data dir. */
export const silenceList = validator(Type.Array(Silence));

export const NotificationQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) }, { additionalProperties: false });
export const notificationQuery = validator(NotificationQuery);

export const NOTIFY_CHANNELS = ['webhook', 'wecom', 'dingtalk'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];
/**
 * Why a message was sent: a new alert, a higher level, escalation to the
 * supervisor (上级/带班领导), or a hazard past its rectification deadline (督办;
 * its `alertId` is then the hazard's id), or a report made (日报/周报/月报; its `alertId` the report's id).
 */
export const NOTIFY_REASONS = ['raised', 'upgraded', 'escalated', 'hazard_overdue', 'report'] as const;
export type NotifyReason = (typeof NOTIFY_REASONS)[number];
export const NOTIFY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type NotifyStatus = (typeof NOTIFY_STATUSES)[number];

const Count = Type.Integer({ minimum: 0 });

/** A message in the outbox, as `GET /api/notifications` shows it. */
export const NotificationView = Type.Object({
  id: Type.String(),
  alertId: Type.String(),
  channel: Type.Union(NOTIFY_CHANNELS.map((c) => Type.Literal(c))),
  reason: Type.Union(NOTIFY_REASONS.map((r) => Type.Literal(r))),
  level: Type.String(),
  createdAt: Type.Integer({ minimum: 0 }),
  status: Type.Union(NOTIFY_STATUSES.map((s) => Type.Literal(s))),
  attempts: Count,
  nextAt: Type.Optional(Type.Integer({ minimum: 0 })),
  doneAt: Type.Optional(Type.Integer({ minimum: 0 })),
  lastError: Type.Optional(Type.String()),
});
export type NotificationView = Static<typeof NotificationView>;

/** Messages in the outbox by delivery state. */
export const NotificationStats = Type.Object({ pending: Count, delivered: Count, failed: Count });
export type NotificationStats = Static<typeof NotificationStats>;

/** `GET /api/notifications`: the counters by delivery state, and the newest messages. */
export const NotificationList = Type.Composite([NotificationStats, Type.Object({ items: Type.Array(NotificationView) })]);
export type NotificationList = Static<typeof NotificationList>;
