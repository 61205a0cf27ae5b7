import ExcelJS from 'exceljs';
import {
  DISPOSITION_LABELS,
  DISPOSITIONS,
  LEVEL_LABELS,
  LEVELS,
  REPORT_KIND_LABELS,
  type DurationStat,
  type ReportContent,
  type StatsRankRow,
} from '@lifeline/core';
import { zoneOffsetMs } from './periods.js';

/** The sheets of every report, in order (the test reads them back by these names). */
export const SHEETS = {
  summary: '概览',
  towns: '按镇街',
  industries: '按行业',
  falseAlarms: '误报率',
  openAlerts: '未处置红橙预警',
  hazards: '超期隐患',
  offline: '离线设备',
  duty: '值班人员',
} as const;

export const STATE_ZH: Record<string, string> = {
  raised: '待确认',
  acknowledged: '已确认',
  dispatched: '已派单',
  resolved: '已处置',
  closed: '已销号',
  open: '待整改',
  rectifying: '整改中',
  reported: '已报整改',
  signed_off: '已销号',
};
export const HAZARD_LEVEL_ZH: Record<string, string> = { major: '重大', general: '一般' };
export const NONE_ZH = '未分类';

/** Local time in the report's zone, `2026-12-01 08:00`. */
export function localTime(at: number, timeZone: string): string {
  return new Date(at + zoneOffsetMs(timeZone, at)).toISOString().slice(0, 16).replace('T', ' ');
}

/** A duration in minutes with one decimal, or — when none was measured. */
export function minutes(s: number | null): string {
  return s === null ? '—' : (s / 60).toFixed(1);
}

export function percent(r: number | null, digits = 2): string {
  return r === null ? '—' : `${(r * 100).toFixed(digits)}%`;
}

/** The figures of the summary sheet, as label/value rows; the print view shows the same. */
export function summaryRows(c: ReportContent): [string, string | number][] {
  const s = c.stats;
  const d = (k: string) => s.resolved.byDisposition[k] ?? 0;
  const dur = (label: string, x: DurationStat): [string, string | number][] => [
    [`${label}中位数（分钟）`, minutes(x.medianS)],
    [`${label} P90（分钟）`, minutes(x.p90S)],
  ];
  return [
    ['报表', `${REPORT_KIND_LABELS[c.kind].zh} ${c.periodLabel}`],
    ['统计时段', `${localTime(c.periodStart, c.timeZone)} 至 ${localTime(c.periodEnd, c.timeZone)}（${c.timeZone}）`],
    ['生成时间', localTime(c.generatedAt, c.timeZone)],
    ['新增预警', s.raised.total],
    ...LEVELS.map((l): [string, number] => [`其中${LEVEL_LABELS[l].zh}`, s.raised.byLevel[l] ?? 0]),
    ['已处置', s.resolved.total],
    ['其中系统自动解除', s.resolved.bySystem],
    ...DISPOSITIONS.map((k): [string, number] => [`其中${DISPOSITION_LABELS[k].zh}`, d(k)]),
    ...dur('平均确认时长 MTTA', s.mtta),
    ...dur('平均处置时长 MTTR', s.mttr),
    ['升级督办', s.escalated],
    ['超时未处置', s.overdue],
    ['未处置预警', s.open],
    ['未处置红色/橙色预警', c.openAlerts.total],
    ['超期隐患', c.overdueHazards ? c.overdueHazards.total : '—'],
    ['设备在线率', percent(s.online.rate)],
    ['设备总数', s.online.devices],
    ['离线时长合计（小时）', (s.online.offlineS / 3600).toFixed(1)],
    ['值班人员', c.shifts ? c.shifts.map((x) => x.officerName).join('、') || '—' : '—'],
  ];
}

