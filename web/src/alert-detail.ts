/**
 * One alert at a glance: what, where, who has it now, and its timeline from
 * `GET /api/alerts/:id/timeline` as a vertical list (time, step, person, note).
 * Runs of plain repeats are folded into one line so the human steps stand out.
 * Kept current while open: a change of the alert reloads the timeline.
 */
import { SYSTEM_ACTOR, type Alert, type Level } from '@lifeline/core';
import { alertDetail, alertTitle, describeAlert } from './alert-text.js';
import { api, type NotificationView, type TimelineEntry } from './api.js';
import { h } from './dom.js';
import { dispositionLabel, tr } from './i18n-register.js';
import { OPEN_HAZARD_EVENT } from './register-api.js';
import { actionLabel, actorLabel, channelLabel, formatDateTime, kindLabel, levelLabel, notifyReasonLabel, notifyStatusLabel, stateLabel, t } from './i18n.js';

const RELOAD_DEBOUNCE_MS = 300;
const NOTIFICATIONS_LIMIT = 500;

interface Step {
  entry: TimelineEntry;
  /** Repeats folded into this line (plain `updated` entries at one level). */
  repeats: number;
  lastAt: number;
  levelChanged: boolean;
}

/** Folds consecutive `updated` entries that changed nothing a person cares about. */
export function foldTimeline(entries: TimelineEntry[]): Step[] {
  const steps: Step[] = [];
  let prevLevel: string | null = null;
  for (const e of [...entries].sort((a, b) => a.at - b.at)) {
    const last = steps[steps.length - 1];
    const levelChanged = prevLevel !== null && e.level !== prevLevel;
    prevLevel = e.level;
    if (last && e.action === 'updated' && last.entry.action === 'updated' && !levelChanged && !e.note) {
      last.repeats += 1;
      last.lastAt = e.at;
      continue;
    }
    steps.push({ entry: e, repeats: 1, lastAt: e.at, levelChanged });
  }
  return steps;
}

export class AlertDetailView {
  private dialog: HTMLDialogElement | null = null;
  private alert: Alert | null = null;
  private readonly summary = h('div', { class: 'detail-summary' });
  private readonly timeline = h('ol', { class: 'timeline', 'data-testid': 'timeline' });
  private readonly notifications = h('div', { class: 'detail-notifications' });
  private reloadTimer = 0;
  private loadSeq = 0;

  /** Whether the role may read notification delivery ('notifications:read'); asking otherwise only earns a 403. */
  constructor(private readonly showNotifications = true) {}

  get openId(): string | null {
    return this.alert?.id ?? null;
  }

  show(alert: Alert): void {
    this.close();
    this.alert = alert;
    const closeBtn = h('button', { type: 'button', class: 'btn', 'data-action': 'close-detail' }, t('closeDialog'));
    const dialog = h(
      'dialog',
      { class: 'detail-dialog', 'data-alert-id': alert.id },
      h('div', { class: 'detail-head' }, h('h3', {}, t('detailTitle')), h('span', { class: 'spacer' }), closeBtn),
      this.summary,
      h('div', { class: 'detail-section' }, t('timeline')),
      this.timeline,
      this.notifications,
    );
    closeBtn.addEventListener('click', () => this.close());
    dialog.addEventListener('close', () => this.close());
    // A click on the backdrop closes it, as a duty screen expects.
    dialog.addEventListener('click', (e) => {
      if (e.target === dialog) this.close();
    });
    this.dialog = dialog;
    document.body.append(dialog);
    dialog.showModal();
    this.renderSummary();
    this.timeline.replaceChildren(h('li', { class: 'muted' }, t('loading')));
    this.notifications.replaceChildren();
    void this.load();
  }

  /** The alert changed (socket or action): show it, and reload the timeline shortly. */
  update(alert: Alert): void {
    if (!this.dialog || alert.id !== this.alert?.id) return;
    this.alert = alert;
    this.renderSummary();
    clearTimeout(this.reloadTimer);
    this.reloadTimer = window.setTimeout(() => void this.load(), RELOAD_DEBOUNCE_MS);
  }

  refreshLanguage(): void {
    if (this.alert && this.dialog) this.show(this.alert);
  }

  close(): void {
    clearTimeout(this.reloadTimer);
    const d = this.dialog;
    this.dialog = null;
    this.alert = null;
    if (d) {
      if (d.open) d.close();
      d.remove();
    }
  }

