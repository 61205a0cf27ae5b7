import {
  levelRank,
  REPORT_KIND_LABELS,
  REPORT_MAX_ROWS,
  isOpen,
  type Alert,
  type Hazard,
  type ReportContent,
  type Shift,
  type StatsAnswer,
} from '@lifeline/core';
import type { StatsPeriodQuery } from '../stats/stats-query.js';
import type { ReportPeriod } from './periods.js';
import { reportWorkbook } from './report-workbook.js';

/** Where a report's figures come from; the hazard register and the duty roster are optional (null in the report without them). */
export interface ReportSources {
  district: string;
  stats: (q: StatsPeriodQuery) => Promise<StatsAnswer>;
  /** The alerts open now. */
  openAlerts: () => Alert[];
  overdueHazards?: (now: number) => Promise<{ total: number; items: Hazard[] }>;
  shifts?: (from: number, to: number) => Promise<Shift[]>;
  now?: () => number;
}

export interface GeneratedReport {
  content: ReportContent;
  workbook: Buffer;
}

/**
 * The report of one period: the period's statistics, the red and orange
 * alerts open when it is made, the hazards past their deadline, who was on
 * duty; as content (kept as JSON, for the print view and the list) and as an
 * .xlsx workbook. Reads only what `sources` give; writes nothing.
 */
export async function generateReport(period: ReportPeriod, src: ReportSources): Promise<GeneratedReport> {
  const now = (src.now ?? Date.now)();
  const [stats, hazards, shifts] = await Promise.all([
    src.stats({ from: period.start, to: period.end }),
    src.overdueHazards ? src.overdueHazards(Math.min(now, period.end)) : Promise.resolve(null),
    src.shifts ? src.shifts(period.start, period.end) : Promise.resolve(null),
  ]);
  const open = src
    .openAlerts()
    .filter((a) => isOpen(a.state) && (a.level === 'red' || a.level === 'orange') && a.raisedAt < period.end)
    .sort((a, b) => levelRank(b.level) - levelRank(a.level) || a.raisedAt - b.raisedAt);
  const content: ReportContent = {
    kind: period.kind,
    title: `${src.district}城市安全风险监测${REPORT_KIND_LABELS[period.kind].zh}（${period.label}）`,
    periodStart: period.start,
    periodEnd: period.end,
    periodLabel: period.label,
    timeZone: period.timeZone,
    generatedAt: now,
    stats,
    openAlerts: {
      total: open.length,
      rows: open.slice(0, REPORT_MAX_ROWS).map((a) => ({
        id: a.id,
        level: a.level,
        state: a.state,
        town: a.town,
        name: a.name,
        device: a.device,
        rule: a.rule,
        raisedAt: a.raisedAt,
        escalations: a.escalations ?? 0,
      })),
    },
    overdueHazards: hazards && {
      total: hazards.total,
      rows: hazards.items.slice(0, REPORT_MAX_ROWS).map((h) => ({
        id: h.id,
        level: h.level,
        state: h.state,
        unitName: h.unitName,
        town: h.town,
        industry: h.industry,
        description: h.description,
        deadline: h.deadline,
      })),
    },
    shifts: shifts && shifts.map((x) => ({ officer: x.officer, officerName: x.officerName, startedAt: x.startedAt, endedAt: x.endedAt })),
  };
  return { content, workbook: await reportWorkbook(content) };
}
