/**
 * 数据异常: messages ingest refused (dead letters), for operators and testers —
 * counts by code and the newest items with their reasons and payloads.
 */
import { DEAD_LETTER_CODES } from '@lifeline/core';
import { api, type DeadLetterList } from './api.js';
import { h, openModal } from './dom.js';
import { deadLetterLabel, formatDateTime, t } from './i18n.js';

export const DEAD_LETTERS_SHOWN = 100;
const PAYLOAD_SHOWN = 160;

export function showDeadLetters(onTotal: (n: number) => void): void {
  const body = h('div', { class: 'dl-body' }, h('div', { class: 'muted' }, t('loading')));
  const refresh = h('button', { type: 'button', class: 'btn', 'data-action': 'refresh' }, t('refresh'));
  const closeBtn = h('button', { type: 'button', class: 'btn' }, t('closeDialog'));
  const dialog = h(
    'dialog',
    { class: 'list-dialog dead-letters-dialog' },
    h('div', { class: 'detail-head' }, h('h3', {}, t('deadLettersTitle')), h('span', { class: 'spacer' }), refresh, closeBtn),
    body,
  );
  const load = async () => {
    refresh.disabled = true;
    try {
      const dl = await api.deadLetters(DEAD_LETTERS_SHOWN);
      onTotal(dl.total);
      body.replaceChildren(...render(dl));
    } catch (err) {
      body.replaceChildren(h('div', { class: 'error' }, t('loadFailed', { msg: (err as Error).message })));
    } finally {
      refresh.disabled = false;
    }
  };
  const close = openModal(dialog);
  refresh.addEventListener('click', () => void load());
  closeBtn.addEventListener('click', close);
  void load();
}

function render(dl: DeadLetterList): Node[] {
  const codes = [...new Set([...DEAD_LETTER_CODES, ...Object.keys(dl.byCode)])];
  const chips = h(
    'div',
    { class: 'dl-codes', 'data-testid': 'dead-letter-codes' },
    ...codes.map((code) => {
      const n = dl.byCode[code as keyof typeof dl.byCode] ?? 0;
      return h(
        'div',
        { class: `dl-code${n ? ' has' : ''}`, 'data-code': code },
        h('span', { class: 'dl-n' }, String(n)),
        h('span', { class: 'dl-label' }, deadLetterLabel(code)),
        h('code', {}, code),
      );
    }),
  );
  const summary = h('div', { class: 'list-meta' }, t('deadLettersTotal', { n: dl.total, shown: dl.items.length }));
  if (!dl.items.length) return [chips, h('div', { class: 'muted empty' }, t('deadLettersEmpty'))];
  const table = h(
    'table',
    { class: 'grid dl-table' },
    h('thead', {}, h('tr', {}, h('th', {}, t('colTime')), h('th', {}, t('colCode')), h('th', {}, t('colDevice')), h('th', {}, t('colReason')))),
    h(
      'tbody',
      {},
      ...dl.items.map((d) =>
        h(
          'tr',
          { 'data-code': d.code },
          h('td', { class: 'nowrap mono-cell' }, formatDateTime(d.at)),
          h('td', { class: 'nowrap' }, deadLetterLabel(d.code)),
          h('td', {}, d.device ?? '—', h('div', { class: 'muted small mono-cell' }, d.topic)),
          h(
            'td',
            {},
            d.reason,
            d.payload
              ? h('div', { class: 'payload', title: d.payload }, d.payload.length > PAYLOAD_SHOWN ? `${d.payload.slice(0, PAYLOAD_SHOWN)}…` : d.payload)
              : null,
          ),
        ),
      ),
    ),
  );
  return [chips, summary, table];
}