  private renderSummary(): void {
    const a = this.alert;
    if (!a) return;
    const what = describeAlert(a);
    const detail = alertDetail(a, what);
    const row = (k: string, v: Node | string | null) => (v ? h('div', { class: 'kv-row' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v)) : null);
    const nodes = [
      h(
        'div',
        { class: 'detail-title' },
        h('span', { class: `state-tag state-${a.state}`, 'data-role': 'state' }, stateLabel(a.state)),
        h('span', { class: `level-badge level-${a.level}` }, levelLabel(a.level)),
        a.escalations ? h('span', { class: 'esc-badge' }, t('escalated', { n: a.escalations })) : null,
        a.silence ? h('span', { class: 'silence-badge' }, t(a.silence.kind === 'correlated' ? 'correlated' : 'silenced')) : null,
        a.site ? h('span', { class: 'site-tag' }, t('site')) : null,
      ),
      h('div', { class: 'detail-name' }, alertTitle(a)),
      h('div', { class: 'detail-what' }, what),
      detail ? h('div', { class: 'row-detail' }, detail) : null,
      h(
        'div',
        { class: 'kv-grid' },
        row(t('fieldDevice'), h('span', {}, a.name, h('span', { class: 'mono' }, a.device))),
        row(t('fieldLocation'), `${a.town} · ${kindLabel(a.kind)}`),
        row(t('fieldRule'), a.rule),
        row(t('raisedAt'), formatDateTime(a.raisedAt)),
        row(t('dispatchedTo'), a.dispatchedTo ?? null),
        // Other notes (acknowledge, dispatch) are in the timeline, each with its step.
        row(t('fieldNote'), (a.state === 'resolved' || a.state === 'closed') && a.note ? a.note : null),
        row(tr('judgement'), a.judgement ? dispositionLabel(a.judgement) : null),
        row(tr('disposition'), a.disposition ? h('span', { 'data-role': 'disposition' }, dispositionLabel(a.disposition)) : null),
        row(tr('hazardLink'), a.hazard ? hazardButton(a.hazard) : null),
      ),
    ];
    this.summary.replaceChildren(...nodes.filter((n): n is HTMLDivElement => n !== null));
  }

  private async load(): Promise<void> {
    const a = this.alert;
    if (!a) return;
    const seq = ++this.loadSeq;
    try {
      const entries = await api.timeline(a.id);
      if (seq !== this.loadSeq || this.alert?.id !== a.id) return;
      this.renderTimeline(entries);
    } catch (err) {
      if (seq === this.loadSeq) this.timeline.replaceChildren(h('li', { class: 'error' }, t('loadFailed', { msg: (err as Error).message })));
    }
    if (this.showNotifications) void this.loadNotifications(a.id, seq);
  }

  private renderTimeline(entries: TimelineEntry[]): void {
    const steps = foldTimeline(entries);
    if (!steps.length) {
      this.timeline.replaceChildren(h('li', { class: 'muted' }, t('timelineEmpty')));
      return;
    }
    this.timeline.replaceChildren(
      ...steps.map(({ entry: e, repeats, lastAt, levelChanged }) =>
        h(
          'li',
          { class: `tl-item action-${e.action}`, 'data-action': e.action },
          h('span', { class: `tl-dot level-${e.level}` }),
          h(
            'div',
            { class: 'tl-head' },
            h('time', { class: 'tl-time', datetime: new Date(e.at).toISOString() }, formatDateTime(e.at)),
            h('span', { class: 'tl-action' }, actionLabel(e.action), repeats > 1 ? ` ×${repeats}` : ''),
            e.action === 'raised' || e.action === 'escalated' || levelChanged
              ? h('span', { class: `level-badge level-${e.level}` }, levelLabel(e.level as Level))
              : null,
            e.actor
              ? h('span', { class: `tl-actor${e.actor === SYSTEM_ACTOR ? ' system' : ''}`, 'data-role': 'actor', 'data-actor': e.actor }, actorLabel(e.actor))
              : null,
          ),
          repeats > 1 ? h('div', { class: 'tl-sub muted' }, `→ ${formatDateTime(lastAt)}`) : null,
          e.note ? h('div', { class: 'tl-note', 'data-role': 'note' }, e.note) : null,
        ),
      ),
    );
  }

  /** Delivery of notifications about this alert, when the server keeps them; nothing is shown otherwise. */
  private async loadNotifications(id: string, seq: number): Promise<void> {
    let list: NotificationView[];
    try {
      const res = await api.notifications(NOTIFICATIONS_LIMIT);
      list = Array.isArray(res?.items) ? res.items : [];
    } catch {
      return;
    }
    if (seq !== this.loadSeq) return;
    const mine = list.filter((n) => n.alertId === id).sort((a, b) => a.createdAt - b.createdAt);
    if (!mine.length) {
      this.notifications.replaceChildren();
      return;
    }
    this.notifications.replaceChildren(
      h('div', { class: 'detail-section' }, t('fieldNotifications')),
      h(
        'ul',
        { class: 'notify-list' },
        ...mine.map((n) =>
          h(
            'li',
            { class: `notify-item notify-${n.status}`, 'data-status': n.status },
            h('span', { class: 'tl-time' }, formatDateTime(n.doneAt ?? n.createdAt)),
            h('span', { class: 'notify-channel' }, channelLabel(n.channel)),
            h('span', {}, notifyReasonLabel(n.reason)),
            h('span', { class: `notify-state notify-${n.status}` }, notifyStatusLabel(n.status), n.attempts > 1 ? ` ×${n.attempts}` : ''),
            n.lastError && n.status !== 'delivered' ? h('span', { class: 'error small', title: n.lastError }, n.lastError) : null,
          ),
        ),
      ),
    );
  }
}

/** The hazard a real alert opened: a click opens it in the register (main.ts listens for OPEN_HAZARD_EVENT). */
function hazardButton(id: string): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'btn btn-link mono', 'data-role': 'hazard', 'data-action': 'open-hazard' }, id);
  b.addEventListener('click', () => document.dispatchEvent(new CustomEvent(OPEN_HAZARD_EVENT, { detail: id })));
  return b;
}
