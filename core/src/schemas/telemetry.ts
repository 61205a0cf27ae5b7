import { Type, type Static } from '@sinclair/typebox';
import { validator, type Checked } from '../validate.js';

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

const metricName = new RegExp(METRIC_NAME);
const valuesSchema = TelemetryReading.properties.values;
const MIN_VALUES = valuesSchema.minProperties!;
const MAX_VALUES = valuesSchema.maxProperties!;
const MIN_TS = Timestamp.minimum!;
const MAX_TS = Timestamp.maximum!;

/**
 * The common case, a single reading (every device's every message), checked
 * without the compiled schema's arrays per call (`Object.entries`, property
 * lists): true only for a value the schema accepts too, its bounds read from
 * it. Anything else, or anything it is unsure of, goes to the schema, which
 * gives the errors.
 */
export function isPlainReading(value: unknown): value is TelemetryReading {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let values: unknown;
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (k === 'values') values = v;
    else if (k !== 'ts' || !(Number.isInteger(v) && (v as number) >= MIN_TS && (v as number) <= MAX_TS)) return false;
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values) || values instanceof Date || values instanceof Uint8Array) return false;
  let n = 0;
  for (const k in values) {
    if (++n > MAX_VALUES || !Number.isFinite((values as Record<string, unknown>)[k]) || !metricName.test(k)) return false;
  }
  return n >= MIN_VALUES;
}

/** Checks against the branch the payload's shape picks, so errors name the bad field. */
export const telemetryPayload = {
  check: (value: unknown): Checked<TelemetryPayload> => {
    if (isPlainReading(value)) return { ok: true, value };
    return Array.isArray(value) ? batch.check(value) : reading.check(value);
  },
};
