import { LEVEL_LABELS, type ReportContent } from '@lifeline/core';
import { HAZARD_LEVEL_ZH, localTime, minutes, NONE_ZH, percent, RANK_HEADER, rankCells, SHEETS, STATE_ZH, summaryRows } from './report-workbook.js';

const esc = (s: string | number) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function table(title: string, header: string[], rows: (string | number)[][]): string {
  const body = rows.length
    ? `<table><thead><tr>${header.map((x) => `<th>${esc(x)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : '<p class="none">无</p>';
  return `<section><h2>${esc(title)}</h2>${body}</section>`;
}

/**
 * The report as a printable page (A4, print CSS): the same parts as the
 * workbook. No inline style or script (the CSP): the stylesheet and the print
 * button's script are served beside it.
 */
export function reportPrintHtml(c: ReportContent, links: { css: string; js: string; xlsx: string }): string {
  const tz = c.timeZone;
  const s = c.stats;
  const parts = [
    table(SHEETS.summary, ['项目', '数值'], summaryRows(c)),
    table(SHEETS.towns, RANK_HEADER, s.towns.map(rankCells)),
    table(SHEETS.industries, RANK_HEADER, s.industries.map(rankCells)),
    table(
      SHEETS.openAlerts,
      ['级别', '状态', '镇街', '设备名称', '规则', '发生时间', '升级次数'],
      c.openAlerts.rows.map((a) => [LEVEL_LABELS[a.level].zh, STATE_ZH[a.state] ?? a.state, a.town, a.name, a.rule, localTime(a.raisedAt, tz), a.escalations]),
    ),
    table(
      SHEETS.hazards,
      ['等级', '状态', '责任单位', '镇街', '行业', '隐患描述', '整改期限'],
      (c.overdueHazards?.rows ?? []).map((h) => [
        HAZARD_LEVEL_ZH[h.level] ?? h.level,
        STATE_ZH[h.state] ?? h.state,
        h.unitName,
        h.town,
        h.industry ?? NONE_ZH,
        h.description,
        localTime(h.deadline, tz),
      ]),
    ),
    table(
      SHEETS.falseAlarms,
      ['维度', '名称', '已研判', '误报', '误报率'],
      [
        ...s.falseAlarms.byRule.map((r) => ['规则', r.key, r.judged, r.falseAlarms, percent(r.rate, 1)]),
        ...s.falseAlarms.byModel.map((r) => ['设备型号', r.key, r.judged, r.falseAlarms, percent(r.rate, 1)]),
      ],
    ),
    table(
      SHEETS.offline,
      ['设备编号', '设备名称', '镇街', '离线次数', '离线时长（分钟）'],
      s.online.mostOffline.map((r) => [r.device, r.name, r.town, r.times, minutes(r.offlineS)]),
    ),
    table(
      SHEETS.duty,
      ['值班员', '账号', '上岗时间', '交班时间'],
      (c.shifts ?? []).map((x) => [x.officerName, x.officer, localTime(x.startedAt, tz), x.endedAt === null ? '在岗' : localTime(x.endedAt, tz)]),
    ),
  ];
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(c.title)}</title><link rel="stylesheet" href="${esc(links.css)}"></head>
<body><header><h1>${esc(c.title)}</h1><nav class="no-print"><button type="button" id="print">打印</button> <a href="${esc(links.xlsx)}">下载 Excel</a></nav></header>
${parts.join('\n')}
<script src="${esc(links.js)}"></script></body></html>`;
}

export const PRINT_CSS = `body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#111}
h1{font-size:20px;text-align:center}h2{font-size:15px;margin:18px 0 6px;border-left:4px solid #c00;padding-left:6px}
table{border-collapse:collapse;width:100%;font-size:12px}th,td{border:1px solid #999;padding:3px 6px;text-align:left}th{background:#eef2f7}
.none{color:#666;font-size:12px}nav{text-align:right}
@page{size:A4;margin:14mm}
@media print{.no-print{display:none}body{margin:0}section{break-inside:avoid-page}thead{display:table-header-group}}`;

export const PRINT_JS = `document.getElementById('print')?.addEventListener('click',()=>window.print());`;
