/** The questions asked before an alert changes hands: 处置完成 (a note is required), 派单 (a unit), 销号. */
import { DispatchBody, Note } from '@lifeline/core';
import { askForm } from './form-dialog.js';
import { t } from './i18n.js';

const NOTE_MAX = (Note as { maxLength?: number }).maxLength ?? 500;
const UNIT_MAX = (DispatchBody.properties.unit as { maxLength?: number }).maxLength ?? 100;

/** Resolves with the trimmed note, or null when the operator cancels. */
export async function askResolveNote(subject: string): Promise<string | null> {
  const v = await askForm({
    className: 'resolve-dialog',
    title: t('resolveTitle'),
    subject,
    fields: [
      {
        name: 'note',
        label: t('resolveHint'),
        kind: 'textarea',
        rows: 4,
        maxLength: NOTE_MAX,
        placeholder: t('resolvePlaceholder'),
        required: t('noteRequired'),
      },
    ],
  });
  return v ? v.note! : null;
}

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
