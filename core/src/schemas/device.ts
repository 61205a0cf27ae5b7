import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { LEVELS } from '../levels.js';

/** Ids travel in MQTT topics and InfluxDB tags: no `/`, `+`, `#`, spaces. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
export const Id = Type.String({ pattern: ID_PATTERN });

export const DEVICE_KINDS = ['gas', 'power', 'fire_panel', 'smoke', 'water_pressure', 'drainage'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];
export const DeviceKindSchema = Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k)));

export const LevelSchema = Type.Union(LEVELS.map((l) => Type.Literal(l)));

/** Level boundaries of one threshold rule; any may be left out. */
export const LevelValues = Type.Object(
  {
    blue: Type.Optional(Type.Number()),
    yellow: Type.Optional(Type.Number()),
    orange: Type.Optional(Type.Number()),
    red: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);
export type LevelValues = Static<typeof LevelValues>;

/** A device's override of one of its kind's threshold rules, by rule id. */
export const ThresholdOverride = Type.Object(
  {
    levels: Type.Optional(LevelValues),
    hysteresis: Type.Optional(Type.Number({ minimum: 0 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ThresholdOverride = Static<typeof ThresholdOverride>;

export const Device = Type.Object(
  {
    id: Id,
    tenant: Id,
    kind: DeviceKindSchema,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    town: Type.String({ minLength: 1, maxLength: 32 }),
    site: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    address: Type.Optional(Type.String({ maxLength: 200 })),
    lon: Type.Number({ minimum: 73, maximum: 136 }),
    lat: Type.Number({ minimum: 3, maximum: 54 }),
    /** Expected seconds between messages; the kind's default otherwise. */
    intervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    thresholds: Type.Optional(Type.Record(Type.String(), ThresholdOverride)),
    /** The device model (型号), for false-alarm rates per model; the kind stands in when it is not registered. */
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^,=\\s]+$' })),
  },
  { additionalProperties: false },
);
export type Device = Static<typeof Device>;

export const TENANT_TYPES = ['government', 'utility', 'enterprise', 'venue'] as const;

export const Tenant = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    type: Type.Union(TENANT_TYPES.map((t) => Type.Literal(t))),
    industry: Type.Optional(Type.String({ maxLength: 32 })),
    /** Enterprises feeding power-monitoring data (安全生产电力监测). */
    enterprise: Type.Optional(
      Type.Object(
        {
          ratedKw: Type.Number({ exclusiveMinimum: 0 }),
          idleKw: Type.Number({ minimum: 0 }),
          state: Type.Union([Type.Literal('normal'), Type.Literal('stopped')]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Tenant = Static<typeof Tenant>;

export const Registry = Type.Object(
  {
    version: Type.Literal(1),
    district: Type.Object(
      {
        code: Type.String(),
        name: Type.String(),
        city: Type.String(),
        center: Type.Tuple([Type.Number(), Type.Number()]),
      },
      { additionalProperties: false },
    ),
    towns: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    tenants: Type.Array(Tenant, { minItems: 1 }),
    devices: Type.Array(Device),
  },
  { additionalProperties: false },
);
export type Registry = Static<typeof Registry>;
export const registrySchema = validator(Registry);
