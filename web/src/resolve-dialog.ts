/**
 * The questions asked before an alert changes hands: 确认 (an optional 研判),
 * 处置完成 (a note and the disposition are required; a real one may open a
 * hazard), 派单 (a unit), 销号.
 */
import { DispatchBody, DISPOSITIONS, HAZARD_LEVELS, Note, type AcknowledgeBody, type Disposition, type HazardLevel, type ResolveBody } from '@lifeline/core';
import { askForm } from './form-dialog.js';
import { t } from './i18n.js';
import { dispositionLabel, hazardLevelLabel, tr } from './i18n-register.js';

const NOTE_MAX = (Note as { maxLength?: number }).maxLength ?? 500;
const UNIT_MAX = (DispatchBody.properties.unit as { maxLength?: number }).maxLength ?? 100;

/** 确认, with an optional first judgement (研判) from the disposition list and a note; null when cancelled. */
export async function askAcknowledge(subject: string): Promise<AcknowledgeBody | null> {
  const v = await askForm({
    className: 'ack-dialog',
    title: tr('ackTitle'),
    subject,
    fields: [
      { name: 'judgement', label: tr('ackJudgement'), kind: 'select', options: [['', tr('ackNoJudgement')], ...dispositionOptions()] },
      { name: 'note', label: tr('ackNote'), kind: 'textarea', rows: 2, maxLength: NOTE_MAX, placeholder: tr('ackPlaceholder') },
    ],
    submitLabel: tr('acknowledge'),
  });
  if (!v) return null;
  return { ...(v.judgement ? { judgement: v.judgement as Disposition } : {}), ...(v.note ? { note: v.note } : {}) };
}

/**
 * 处置完成: the note, the disposition from the fixed list, and for a real
 * incident optionally a hazard (its level and rectification deadline in days)
 * opened in the same step. Null when cancelled.
 */
export async function askResolve(subject: string, judgement?: Disposition, now = Date.now()): Promise<ResolveBody | null> {
  const v = await askForm({
    className: 'resolve-dialog',
    title: t('resolveTitle'),
    subject,
    fields: [
      {
        name: 'disposition',
        label: tr('disposition'),
        kind: 'select',
        options: [['', tr('dispositionPick')], ...dispositionOptions()],
        value: judgement ?? '',
        required: tr('dispositionRequired'),
      },
      {
        name: 'note',
        label: t('resolveHint'),
        kind: 'textarea',
        rows: 4,
        maxLength: NOTE_MAX,
        placeholder: t('resolvePlaceholder'),
        required: t('noteRequired'),
      },
      {
        name: 'hazard',
        label: tr('openHazard'),
        kind: 'select',
        options: [['', tr('noHazard')], ...HAZARD_LEVELS.map((l): [string, string] => [l, hazardLevelLabel(l)])],
      },
      { name: 'days', label: tr('hazardDeadlineDays'), kind: 'text', inputType: 'number', value: '7', maxLength: 3 },
    ],
    validate: (x) => {
      if (!x.hazard) return null;
      if (x.disposition !== 'real') return tr('hazardOnlyReal');
      return deadlineDays(x.days) === null ? tr('deadlineDaysBad') : null;
    },
  });
  if (!v) return null;
  const disposition = v.disposition as Disposition;
  const body: ResolveBody = { note: v.note!, disposition };
  if (v.hazard) body.hazard = { level: v.hazard as HazardLevel, deadline: now + deadlineDays(v.days)! * DAY_MS };
  return body;
}

const DAY_MS = 24 * 3600_000;
const DEADLINE_DAYS_MAX = 365;

/** A whole number of days from 1 to DEADLINE_DAYS_MAX, or null. */
export function deadlineDays(raw: string | undefined): number | null {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= DEADLINE_DAYS_MAX ? n : null;
}

const dispositionOptions = (): [string, string][] => DISPOSITIONS.map((d) => [d, dispositionLabel(d)]);

/** The responsible unit (责任单位) and an optional instruction, or null. */
export async function askDispatch(subject: string): Promise<{ unit: string; note?: string } | null> {
  const v = await askForm({
    className: 'dispatch-dialog',
    title: t('dispatchTitle'),
    subject,
    fields: [
      {
        name: 'unit',
        label: t('dispatchUnit'),
        kind: 'text',
        maxLength: UNIT_MAX,
        placeholder: t('dispatchUnitPlaceholder'),
        suggestions: t('unitSuggestions').split('|'),
        required: t('unitRequired'),
      },
      { name: 'note', label: t('dispatchNote'), kind: 'textarea', maxLength: NOTE_MAX, placeholder: t('dispatchNotePlaceholder') },
    ],
    submitLabel: t('dispatch'),
  });
  return v ? { unit: v.unit!, ...(v.note ? { note: v.note } : {}) } : null;
}

/** An optional sign-off remark; null when cancelled, '' when none was given. */
export async function askClose(subject: string): Promise<string | null> {
  const v = await askForm({
    className: 'close-dialog',
    title: t('closeTitle'),
    subject,
    hint: t('closeHint'),
    fields: [{ name: 'note', label: t('remark'), kind: 'textarea', maxLength: NOTE_MAX, placeholder: t('closePlaceholder') }],
    submitLabel: t('closeAlert'),
  });
  return v ? (v.note ?? '') : null;
}
