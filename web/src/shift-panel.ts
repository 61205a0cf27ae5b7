/**
 * 值班交接班: who is on duty, what is still open (alerts by level, hazards
 * open and overdue), and the handover — started by the officer on duty,
 * accepted by the next one, when the shift changes hands.
 */
import { can, LEVELS, type Handover, type HandoverSummary, type Me, type ShiftCurrent } from '@lifeline/core';
import { h, openModal } from './dom.js';
import { askForm } from './form-dialog.js';
import { formatDateTime, levelLabel, t } from './i18n.js';
import { tr } from './i18n-register.js';
import { registerApi } from './register-api.js';
import { failureText, reportFailure } from './session.js';

const NOTE_MAX = 2000;
const HISTORY_SHOWN = 20;

export function showShifts(me: Me): void {
  const mayTake = can(me.role, 'shifts:take');
  const body = h('div', { class: 'shift-body' }, h('div', { class: 'muted' }, t('loading')));
  const closeBtn = h('button', { type: 'button', class: 'btn' }, t('closeDialog'));
  const dialog = h(
    'dialog',
    { class: 'list-dialog shift-dialog', 'data-testid': 'shift-dialog' },
    h('div', { class: 'detail-head' }, h('h3', {}, tr('shiftTitle')), h('span', { class: 'spacer' }), closeBtn),
    body,
  );

  const summaryNode = (s: HandoverSummary) =>
    h(
      'div',
      { class: 'shift-summary', 'data-testid': 'open-items' },
      h(
        'div',
        { 'data-role': 'open-alerts' },
        tr('openAlerts', { n: s.alerts.total }),
        ' · ',
        LEVELS.map((l) => `${levelLabel(l)} ${s.alerts.byLevel[l] ?? 0}`).join(' · '),
      ),
      h('div', { 'data-role': 'open-hazards' }, tr('openHazards', s.hazards)),
    );

  const button = (action: string, label: string, run: () => Promise<void>, primary = false) => {
    const b = h('button', { type: 'button', class: `btn${primary ? ' btn-primary' : ''}`, 'data-action': action }, label);
    b.addEventListener('click', () => {
      b.disabled = true;
      void run()
        .catch(reportFailure)
        .finally(() => void load());
    });
    return b;
  };

  const actions = (cur: ShiftCurrent): HTMLElement[] => {
    if (!mayTake) return [];
    const mine = cur.shift?.officer === me.username;
    const out: HTMLElement[] = [];
    if (!cur.shift) out.push(button('start-shift', tr('startShift'), async () => void (await registerApi.startShift()), true));
    if (mine && !cur.handover)
      out.push(
        button('start-handover', tr('startHandover'), async () => {
          const v = await askForm({
            className: 'handover-dialog',
            title: tr('startHandover'),
            fields: [
              { name: 'note', label: tr('handoverNote'), kind: 'textarea', rows: 3, maxLength: NOTE_MAX },
              { name: 'to', label: tr('handoverTo'), kind: 'text', maxLength: 64 },
            ],
            submitLabel: tr('startHandover'),
          });
          if (v) await registerApi.handover({ ...(v.note ? { note: v.note } : {}), ...(v.to ? { to: v.to } : {}) });
        }),
      );
    if (cur.handover && cur.handover.from !== me.username && (cur.handover.to === null || cur.handover.to === me.username))
      out.push(
        button(
          'accept-handover',
          tr('acceptHandover'),
          async () => {
            const v = await askForm({
              className: 'accept-dialog',
              title: tr('acceptHandover'),
              fields: [{ name: 'note', label: tr('acceptNote'), kind: 'textarea', maxLength: NOTE_MAX }],
              submitLabel: tr('acceptHandover'),
            });
            if (v) await registerApi.accept(v.note ? { note: v.note } : {});
          },
          true,
        ),
      );
    return out;
  };

  const handoverNode = (ho: Handover) =>
    h(
      'div',
      { class: 'handover-pending', 'data-testid': 'handover-pending' },
      h('div', {}, tr('handoverPending', { from: ho.fromName, t: formatDateTime(ho.createdAt) })),
      ho.note ? h('div', { class: 'tl-note' }, ho.note) : null,
      summaryNode(ho.summary),
    );

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const [cur, items, hist] = await Promise.all([registerApi.currentShift(), registerApi.openItems(), registerApi.shiftHistory(HISTORY_SHOWN)]);
      if (mine !== seq) return;
      body.replaceChildren(
        h(
          'div',
          { class: 'on-duty', 'data-testid': 'on-duty' },
          h('span', { class: 'k' }, tr('onDuty')),
          ' ',
          cur.shift
            ? h(
                'span',
                { 'data-role': 'officer', 'data-officer': cur.shift.officer },
                `${cur.shift.officerName} (${cur.shift.officer}) · ${tr('since', { t: formatDateTime(cur.shift.startedAt) })}`,
              )
            : h('span', { 'data-role': 'officer', class: 'muted' }, tr('nobodyOnDuty')),
        ),
        cur.handover ? handoverNode(cur.handover) : h('div', {}, h('div', { class: 'detail-section' }, tr('openItems')), summaryNode(items)),
        h('div', { class: 'dialog-actions' }, ...actions(cur)),
        h('div', { class: 'detail-section' }, tr('shiftHistory')),
        h(
          'ol',
          { class: 'timeline', 'data-testid': 'shift-history' },
          ...hist.shifts.map((s) =>
            h(
              'li',
              { class: 'tl-item', 'data-shift-id': s.id },
              h('span', { class: 'tl-dot' }),
              h(
                'div',
                { class: 'tl-head' },
                h('time', { class: 'tl-time' }, formatDateTime(s.startedAt)),
                h('span', { class: 'tl-action' }, `${s.officerName} (${s.officer})`),
                h('span', { class: 'muted' }, s.endedAt === null ? tr('shiftOngoing') : tr('shiftEnded', { t: formatDateTime(s.endedAt) })),
              ),
            ),
          ),
        ),
      );
    } catch (err) {
      if (mine === seq) body.replaceChildren(h('div', { class: 'error' }, failureText(err)));
    }
  };

  const close = openModal(dialog);
  closeBtn.addEventListener('click', close);
  void load();
}
