import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';

/** Milliseconds since the epoch, between 2000 and 2100 (catches seconds sent as ms and vice versa). */
export const Timestamp = Type.Integer({ minimum: 946_684_800_000, maximum: 4_102_444_800_000 });

/** Metric names become InfluxDB field names: short, lower-case, ASCII. */
export const METRIC_NAME = '^[a-z][a-z0-9_]{0,31}$';

export const TelemetryReading = Type.Object(
  {
    ts: Type.Optional(Timestamp),
    values: Type.Record(Type.String({ pattern: METRIC_NAME }), Type.Number(), {
      minProperties: 1,
      maxProperties: 64,
      additionalProperties: false,
    }),
  },
  { additionalProperties: false },
);
export type TelemetryReading = Static<typeof TelemetryReading>;

export const TelemetryBatch = Type.Array(TelemetryReading, { minItems: 1, maxItems: 1000 });
export type TelemetryBatch = Static<typeof TelemetryBatch>;

/** A telemetry payload is one reading or a batch of up to 1,000. */
export const TelemetryPayload = Type.Union([TelemetryReading, TelemetryBatch]);
export type TelemetryPayload = Static<typeof TelemetryPayload>;

const reading = validator(TelemetryReading);
const batch = validator(TelemetryBatch);
/** Checks against the branch the payload's shape picks, so errors name the bad field. */
export const telemetryPayload = {
  check: (value: unknown) => (Array.isArray(value) ? batch.check(value) : reading.check(value)),
};
