import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';

/**
 * The hazard register (隐患清单): a hazard is kept on the list of the unit
 * responsible until it is rectified and signed off (销号). Its transitions are
 * one table in `hazard-machine.ts`.
 */

/** 重大隐患 / 一般隐患. */
export const HAZARD_LEVELS = ['major', 'general'] as const;
export type HazardLevel = (typeof HAZARD_LEVELS)[number];
export const HazardLevelSchema = Type.Union(HAZARD_LEVELS.map((l) => Type.Literal(l)));

/**
 * open (立案) → rectifying (整改中) → reported (已报整改, by the unit) → signed_off (已销号, a
 * government reviewer); a report rejected goes back to rectifying.
 */
export const HAZARD_STATES = ['open', 'rectifying', 'reported', 'signed_off'] as const;
export type HazardState = (typeof HAZARD_STATES)[number];
export const HazardStateSchema = Type.Union(HAZARD_STATES.map((s) => Type.Literal(s)));
/** Every state but signed_off: still on the unit's list, and escalated (督办) once past its deadline. */
export const OPEN_HAZARD_STATES: readonly HazardState[] = ['open', 'rectifying', 'reported'];
export const isHazardOpen = (state: HazardState): boolean => OPEN_HAZARD_STATES.includes(state);

/** Where a hazard was found: an alert (真实警情), an inspection (检查), a report from the public (群众举报). */
export const HAZARD_SOURCES = ['alert', 'inspection', 'public'] as const;
export type HazardSource = (typeof HAZARD_SOURCES)[number];
export const HazardSourceSchema = Type.Union(HAZARD_SOURCES.map((s) => Type.Literal(s)));

/** What a hazard's history records. */
export const HAZARD_ACTIONS = ['created', 'progress', 'reported', 'signed_off', 'rejected', 'escalated', 'extended'] as const;
export type HazardAction = (typeof HAZARD_ACTIONS)[number];

export const HAZARD_LEVEL_LABELS: Readonly<Record<HazardLevel, { zh: string; en: string }>> = {
  major: { zh: '重大隐患', en: 'Major' },
  general: { zh: '一般隐患', en: 'General' },
};
export const HAZARD_STATE_LABELS: Readonly<Record<HazardState, { zh: string; en: string }>> = {
  open: { zh: '待整改', en: 'Open' },
  rectifying: { zh: '整改中', en: 'Rectifying' },
  reported: { zh: '已报整改', en: 'Reported rectified' },
  signed_off: { zh: '已销号', en: 'Signed off' },
};
export const HAZARD_SOURCE_LABELS: Readonly<Record<HazardSource, { zh: string; en: string }>> = {
  alert: { zh: '预警转隐患', en: 'Alert' },
  inspection: { zh: '检查发现', en: 'Inspection' },
  public: { zh: '群众举报', en: 'Public report' },
};

const Ms = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
const Text = (max: number) => Type.String({ minLength: 1, maxLength: max });
/** Attachments are noted by name (the file itself is kept by the unit). */
export const HAZARD_ATTACHMENTS_MAX = 20;
const Attachments = Type.Array(Text(200), { maxItems: HAZARD_ATTACHMENTS_MAX });

export const Hazard = Type.Object({
  id: Type.String(),
  source: HazardSourceSchema,
  /** The alert's id (source alert), or the inspection's / the public report's reference. */
  sourceRef: Type.Union([Type.String(), Type.Null()]),
  /**
   * The unit responsible: a tenant (an enterprise, a utility; its users see and
   * update the hazard) or a government department (部门) by name. Exactly one is set.
   */
  tenant: Type.Union([Type.String(), Type.Null()]),
  department: Type.Union([Type.String(), Type.Null()]),
  /** The unit's name as shown: the tenant's name, or the department. */
  unitName: Type.String(),
  town: Type.String(),
  /** The tenant's industry when it has one (for lists and statistics per industry). */
  industry: Type.Union([Type.String(), Type.Null()]),
  /** The device of the alert it came from, when it did. */
  device: Type.Union([Type.String(), Type.Null()]),
  level: HazardLevelSchema,
  state: HazardStateSchema,
  description: Type.String(),
  /** 整改期限: epoch ms. */
  deadline: Ms,
  createdAt: Ms,
  createdBy: Type.String(),
  updatedAt: Ms,
  reportedAt: Type.Union([Ms, Type.Null()]),
  signedOffAt: Type.Union([Ms, Type.Null()]),
  signedOffBy: Type.Union([Type.String(), Type.Null()]),
  /** 督办: how many times it escalated past its deadline, and when last. */
  escalations: Type.Integer({ minimum: 0 }),
  escalatedAt: Type.Union([Ms, Type.Null()]),
});
export type Hazard = Static<typeof Hazard>;

/** Past its deadline and not signed off. */
export function isHazardOverdue(h: Pick<Hazard, 'state' | 'deadline'>, now: number): boolean {
  return isHazardOpen(h.state) && h.deadline < now;
}

