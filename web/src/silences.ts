/**
 * Maintenance silences (维护静默): the active ones, kept by a small book that
 * the device popup and the silences list share; a form in the popup to silence
 * one device for 1, 4 or 24 hours with a reason; and the list with 解除.
 */
import type { DeviceView } from '@lifeline/core';
import { api, type Silence } from './api.js';
import { h, openModal, toast } from './dom.js';
import { formatDateTime, formatTime, t } from './i18n.js';
import { settings } from './settings.js';

export const SILENCE_HOURS = [1, 4, 24] as const;
const REFRESH_MS = 60_000;
const REASON_MAX = 200;

export class SilenceBook {
  private list: Silence[] = [];
  private readonly listeners = new Set<() => void>();
  private timer = 0;

  start(): void {
    void this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Active now (the server may also list ended or future ones). */
  active(now = Date.now()): Silence[] {
    return this.list.filter((s) => s.from <= now && s.to > now).sort((a, b) => a.to - b.to);
  }

  /** The silence covering a device: by device, its site or its tenant; the longest-lasting wins. */
  covering(d: Pick<DeviceView, 'id' | 'site' | 'tenant'>, now = Date.now()): Silence | undefined {
    return this.active(now)
      .filter((s) => s.device === d.id || (s.site !== undefined && s.site === d.site) || (s.tenant !== undefined && !s.device && !s.site && s.tenant === d.tenant))
      .sort((a, b) => b.to - a.to)[0];
  }

  async refresh(): Promise<void> {
    try {
      const res = await api.silences();
      this.list = Array.isArray(res) ? res : [];
      this.emit();
    } catch (err) {
      console.warn('silences unavailable', (err as Error).message);
    }
  }

  async silenceDevice(id: string, hours: number, reason: string): Promise<Silence> {
    const from = Date.now();
    const s = await api.silence({ device: id, from, to: from + hours * 3_600_000, reason, actor: settings.actor });
    await this.refresh();
    return s;
  }

  async lift(id: string): Promise<void> {
    await api.unsilence(id);
    this.list = this.list.filter((s) => s.id !== id);
    this.emit();
    await this.refresh();
  }

  private emit(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        console.error('silence listener failed', err);
      }
    }
  }
}

/** The popup's 维护静默 block: the silence in force with 解除, or a button that opens the form. */
export function silenceControls(device: DeviceView, book: SilenceBook, onChange: () => void): HTMLElement {
  const box = h('div', { class: 'popup-silence', 'data-role': 'silence' });
  const current = book.covering(device);
  if (current) {
    const lift = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'unsilence' }, t('unsilence'));
    lift.addEventListener('click', () => {
      lift.disabled = true;
      book.lift(current.id).then(onChange, (err: unknown) => {
        lift.disabled = false;
        toast(t('actionFailed', { msg: (err as Error).message }));
      });
    });
    box.append(
      h('span', { class: 'silence-badge' }, t('silenced')),
      h('span', { class: 'silence-until', title: current.reason }, t('silencedUntil', { to: formatTime(current.to) }), ` · ${current.reason}`),
      h('span', { class: 'spacer' }),
      lift,
    );
    return box;
  }
  const open = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'silence' }, t('silenceAction'));
  open.addEventListener('click', () => box.replaceChildren(silenceForm(device, book, onChange)));
  box.append(h('span', { class: 'spacer' }), open);
  return box;
}

function silenceForm(device: DeviceView, book: SilenceBook, onChange: () => void): HTMLElement {
  const hours = h('select', { name: 'hours', 'aria-label': t('silenceFor') }, ...SILENCE_HOURS.map((n) => h('option', { value: n }, t('hours', { n }))));
  const reason = h('input', { type: 'text', name: 'reason', maxlength: REASON_MAX, placeholder: t('silenceReasonPlaceholder'), autocomplete: 'off' });
  const error = h('div', { class: 'dialog-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'btn btn-small' }, t('cancel'));
  const submit = h('button', { type: 'submit', class: 'btn btn-small btn-primary' }, t('submit'));
  const form = h(
    'form',
    { class: 'silence-form' },
    h('div', { class: 'silence-form-title' }, t('silenceTitle'), h('small', { class: 'muted' }, ` · ${t('silenceHint')}`)),
    h('div', { class: 'silence-form-row' }, h('label', {}, t('silenceFor')), hours),
    h('div', { class: 'silence-form-row' }, h('label', {}, t('silenceReason')), reason),
    error,
    h('div', { class: 'dialog-actions' }, cancel, submit),
  );
  cancel.addEventListener('click', onChange);
  form.addEventListener('input', () => (error.textContent = ''));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const why = reason.value.trim();
    if (!why) {
      error.textContent = t('reasonRequired');
      reason.focus();
      return;
    }
    submit.disabled = true;
    book.silenceDevice(device.id, Number(hours.value), why).then(
      (s) => {
        toast(t('silenceSaved', { to: formatDateTime(s.to) }), 'ok');
        onChange();
      },
      (err: unknown) => {
        submit.disabled = false;
        error.textContent = t('actionFailed', { msg: (err as Error).message });
      },
    );
  });
  queueMicrotask(() => reason.focus());
  return form;
}

/** The list of active silences, in a dialog, each with 解除. */
export function showSilences(book: SilenceBook, deviceName: (id: string) => string | undefined, tenantName: (id: string) => string | undefined): void {
  const body = h('div', { class: 'silence-list' });
  const closeBtn = h('button', { type: 'button', class: 'btn' }, t('closeDialog'));
  const dialog = h(
    'dialog',
    { class: 'list-dialog silences-dialog' },
    h('div', { class: 'detail-head' }, h('h3', {}, t('silencesTitle')), h('span', { class: 'spacer' }), closeBtn),
    h('div', { class: 'dialog-hint' }, t('silenceHint')),
    body,
  );
  const render = () => {
    const list = book.active();
    if (!list.length) {
      body.replaceChildren(h('div', { class: 'muted empty' }, t('silencesEmpty')));
      return;
    }
    body.replaceChildren(
      h(
        'table',
        { class: 'grid' },
        h('tbody', {}, ...list.map((s) => {
          const [scope, label] = s.device
            ? [t('scopeDevice'), deviceName(s.device) ?? s.device]
            : s.site
              ? [t('scopeSite'), s.site]
              : [t('scopeTenant'), tenantName(s.tenant ?? '') ?? s.tenant ?? ''];
          const lift = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'unsilence' }, t('unsilence'));
          lift.addEventListener('click', () => {
            lift.disabled = true;
            book.lift(s.id).catch((err: unknown) => {
              lift.disabled = false;
              toast(t('actionFailed', { msg: (err as Error).message }));
            });
          });
          return h(
            'tr',
            { 'data-silence-id': s.id },
            h('td', {}, h('span', { class: 'scope-tag' }, scope), ' ', label, s.device ? h('span', { class: 'mono' }, s.device) : null),
            h('td', { class: 'nowrap' }, `${formatTime(s.from)} – ${formatTime(s.to)}`),
            h('td', {}, s.reason, h('div', { class: 'muted small' }, `${t('setBy')} ${s.actor}`)),
            h('td', {}, lift),
          );
        })),
      ),
    );
  };
  const unsubscribe = book.onChange(render);
  const close = openModal(dialog, unsubscribe);
  closeBtn.addEventListener('click', close);
  render();
  void book.refresh();
}
