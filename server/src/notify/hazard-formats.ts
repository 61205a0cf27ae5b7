import { HAZARD_LEVEL_LABELS, HAZARD_STATE_LABELS, type Hazard, type NotifyChannel } from '@lifeline/core';
import { escapeMarkdown, formatTime, robotMarkdown } from './formats.js';

/** The link that opens the hazard in the register. */
export function hazardLink(publicUrl: string, hazard: Pick<Hazard, 'id'>): string {
  return `${publicUrl.replace(/\/+$/, '')}/?hazard=${encodeURIComponent(hazard.id)}`;
}

/** What a 督办 message says: which unit, what, how far past its deadline, in Chinese (the duty room's language). */
export function hazardFacts(h: Hazard, publicUrl: string, esc: (t: string) => string): { title: string; lines: string[]; link: string } {
  const level = HAZARD_LEVEL_LABELS[h.level].zh;
  const title = `【隐患督办预警】${level} ${esc(h.town)} ${esc(h.unitName)}`;
  const overdueH = Math.max(0, Math.round((Date.now() - h.deadline) / 3600_000));
  const lines = [
    `级别：${level}`,
    `责任单位：${esc(h.unitName)}`,
    `地点：${esc(h.town)}`,
    `隐患：${esc(h.description.slice(0, 300))}`,
    `状态：${HAZARD_STATE_LABELS[h.state].zh}`,
    `整改期限：${formatTime(h.deadline)}（已超期约 ${overdueH} 小时）`,
    `督办：第${h.escalations}次，请责任单位限期整改、上级督办`,
  ];
  return { title, lines, link: hazardLink(publicUrl, h) };
}

/** The body posted to a target of the given channel about an overdue hazard. */
export function renderHazardMessage(channel: NotifyChannel, h: Hazard, publicUrl: string): unknown {
  const f = hazardFacts(h, publicUrl, channel === 'webhook' ? (t) => t : escapeMarkdown);
  switch (channel) {
    case 'webhook':
      return {
        type: 'lifeline.hazard',
        reason: 'hazard_overdue',
        escalated: true,
        title: f.title,
        level: h.level,
        text: f.lines.join('\n'),
        url: f.link,
        hazard: h,
      };
    case 'wecom':
    case 'dingtalk':
      return robotMarkdown(channel, f.title, f.lines, `[查看隐患](${f.link})`);
  }
}
