/**
 * Maintenance silences (维护静默): kept by a small book that the device popup
 * and the silences list share; a form in the popup to silence a device (or,
 * with 'silences:any', its site or its tenant, and for longer) with a reason;
 * the list of active silences with 结束, and of ended ones with who ended them
 * and when (silences are ended, never deleted). What the role may do comes
 * from `can()`; the server checks again.
 */
import { can, DEVICE_SILENCE_MAX_MS, type DeviceView, type Role } from '@lifeline/core';
import { api, type Silence, type SilenceInput } from './api.js';
import { h, openModal, toast } from './dom.js';
import { actorLabel, formatDateTime, formatTime, t } from './i18n.js';
import { failureText, reportFailure } from './session.js';

const HOUR_MS = 3_600_000;
/** Lengths offered; a role with only 'silences:device' gets those up to DEVICE_SILENCE_MAX_MS. */
export const SILENCE_HOURS = [1, 4, 24, 72, 168] as const;
const REFRESH_MS = 60_000;
const REASON_MAX = 200;
/** Ended (or run-out) silences listed under the active ones, newest first. */
export const PAST_SHOWN = 50;
/** Device names the silences list asks the server for at a time; rows beyond show the device id alone. */
const NAMES_FETCHED = 200;

export type SilenceScope = 'device' | 'site' | 'tenant';

export class SilenceBook {
  private list: Silence[] = [];
  private readonly listeners = new Set<() => void>();
  private timer = 0;

  constructor(
    private readonly role: Role,
    readonly tenantName: (id: string) => string | undefined = () => undefined,
  ) {}

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

  /** Active now; ended ones have `to` moved to their end, and `endedAt` says so. */
  active(now = Date.now()): Silence[] {
    return this.list.filter((s) => s.endedAt === undefined && s.from <= now && s.to > now).sort((a, b) => a.to - b.to);
  }

  /** Ended or run out, newest end first. */
  past(now = Date.now(), limit = PAST_SHOWN): Silence[] {
    const end = (s: Silence) => s.endedAt ?? s.to;
    return this.list
      .filter((s) => s.endedAt !== undefined || s.to <= now)
      .sort((a, b) => end(b) - end(a))
      .slice(0, limit);
  }

  /** The silence covering a device: by device, its site or its tenant; the longest-lasting wins. */
  covering(d: Pick<DeviceView, 'id' | 'site' | 'tenant'>, now = Date.now()): Silence | undefined {
    return this.active(now)
      .filter(
        (s) => s.device === d.id || (s.site !== undefined && s.site === d.site) || (s.tenant !== undefined && !s.device && !s.site && s.tenant === d.tenant),
      )
      .sort((a, b) => b.to - a.to)[0];
  }

  /** Scopes the role may silence: a device with 'silences:device', anything with 'silences:any'. */
  scopes(): SilenceScope[] {
    if (can(this.role, 'silences:any')) return ['device', 'site', 'tenant'];
    return can(this.role, 'silences:device') ? ['device'] : [];
  }

  /** Lengths the role may choose for a scope. */
  hours(scope: SilenceScope): number[] {
    if (can(this.role, 'silences:any')) return [...SILENCE_HOURS];
    return scope === 'device' && can(this.role, 'silences:device') ? SILENCE_HOURS.filter((n) => n * HOUR_MS <= DEVICE_SILENCE_MAX_MS) : [];
  }