/** One line of a hazard's history. */
export const HazardEvent = Type.Object({
  id: Type.String(),
  hazard: Type.String(),
  at: Ms,
  /** The logged-in user, or `system` (escalation). */
  actor: Type.String(),
  action: Type.Union(HAZARD_ACTIONS.map((a) => Type.Literal(a))),
  from: Type.Union([HazardStateSchema, Type.Null()]),
  to: HazardStateSchema,
  note: Type.Union([Type.String(), Type.Null()]),
  attachments: Type.Array(Type.String()),
});
export type HazardEvent = Static<typeof HazardEvent>;

/** `GET /api/hazards/:id`: the hazard and its history, oldest first. */
export interface HazardDetail {
  hazard: Hazard;
  history: HazardEvent[];
}

/** The groupings of `GET /api/hazards/summary?by=`: per responsible unit, per town, per industry. */
export const HAZARD_GROUPS = ['unit', 'town', 'industry'] as const;
export type HazardGroup = (typeof HAZARD_GROUPS)[number];

/** One row of `GET /api/hazards/summary`, most overdue first. */
export interface HazardSummaryRow {
  /** The tenant id or department name, the town, or the industry (null: none recorded). */
  key: string | null;
  label: string;
  total: number;
  open: number;
  overdue: number;
  major: number;
  signedOff: number;
}

/** `GET /api/hazards`. */
export interface HazardList {
  total: number;
  overdue: number;
  items: Hazard[];
}

/**
 * `POST /api/hazards`: a hazard found by inspection or reported by the public
 * (one from an alert is opened by resolving the alert as `real`). Exactly one
 * of `tenant` and `department` (checked by the route, which names the field).
 */
export const NewHazardBody = Type.Object(
  {
    source: HazardSourceSchema,
    sourceRef: Type.Optional(Text(128)),
    tenant: Type.Optional(Text(64)),
    department: Type.Optional(Text(100)),
    town: Text(32),
    level: HazardLevelSchema,
    description: Text(2000),
    deadline: Ms,
  },
  { additionalProperties: false },
);
export type NewHazardBody = Static<typeof NewHazardBody>;
export const newHazardBody = validator(NewHazardBody);

/**
 * The hazard a `real` alert opens in the same step as it is resolved (the
 * `hazard` of the resolve body): the unit is the alert's tenant unless a
 * department is named; town, device and source come from the alert; the
 * description defaults to the resolve note.
 */
export const HazardFromAlert = Type.Object(
  {
    level: HazardLevelSchema,
    deadline: Ms,
    description: Type.Optional(Text(2000)),
    department: Type.Optional(Text(100)),
  },
  { additionalProperties: false },
);
export type HazardFromAlert = Static<typeof HazardFromAlert>;

/** `POST /api/hazards/:id/progress` (整改进展) and `/report` (报整改完成). */
export const HazardProgressBody = Type.Object({ note: Text(2000), attachments: Type.Optional(Attachments) }, { additionalProperties: false });
export type HazardProgressBody = Static<typeof HazardProgressBody>;
export const hazardProgressBody = validator(HazardProgressBody);

/** `POST /api/hazards/:id/sign-off` (销号). */
export const HazardSignOffBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export type HazardSignOffBody = Static<typeof HazardSignOffBody>;
export const hazardSignOffBody = validator(HazardSignOffBody);

/** `POST /api/hazards/:id/reject`: back to rectifying, with the reason. */
export const HazardRejectBody = Type.Object({ reason: Text(2000) }, { additionalProperties: false });
export type HazardRejectBody = Static<typeof HazardRejectBody>;
export const hazardRejectBody = validator(HazardRejectBody);

/** `POST /api/hazards/:id/extend` (延期, a government reviewer's): the new rectification deadline, later than the old one and than now, and why. */
export const HazardExtendBody = Type.Object({ deadline: Ms, reason: Text(2000) }, { additionalProperties: false });
export type HazardExtendBody = Static<typeof HazardExtendBody>;
export const hazardExtendBody = validator(HazardExtendBody);

/** `GET /api/hazards`: `state` also takes `open` (every open state) and `overdue`. */
export const HazardQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('overdue'), ...HAZARD_STATES.map((s) => Type.Literal(s))])),
    level: Type.Optional(HazardLevelSchema),
    source: Type.Optional(HazardSourceSchema),
    tenant: Type.Optional(Type.String({ maxLength: 64 })),
    department: Type.Optional(Type.String({ maxLength: 100 })),
    town: Type.Optional(Type.String({ maxLength: 32 })),
    industry: Type.Optional(Type.String({ maxLength: 32 })),
    /** Deadline window, epoch ms. */
    from: Type.Optional(Ms),
    to: Type.Optional(Ms),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
  },
  { additionalProperties: false },
);
export type HazardQuery = Static<typeof HazardQuery>;
export const hazardQuery = validator(HazardQuery);
