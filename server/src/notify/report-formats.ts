import { REPORT_KIND_LABELS, type NotifyChannel, type ReportContent, type ReportEntry } from '@lifeline/core';
import { minutes, percent } from '../reports/report-workbook.js';
import { robotMarkdown } from './formats.js';

/** The links of a report: its print view (the summary's link) and its workbook. */
export function reportLinks(publicUrl: string, id: string): { print: string; xlsx: string } {
  const base = `${publicUrl.replace(/\/+$/, '')}/api/reports/${encodeURIComponent(id)}`;
  return { print: `${base}/print`, xlsx: `${base}/xlsx` };
}

/** The summary a report is sent with: the headline figures, in Chinese. */
export function reportFacts(
  entry: ReportEntry,
  c: ReportContent,
  publicUrl: string,
): { title: string; lines: string[]; links: { print: string; xlsx: string } } {
  const s = c.stats;
  const title = `【${REPORT_KIND_LABELS[c.kind].zh}】${c.title}`;
  const lines = [
    `新增预警：${s.raised.total}（红 ${s.raised.byLevel.red ?? 0}，橙 ${s.raised.byLevel.orange ?? 0}，黄 ${s.raised.byLevel.yellow ?? 0}，蓝 ${s.raised.byLevel.blue ?? 0}）`,
    `已处置：${s.resolved.total}，误报 ${s.resolved.byDisposition.false_alarm ?? 0}`,
    `确认时长 MTTA 中位数 ${minutes(s.mtta.medianS)} 分钟，处置时长 MTTR 中位数 ${minutes(s.mttr.medianS)} 分钟`,
    `升级督办 ${s.escalated}，超时未处置 ${s.overdue}`,
    `未处置红色/橙色预警：${c.openAlerts.total}`,
    `超期隐患：${c.overdueHazards ? c.overdueHazards.total : '—'}`,
    `设备在线率：${percent(s.online.rate)}`,
  ];
  if (c.shifts?.length) lines.push(`值班人员：${c.shifts.map((x) => x.officerName).join('、')}`);
  return { title, lines, links: reportLinks(publicUrl, entry.id) };
}

/** The body posted to a target of the given channel when a report is made. */
export function renderReportMessage(channel: NotifyChannel, entry: ReportEntry, c: ReportContent, publicUrl: string): unknown {
  const f = reportFacts(entry, c, publicUrl);
  switch (channel) {
    case 'webhook':
      return {
        type: 'lifeline.report',
        reason: 'report',
        title: f.title,
        kind: c.kind,
        period: c.periodLabel,
        text: f.lines.join('\n'),
        url: f.links.print,
        xlsx: f.links.xlsx,
        report: entry,
      };
    case 'wecom':
    case 'dingtalk':
      // DingTalk robots often require a keyword: 预警 is in every report's summary.
      return robotMarkdown(channel, f.title, f.lines, `[查看报表](${f.links.print}) · [下载 Excel](${f.links.xlsx})`, false);
  }
}