  /** Ending follows the same rule as creating: a device silence with 'silences:device', any with 'silences:any'. */
  mayEnd(s: Silence): boolean {
    return can(this.role, 'silences:any') || (s.device !== undefined && can(this.role, 'silences:device'));
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

  async silence(device: DeviceView, scope: SilenceScope, hours: number, reason: string): Promise<Silence> {
    const from = Date.now();
    const to = from + hours * HOUR_MS;
    const target: SilenceInput =
      scope === 'site' && device.site
        ? { site: device.site, from, to, reason }
        : scope === 'tenant'
          ? { tenant: device.tenant, from, to, reason }
          : { device: device.id, from, to, reason };
    const s = await api.silence(target);
    await this.refresh();
    return s;
  }

  /** Ends a silence now; it stays in the book, ended. */
  async end(id: string): Promise<void> {
    const ended = await api.endSilence(id);
    if (ended && typeof ended === 'object' && ended.id === id) {
      this.list = this.list.map((s) => (s.id === id ? ended : s));
      this.emit();
    }
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

function endButton(book: SilenceBook, s: Silence, onDone: () => void = () => {}): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'end-silence' }, t('endSilence'));
  btn.addEventListener('click', () => {
    btn.disabled = true;
    book.end(s.id).then(onDone, (err: unknown) => {
      btn.disabled = false;
      reportFailure(err);
    });
  });
  return btn;
}

/** The popup's 维护静默 block: the silence in force (with 结束 when the role may), or a button that opens the form. */
export function silenceControls(device: DeviceView, book: SilenceBook, onChange: () => void): HTMLElement {
  const box = h('div', { class: 'popup-silence', 'data-role': 'silence' });
  const current = book.covering(device);
  if (current) {
    box.append(
      h('span', { class: 'silence-badge' }, t('silenced')),
      h('span', { class: 'silence-until', title: current.reason }, t('silencedUntil', { to: formatTime(current.to) }), ` · ${current.reason}`),
      h('span', { class: 'spacer' }),
    );
    if (book.mayEnd(current)) box.append(endButton(book, current, onChange));
    return box;
  }
  if (!book.scopes().length) return box;
  const open = h('button', { type: 'button', class: 'btn btn-small', 'data-action': 'silence' }, t('silenceAction'));
  open.addEventListener('click', () => box.replaceChildren(silenceForm(device, book, onChange)));
  box.append(h('span', { class: 'spacer' }), open);
  return box;
}

const SCOPE_LABEL_KEYS = { device: 'scopeThisDevice', site: 'scopeThisSite', tenant: 'scopeThisTenant' } as const;
const hoursLabel = (n: number) => (n % 24 === 0 && n > 24 ? t('days', { n: n / 24 }) : t('hours', { n }));

