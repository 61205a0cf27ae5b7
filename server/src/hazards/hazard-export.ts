import ExcelJS from 'exceljs';
import { HAZARD_LEVEL_LABELS, HAZARD_SOURCE_LABELS, HAZARD_STATE_LABELS, isHazardOverdue, type Hazard } from '@lifeline/core';

/** The register's columns as exported, in Chinese (the district's forms). */
const COLUMNS: { header: string; width: number; value: (h: Hazard, now: number) => string | number }[] = [
  { header: '编号', width: 22, value: (h) => h.id },
  { header: '级别', width: 10, value: (h) => HAZARD_LEVEL_LABELS[h.level].zh },
  { header: '状态', width: 10, value: (h) => HAZARD_STATE_LABELS[h.state].zh },
  { header: '超期', width: 6, value: (h, now) => (isHazardOverdue(h, now) ? '是' : '否') },
  { header: '责任单位', width: 24, value: (h) => h.unitName },
  { header: '镇街', width: 12, value: (h) => h.town },
  { header: '行业', width: 10, value: (h) => h.industry ?? '' },
  { header: '来源', width: 10, value: (h) => HAZARD_SOURCE_LABELS[h.source].zh },
  { header: '来源编号', width: 22, value: (h) => h.sourceRef ?? '' },
  { header: '隐患描述', width: 48, value: (h) => h.description },
  { header: '整改期限', width: 18, value: (h) => time(h.deadline) },
  { header: '登记时间', width: 18, value: (h) => time(h.createdAt) },
  { header: '登记人', width: 12, value: (h) => h.createdBy },
  { header: '报整改时间', width: 18, value: (h) => (h.reportedAt === null ? '' : time(h.reportedAt)) },
  { header: '销号时间', width: 18, value: (h) => (h.signedOffAt === null ? '' : time(h.signedOffAt)) },
  { header: '销号人', width: 12, value: (h) => h.signedOffBy ?? '' },
  { header: '督办次数', width: 8, value: (h) => h.escalations },
];

const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
});
const time = (ms: number) => TIME.format(new Date(ms));

/** A field as CSV: quoted when it holds a quote, comma or line break; a leading =+-@ is defused (spreadsheet formulas). */
function csvField(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** UTF-8 with a BOM, CRLF lines: what Excel in a Chinese locale opens without garbling. */
export function hazardsCsv(items: readonly Hazard[], now: number): string {
  const lines = [COLUMNS.map((c) => csvField(c.header)).join(',')];
  for (const h of items) lines.push(COLUMNS.map((c) => csvField(c.value(h, now))).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export async function hazardsXlsx(items: readonly Hazard[], now: number): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Lifeline';
  const ws = wb.addWorksheet('隐患清单');
  ws.columns = COLUMNS.map((c) => ({ header: c.header, width: c.width }));
  ws.getRow(1).font = { bold: true };
  for (const h of items) ws.addRow(COLUMNS.map((c) => c.value(h, now)));
  ws.views = [{ state: 'frozen', ySplit: 1 }];
  return Buffer.from(await wb.xlsx.writeBuffer());
}
