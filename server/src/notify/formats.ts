import { EVENT_LABELS, KINDS, LEVEL_LABELS, thresholdText, type Alert, type AlertState, type NotifyChannel, type NotifyReason } from '@lifeline/core';

/** WeCom markdown content is limited to 4096 bytes; DingTalk's is larger, the same bound keeps both safe. */
const MAX_MARKDOWN_BYTES = 4000;

const STATE_ZH: Record<AlertState, string> = { raised: '待确认', acknowledged: '已确认', dispatched: '已派单', resolved: '已处置待销号', closed: '已销号' };
const REASON_ZH: Record<NotifyReason, string> = {
  raised: '新预警',
  upgraded: '预警升级',
  escalated: '超时升级督办',
  hazard_overdue: '隐患超期督办',
  report: '报表',
};

/** What every message says, whatever the channel. */
export interface AlertFacts {
  title: string;
  levelLabel: string;
  place: string;
  what: string;
  link: string;
  lines: string[];
}

/** The link that opens the alert on the map. */
export function alertLink(publicUrl: string, alert: Alert): string {
  return `${publicUrl.replace(/\/+$/, '')}/?alert=${encodeURIComponent(alert.id)}`;
}

/**
 * Text from the registry, devices and operators (names, sites, units, details)
 * as markdown that shows it literally: no link, heading, colour tag or new line
 * can be slipped into a robot's message.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`);
}

const asIs = (t: string) => t;

export function alertFacts(alert: Alert, reason: NotifyReason, publicUrl: string, esc: (t: string) => string = asIs): AlertFacts {
  const lv = LEVEL_LABELS[alert.level];
  const levelLabel = `${lv.zh}（${lv.grade}）`;
  const place = [alert.town, alert.site, alert.name]
    .filter((x): x is string => Boolean(x))
    .map(esc)
    .join(' · ');
  const what = describeCondition(alert);
  const link = alertLink(publicUrl, alert);
  const prefix = reason === 'escalated' ? '【升级督办】' : reason === 'upgraded' ? '【预警升级】' : '';
  const title = `${prefix}${lv.zh}·${lv.grade} ${esc(alert.town)} ${esc(alert.name)}`;
  const lines = [
    `级别：${levelLabel}`,
    `地点：${place}`,
    `情况：${what}`,
    `状态：${STATE_ZH[alert.state]}（${REASON_ZH[reason]}）`,
    `发生时间：${formatTime(alert.raisedAt)}`,
  ];
  if (reason === 'escalated') {
    const why = alert.state === 'dispatched' ? `已派单至${esc(alert.dispatchedTo ?? '责任单位')}，超时未办结` : '超时未确认';
    lines.push(`督办：${why}，第${alert.escalations ?? 1}次升级，请上级/带班领导督办`);
  }
  if (alert.detail) lines.push(`说明：${esc(alert.detail)}`);
  return { title, levelLabel, place, what, link, lines };
}

/** The body posted to a target of the given channel. */
export function renderMessage(channel: NotifyChannel, alert: Alert, reason: NotifyReason, publicUrl: string): unknown {
  const f = alertFacts(alert, reason, publicUrl, channel === 'webhook' ? asIs : escapeMarkdown);
  switch (channel) {
    case 'webhook':
      return {
        type: 'lifeline.alert',
        reason,
        escalated: reason === 'escalated',
        title: f.title,
        level: alert.level,
        levelLabel: f.levelLabel,
        place: f.place,
        text: f.lines.join('\n'),
        url: f.link,
        alert,
      };
    case 'wecom':
    case 'dingtalk':
      return robotMarkdown(channel, f.title, f.lines, `[在地图上查看](${f.link})`);
  }
}

/**
 * The markdown body of a group robot: a heading, the lines and the links
 * (markdown already). WeCom: `content`, with its "warning" colour (orange-red)
 * on the heading when `warn`. DingTalk: `title` (shown in the chat list) and
 * `text`; a security keyword such as 预警 must be in every message's title or text.
 */
export function robotMarkdown(channel: 'wecom' | 'dingtalk', title: string, lines: string[], links: string, warn = true): unknown {
  if (channel === 'wecom') {
    const heading = warn ? `### <font color="warning">${title}</font>` : `### ${title}`;
    return { msgtype: 'markdown', markdown: { content: fitBytes([heading, ...lines.map((l) => `> ${l}`), links].join('\n'), MAX_MARKDOWN_BYTES) } };
  }
  return {
    msgtype: 'markdown',
    markdown: { title, text: fitBytes([`### ${title}`, ...lines.map((l) => `- ${l}`), '', links].join('\n'), MAX_MARKDOWN_BYTES) },
  };
}

/**
 * "甲烷浓度 62 %LEL，超过阈值 50 %LEL"; once the reading is back, "甲烷浓度峰值
 * 63.9 %LEL，超过阈值 50 %LEL；现为 4 %LEL，尚未恢复" (the dashboard's sentence);
 * "火警事件", or the rule name.
 */
export function describeCondition(a: Alert): string {
  if (a.event) return `${EVENT_LABELS[a.event].zh}事件`;
  if (a.ruleType === 'offline') return '设备离线';
  const m = a.metric ? KINDS[a.kind]?.metrics[a.metric] : undefined;
  if (a.value !== undefined) {
    const unit = m?.unit ? ` ${m.unit}` : '';
    const name = m?.zh ?? a.metric ?? a.rule;
    if (a.ruleType === 'threshold') return thresholdText(a, 'zh', { metric: name, unit, num: fmt });
    const th = a.threshold !== undefined ? `（阈值 ${fmt(a.threshold)}${unit}）` : '';
    return `${name} ${fmt(a.value)}${unit}${th}`;
  }
  return a.rule;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toFixed(Math.abs(n) < 1 ? 3 : 2)));
}

const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

export function formatTime(ms: number): string {
  return TIME.format(new Date(ms));
}

export function fitBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s;
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, -16);
  return `${out}…`;
}