function silenceForm(device: DeviceView, book: SilenceBook, onChange: () => void): HTMLElement {
  const scopes = book.scopes().filter((s) => s !== 'site' || device.site);
  const scope = h(
    'select',
    { name: 'scope', 'aria-label': t('silenceScope') },
    ...scopes.map((s) =>
      h(
        'option',
        { value: s },
        t(SCOPE_LABEL_KEYS[s]),
        s === 'site' ? ` · ${device.site}` : s === 'tenant' ? ` · ${book.tenantName(device.tenant) ?? device.tenant}` : '',
      ),
    ),
  );
  const hours = h('select', { name: 'hours', 'aria-label': t('silenceFor') });
  const fillHours = () => {
    const keep = hours.value;
    const options = book.hours(scope.value as SilenceScope);
    hours.replaceChildren(...options.map((n) => h('option', { value: n }, hoursLabel(n))));
    if (options.map(String).includes(keep)) hours.value = keep;
  };
  fillHours();
  scope.addEventListener('change', fillHours);
  const reason = h('input', { type: 'text', name: 'reason', maxlength: REASON_MAX, placeholder: t('silenceReasonPlaceholder'), autocomplete: 'off' });
  const error = h('div', { class: 'dialog-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'btn btn-small' }, t('cancel'));
  const submit = h('button', { type: 'submit', class: 'btn btn-small btn-primary' }, t('submit'));
  const form = h(
    'form',
    { class: 'silence-form' },
    h('div', { class: 'silence-form-title' }, t('silenceTitle'), h('small', { class: 'muted' }, ` · ${t('silenceHint')}`)),
    // One scope (a duty officer's: this device) needs no choice.
    scopes.length > 1 ? h('div', { class: 'silence-form-row' }, h('label', {}, t('silenceScope')), scope) : null,
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
    book.silence(device, scope.value as SilenceScope, Number(hours.value), why).then(
      (s) => {
        toast(t('silenceSaved', { to: formatDateTime(s.to) }), 'ok');
        onChange();
      },
      (err: unknown) => {
        submit.disabled = false;
        error.textContent = failureText(err);
      },
    );
  });
  queueMicrotask(() => reason.focus());
  return form;
}

/** The silences, in a dialog: the active ones with 结束, then the ended ones with who ended them and when. */
export function showSilences(book: SilenceBook, deviceName: (id: string) => Promise<string | undefined>): void {
  const body = h('div', { class: 'silence-list' });
  const closeBtn = h('button', { type: 'button', class: 'btn' }, t('closeDialog'));
  const dialog = h(
    'dialog',
    { class: 'list-dialog silences-dialog', 'data-testid': 'silences-dialog' },
    h('div', { class: 'detail-head' }, h('h3', {}, t('silencesTitle')), h('span', { class: 'spacer' }), closeBtn),
    h('div', { class: 'dialog-hint' }, t('silenceHint')),
    body,
  );
  // Device names come from the server (the map keeps none), fetched before the rows are drawn.
  const names = new Map<string, string>();
  const scopeOf = (s: Silence): [string, string] =>
    s.device
      ? [t('scopeDevice'), names.get(s.device) ?? s.device]
      : s.site
        ? [t('scopeSite'), s.site]
        : [t('scopeTenant'), book.tenantName(s.tenant ?? '') ?? s.tenant ?? ''];
  const row = (s: Silence, ended: boolean) => {
    const [scope, label] = scopeOf(s);
    const status = ended
      ? h(
          'span',
          { class: 'silence-ended', 'data-role': 'ended' },
          s.endedAt !== undefined
            ? t('silenceEndedBy', { by: actorLabel(s.endedBy ?? '—'), at: formatDateTime(s.endedAt) })
            : t('silenceExpired', { at: formatDateTime(s.to) }),
        )
      : book.mayEnd(s)
        ? endButton(book, s)
        : null;
    return h(
      'tr',
      { 'data-silence-id': s.id, class: ended ? 'ended' : undefined, 'data-state': ended ? 'ended' : 'active' },
      h('td', {}, h('span', { class: 'scope-tag' }, scope), ' ', label, s.device ? h('span', { class: 'mono' }, s.device) : null),
      h('td', { class: 'nowrap' }, `${formatTime(s.from)} – ${formatTime(s.to)}`),
      h('td', {}, s.reason, h('div', { class: 'muted small' }, `${t('setBy')} ${actorLabel(s.actor)}`)),
      h('td', { class: 'nowrap' }, status),
    );
  };
  let renders = 0;
  const render = async () => {
    const n = ++renders;
    const active = book.active();
    const past = book.past();
    const missing = new Set<string>();
    for (const s of [...active, ...past]) if (s.device && !names.has(s.device) && missing.size < NAMES_FETCHED) missing.add(s.device);
    await Promise.all(
      [...missing].map(async (id) => {
        const name = await deviceName(id);
        if (name) names.set(id, name);
      }),
    );
    // A later change drew the list already.
    if (n !== renders) return;
    body.replaceChildren(
      active.length
        ? h('table', { class: 'grid' }, h('tbody', {}, ...active.map((s) => row(s, false))))
        : h('div', { class: 'muted empty' }, t('silencesEmpty')),
    );
    if (past.length) {
      body.append(
        h('div', { class: 'detail-section' }, t('silencesPast')),
        h('table', { class: 'grid silences-past' }, h('tbody', {}, ...past.map((s) => row(s, true)))),
      );
    }
  };
  const unsubscribe = book.onChange(() => void render());
  const close = openModal(dialog, unsubscribe);
  closeBtn.addEventListener('click', close);
  void render();
  void book.refresh();
}
