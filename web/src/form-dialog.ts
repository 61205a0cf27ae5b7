/**
 * Small modal forms for alert actions (处置完成, 派单, 销号) and silences: a
 * title, the alert it is about, a few fields, and 取消 / 提交. Required fields
 * are checked here with a message in the operator's language; the server
 * checks again.
 */
import { h } from './dom.js';
import { t } from './i18n.js';

export interface FieldSpec {
  name: string;
  label: string;
  kind: 'text' | 'textarea' | 'select';
  required?: string;
  placeholder?: string;
  maxLength?: number;
  /** Quick picks shown as chips under a text field; typing anything else is fine too. */
  suggestions?: string[];
  /** For `select`: [value, label]; the first is preselected. */
  options?: [string, string][];
  rows?: number;
  /** The value it starts with. */
  value?: string;
  /** For `text`: the input's type (`date`, `number`). */
  inputType?: string;
}

export interface FormDialogOptions {
  /** Extra class of the `<dialog>`, e.g. `resolve-dialog`, for styling and tests. */
  className: string;
  title: string;
  subject?: string;
  hint?: string;
  fields: FieldSpec[];
  submitLabel?: string;
  /** A check across fields once each required one is filled: the message to show, or null. */
  validate?: (values: Record<string, string>) => string | null;
}

type Control = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

/** Resolves with the trimmed values by field name, or null when the operator cancels. */
export function askForm(opts: FormDialogOptions): Promise<Record<string, string> | null> {
  return new Promise((resolve) => {
    const controls = new Map<string, Control>();
    const fieldNodes = opts.fields.map((f) => {
      let control: Control;
      if (f.kind === 'textarea') {
        control = h('textarea', {
          rows: f.rows ?? 3,
          maxlength: f.maxLength,
          placeholder: f.placeholder,
          name: f.name,
          'aria-required': f.required ? 'true' : undefined,
        });
      } else if (f.kind === 'select') {
        control = h('select', { name: f.name }, ...(f.options ?? []).map(([v, label]) => h('option', { value: v }, label)));
      } else {
        control = h('input', {
          type: f.inputType ?? 'text',
          maxlength: f.maxLength,
          placeholder: f.placeholder,
          name: f.name,
          autocomplete: 'off',
          'aria-required': f.required ? 'true' : undefined,
        });
      }
      if (f.value !== undefined) control.value = f.value;
      controls.set(f.name, control);
      const chips = f.suggestions?.length
        ? h(
            'div',
            { class: 'chips', role: 'group', 'aria-label': f.label },
            ...f.suggestions.map((s) => {
              const chip = h('button', { type: 'button', class: 'chip', 'data-suggestion': s }, s);
              chip.addEventListener('click', () => {
                control.value = s;
                for (const c of chip.parentElement!.children) c.classList.toggle('picked', c === chip);
                control.focus();
              });
              return chip;
            }),
          )
        : null;
      return h('label', { class: 'field' }, h('span', { class: 'field-label' }, f.label), control, chips);
    });
    const error = h('div', { class: 'dialog-error', role: 'alert' });
    const cancel = h('button', { type: 'button', class: 'btn' }, t('cancel'));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, opts.submitLabel ?? t('submit'));
    const form = h(
      'form',
      { method: 'dialog' },
      h('h3', {}, opts.title),
      opts.subject ? h('div', { class: 'dialog-subject' }, opts.subject) : null,
      opts.hint ? h('div', { class: 'dialog-hint' }, opts.hint) : null,
      ...fieldNodes,
      error,
      h('div', { class: 'dialog-actions' }, cancel, submit),
    );
    const dialog = h('dialog', { class: `form-dialog ${opts.className}` }, form);
    // An old complaint goes once the operator does something about it.
    form.addEventListener('input', () => (error.textContent = ''));
    form.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).classList.contains('chip')) error.textContent = '';
    });
    let settled = false;
    const done = (value: Record<string, string> | null) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const values: Record<string, string> = {};
      for (const f of opts.fields) {
        const c = controls.get(f.name)!;
        const v = c.value.trim();
        if (f.required && !v) {
          error.textContent = f.required;
          c.focus();
          return;
        }
        values[f.name] = v;
      }
      const problem = opts.validate?.(values);
      if (problem) {
        error.textContent = problem;
        return;
      }
      done(values);
    });
    cancel.addEventListener('click', () => done(null));
    dialog.addEventListener('close', () => done(null));
    document.body.append(dialog);
    dialog.showModal();
    controls.get(opts.fields[0]?.name ?? '')?.focus();
  });
}
