import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { LevelSchema } from './device.js';
import { StatsAnswer } from './stats.js';

/** 日报, 周报, 月报. */
export const REPORT_KINDS = ['daily', 'weekly', 'monthly'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const ReportKindSchema = Type.Union(REPORT_KINDS.map((k) => Type.Literal(k)));
export const REPORT_KIND_LABELS: Readonly<Record<ReportKind, { zh: string; en: string }>> = {
  daily: { zh: '日报', en: 'Daily report' },
  weekly: { zh: '周报', en: 'Weekly report' },
  monthly: { zh: '月报', en: 'Monthly report' },
};

/** Rows a report lists of open alerts and of overdue hazards; the count says how many there were in all. */
export const REPORT_MAX_ROWS = 500;

const Ms = Type.Integer({ minimum: 0 });

export const ReportAlertRow = Type.Object({
  id: Type.String(),
  level: LevelSchema,
  state: Type.String(),
  town: Type.String(),
  name: Type.String(),
  device: Type.String(),
  rule: Type.String(),
  raisedAt: Ms,
  escalations: Type.Integer({ minimum: 0 }),
});
export type ReportAlertRow = Static<typeof ReportAlertRow>;

export const ReportHazardRow = Type.Object({
  id: Type.String(),
  level: Type.String(),
  state: Type.String(),
  unitName: Type.String(),
  town: Type.String(),
  industry: Type.Union([Type.String(), Type.Null()]),
  description: Type.String(),
  deadline: Ms,
});
export type ReportHazardRow = Static<typeof ReportHazardRow>;

export const ReportShiftRow = Type.Object({ officer: Type.String(), officerName: Type.String(), startedAt: Ms, endedAt: Type.Union([Ms, Type.Null()]) });
export type ReportShiftRow = Static<typeof ReportShiftRow>;

/** What a report says, kept with it (the workbook and the print view are drawn from it). */
export const ReportContent = Type.Object({
  kind: ReportKindSchema,
  title: Type.String(),
  /** The period [start, end) in epoch ms, and its label in the report's time zone (2026-12-01, 2026-W49, 2026-12). */
  periodStart: Ms,
  periodEnd: Ms,
  periodLabel: Type.String(),
  timeZone: Type.String(),
  generatedAt: Ms,
  stats: StatsAnswer,
  openAlerts: Type.Object({ total: Type.Integer({ minimum: 0 }), rows: Type.Array(ReportAlertRow) }),
  /** Null when the hazard register was not available to the generator. */
  overdueHazards: Type.Union([Type.Object({ total: Type.Integer({ minimum: 0 }), rows: Type.Array(ReportHazardRow) }), Type.Null()]),
  /** Who was on duty in the period; null when the duty roster was not available. */
  shifts: Type.Union([Type.Array(ReportShiftRow), Type.Null()]),
});
export type ReportContent = Static<typeof ReportContent>;
export const reportContent = validator(ReportContent);

/** One entry of `GET /api/reports`. */
export const ReportEntry = Type.Object({
  id: Type.String(),
  kind: ReportKindSchema,
  title: Type.String(),
  periodStart: Ms,
  periodEnd: Ms,
  periodLabel: Type.String(),
  createdAt: Ms,
  createdBy: Type.String(),
  /** Size of the workbook. */
  bytes: Type.Integer({ minimum: 0 }),
});
export type ReportEntry = Static<typeof ReportEntry>;

export const ReportListQuery = Type.Object(
  { kind: Type.Optional(ReportKindSchema), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  { additionalProperties: false },
);
export type ReportListQuery = Static<typeof ReportListQuery>;
export const reportListQuery = validator(ReportListQuery);

/** `POST /api/reports`: generate (or generate again) the report of the period containing `day` (YYYY-MM-DD in the report time zone). */
export const GenerateReportBody = Type.Object(
  { kind: ReportKindSchema, day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), notify: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type GenerateReportBody = Static<typeof GenerateReportBody>;
export const generateReportBody = validator(GenerateReportBody);
