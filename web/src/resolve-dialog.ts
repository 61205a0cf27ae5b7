/** The small modal that asks for the 处置情况 note before an alert is resolved. */
import { Note } from '@lifeline/core';
import { h } from './dom.js';
import { t } from './i18n.js';

const NOTE_MAX = (Note as { maxLength?: number }).maxLength ?? 500;

/** Resolves with the trimmed note, or null when the operator cancels. */
export function askResolveNote(subject: string): Promise<string | null> {
  return new Promise((resolve) => {
    const textarea = h('textarea', { rows: 4, maxlength: NOTE_MAX, placeholder: t('resolvePlaceholder'), name: 'note', 'aria-required': 'true' });
    const error = h('div', { class: 'dialog-error', role: 'alert' });
    const cancel = h('button', { type: 'button', class: 'btn' }, t('cancel'));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('submit'));
    const form = h(
      'form',
      { method: 'dialog' },
      h('h3', {}, t('resolveTitle')),
      h('div', { class: 'dialog-subject' }, subject),
      h('label', {}, t('resolveHint'), textarea),
      error,
      h('div', { class: 'dialog-actions' }, cancel, submit),
    );
    const dialog = h('dialog', { class: 'resolve-dialog' }, form);
    let settled = false;
    const done = (value: string | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const note = textarea.value.trim();
      if (!note) {
        error.textContent = t('noteRequired');
        textarea.focus();
        return;
      }
      done(note);
    });
    cancel.addEventListener('click', () => done(null));
    dialog.addEventListener('close', () => done(null));
    document.body.append(dialog);
    dialog.showModal();
    textarea.focus();
  });
}