export const RANK_HEADER = ['名称', '新增预警', '已处置', 'MTTA中位数（分钟）', 'MTTA P90（分钟）', 'MTTR中位数（分钟）', 'MTTR P90（分钟）', '升级督办'];
export function rankCells(r: StatsRankRow): (string | number)[] {
  return [
    r.key === 'none' ? NONE_ZH : r.key,
    r.raised,
    r.resolved,
    minutes(r.mtta.medianS),
    minutes(r.mtta.p90S),
    minutes(r.mttr.medianS),
    minutes(r.mttr.p90S),
    r.escalated,
  ];
}

function table(ws: ExcelJS.Worksheet, header: string[], rows: (string | number)[][]): void {
  const h = ws.addRow(header);
  h.font = { bold: true };
  h.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDCE6F1' } };
  for (const r of rows) ws.addRow(r);
  ws.columns.forEach((col, i) => {
    const longest = Math.max(...[header[i] ?? '', ...rows.map((r) => String(r[i] ?? ''))].map((x) => [...x].length));
    col.width = Math.min(60, Math.max(10, longest * 2 + 2));
  });
  ws.views = [{ state: 'frozen', ySplit: 1 }];
}

/** The report as an Excel workbook (.xlsx), one sheet per part, in Chinese. */
export async function reportWorkbook(c: ReportContent): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Lifeline';
  wb.created = new Date(c.generatedAt);
  wb.title = c.title;
  const tz = c.timeZone;
  const s = c.stats;

  const summary = wb.addWorksheet(SHEETS.summary);
  summary.addRow([c.title]).font = { bold: true, size: 14 };
  table(summary, ['项目', '数值'], summaryRows(c));

  table(wb.addWorksheet(SHEETS.towns), RANK_HEADER, s.towns.map(rankCells));
  table(wb.addWorksheet(SHEETS.industries), RANK_HEADER, s.industries.map(rankCells));
  table(
    wb.addWorksheet(SHEETS.falseAlarms),
    ['维度', '名称', '已研判', '误报', '误报率'],
    [
      ...s.falseAlarms.byRule.map((r) => ['规则', r.key, r.judged, r.falseAlarms, percent(r.rate, 1)]),
      ...s.falseAlarms.byModel.map((r) => ['设备型号', r.key, r.judged, r.falseAlarms, percent(r.rate, 1)]),
    ],
  );
  table(
    wb.addWorksheet(SHEETS.openAlerts),
    ['编号', '级别', '状态', '镇街', '设备名称', '设备编号', '规则', '发生时间', '升级次数'],
    c.openAlerts.rows.map((a) => [
      a.id,
      LEVEL_LABELS[a.level].zh,
      STATE_ZH[a.state] ?? a.state,
      a.town,
      a.name,
      a.device,
      a.rule,
      localTime(a.raisedAt, tz),
      a.escalations,
    ]),
  );
  table(
    wb.addWorksheet(SHEETS.hazards),
    ['编号', '等级', '状态', '责任单位', '镇街', '行业', '隐患描述', '整改期限'],
    (c.overdueHazards?.rows ?? []).map((h) => [
      h.id,
      HAZARD_LEVEL_ZH[h.level] ?? h.level,
      STATE_ZH[h.state] ?? h.state,
      h.unitName,
      h.town,
      h.industry ?? NONE_ZH,
      h.description,
      localTime(h.deadline, tz),
    ]),
  );
  table(
    wb.addWorksheet(SHEETS.offline),
    ['设备编号', '设备名称', '镇街', '离线次数', '离线时长（分钟）'],
    s.online.mostOffline.map((r) => [r.device, r.name, r.town, r.times, minutes(r.offlineS)]),
  );
  table(
    wb.addWorksheet(SHEETS.duty),
    ['值班员', '账号', '上岗时间', '交班时间'],
    (c.shifts ?? []).map((x) => [x.officerName, x.officer, localTime(x.startedAt, tz), x.endedAt === null ? '在岗' : localTime(x.endedAt, tz)]),
  );
  return Buffer.from(await wb.xlsx.writeBuffer());
}
