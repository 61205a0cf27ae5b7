import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';

/**
 * Duty shifts (值班交接班): one officer is on duty at a time. A shift starts
 * when no one is on duty, or when the next officer accepts a handover: the
 * shift changes hands only on acceptance.
 */
const Ms = Type.Integer({ minimum: 0 });
const Count = Type.Integer({ minimum: 0 });

export const Shift = Type.Object({
  id: Type.String(),
  /** The officer's user id, username and name, from the session. */
  userId: Type.String(),
  officer: Type.String(),
  officerName: Type.String(),
  startedAt: Ms,
  /** When the shift was handed over (or ended); null while it lasts. */
  endedAt: Type.Union([Ms, Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
});
export type Shift = Static<typeof Shift>;

/** What is still open at a handover, counted when it is started. */
export const HandoverSummary = Type.Object({
  alerts: Type.Object({ total: Count, byLevel: Type.Object({ red: Count, orange: Count, yellow: Count, blue: Count }) }),
  /** The open alerts' ids, most severe first (at most HANDOVER_ALERT_IDS_MAX). */
  alertIds: Type.Array(Type.String()),
  hazards: Type.Object({ open: Count, overdue: Count, major: Count }),
});
export type HandoverSummary = Static<typeof HandoverSummary>;
export const HANDOVER_ALERT_IDS_MAX = 50;

export const HANDOVER_STATES = ['pending', 'accepted', 'cancelled'] as const;
export type HandoverState = (typeof HANDOVER_STATES)[number];

export const Handover = Type.Object({
  id: Type.String(),
  /** The shift being handed over. */
  shift: Type.String(),
  from: Type.String(),
  fromName: Type.String(),
  /** The officer named to take over (username), or null: anyone on the duty roster may accept. */
  to: Type.Union([Type.String(), Type.Null()]),
  state: Type.Union(HANDOVER_STATES.map((s) => Type.Literal(s))),
  createdAt: Ms,
  note: Type.Union([Type.String(), Type.Null()]),
  summary: HandoverSummary,
  acceptedAt: Type.Union([Ms, Type.Null()]),
  acceptedBy: Type.Union([Type.String(), Type.Null()]),
  acceptNote: Type.Union([Type.String(), Type.Null()]),
  /** The shift the acceptance started. */
  nextShift: Type.Union([Type.String(), Type.Null()]),
});
export type Handover = Static<typeof Handover>;

/** `GET /api/shifts/current`: who is on duty, and a handover waiting for acceptance. */
export interface ShiftCurrent {
  shift: Shift | null;
  handover: Handover | null;
}

export const StartShiftBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false });
export type StartShiftBody = Static<typeof StartShiftBody>;
export const startShiftBody = validator(StartShiftBody);

export const HandoverBody = Type.Object(
  { to: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })), note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type HandoverBody = Static<typeof HandoverBody>;
export const handoverBody = validator(HandoverBody);

export const AcceptHandoverBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export type AcceptHandoverBody = Static<typeof AcceptHandoverBody>;
export const acceptHandoverBody = validator(AcceptHandoverBody);

export const ShiftQuery = Type.Object(
  {
    from: Type.Optional(Ms),
    to: Type.Optional(Ms),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  },
  { additionalProperties: false },
);
export type ShiftQuery = Static<typeof ShiftQuery>;
export const shiftQuery = validator(ShiftQuery);
