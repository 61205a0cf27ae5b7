import { Type, type Static } from '@sinclair/typebox';

/**
 * How an alert ended (处置结果), from a fixed list: the duty officer's first
 * judgement (研判) at acknowledge, and the final disposition at resolve. The
 * ids are stable (they are stored in the alert log and counted by the
 * statistics); the labels are what people read.
 */
export const DISPOSITIONS = ['real', 'false_alarm', 'device_fault', 'test', 'other'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];
export const DispositionSchema = Type.Union(DISPOSITIONS.map((d) => Type.Literal(d)));
export type DispositionSchema = Static<typeof DispositionSchema>;

export const DISPOSITION_LABELS: Readonly<Record<Disposition, { zh: string; en: string }>> = {
  real: { zh: '真实警情', en: 'Real incident' },
  false_alarm: { zh: '误报', en: 'False alarm' },
  device_fault: { zh: '设备故障', en: 'Device fault' },
  test: { zh: '测试/演练', en: 'Test or drill' },
  other: { zh: '其他', en: 'Other' },
};

export function isDisposition(v: unknown): v is Disposition {
  return typeof v === 'string' && (DISPOSITIONS as readonly string[]).includes(v);
}
