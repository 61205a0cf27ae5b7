import { Type, type Static } from '@sinclair/typebox';
import { validator } from '../validate.js';
import { Timestamp } from './telemetry.js';

/**
 * Discrete device events. Fire-panel states follow the GB 26875 system-state bits;
 * the rest come from detectors, elevators and meters.
 */
export const EVENT_TYPES = [
  'fire',
  'fault',
  'disabled',
  'supervisory',
  'started',
  'feedback',
  'power_fault',
  'backup_power_fault',
  'reset',
  'smoke',
  'low_battery',
  'tamper',
  'trapped',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DeviceEvent = Type.Object(
  {
    ts: Type.Optional(Timestamp),
    type: Type.Union(EVENT_TYPES.map((t) => Type.Literal(t))),
    point: Type.Optional(Type.String({ maxLength: 64 })),
    detail: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type DeviceEvent = Static<typeof DeviceEvent>;
export const deviceEvent = validator(DeviceEvent);

export const EVENT_LABELS: Record<EventType, { zh: string; en: string }> = {
  fire: { zh: '火警', en: 'Fire' },
  fault: { zh: '故障', en: 'Fault' },
  disabled: { zh: '屏蔽', en: 'Disabled' },
  supervisory: { zh: '监管', en: 'Supervisory' },
  started: { zh: '启动', en: 'Started' },
  feedback: { zh: '反馈', en: 'Feedback' },
  power_fault: { zh: '主电故障', en: 'Main power fault' },
  backup_power_fault: { zh: '备电故障', en: 'Backup power fault' },
  reset: { zh: '复位', en: 'Reset' },
  smoke: { zh: '烟雾报警', en: 'Smoke' },
  low_battery: { zh: '电量低', en: 'Low battery' },
  tamper: { zh: '防拆报警', en: 'Tamper' },
  trapped: { zh: '困人', en: 'Trapped' },
};
