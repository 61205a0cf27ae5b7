/**
 * 报表: the daily, weekly and monthly reports kept, newest first, each with
 * its workbook (.xlsx) and its printable page; a supervisor may make one for
 * a day of their choosing.
 */
import './stats.css';
import { REPORT_KINDS, type ReportEntry, type ReportKind } from '@lifeline/core';
import { query, request } from './api.js';
import { h, openModal, toast } from './dom.js';
import { formatDateTime, onLangChange } from './i18n.js';
import { reportKindName, ts } from './i18n-stats.js';
import { failureText } from './session.js';

export const REPORTS_SHOWN = 200;

const yesterday = () => {
  const d = new Date(Date.now() - 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

export function showReports(mayGenerate: boolean): void {
  const kindFilter = h('select', { name: 'kind', 'data-testid': 'reports-kind' });
  const body = h('div', { class: 'reports-body' });
  const title = h('h3', {});
  const closeBtn = h('button', { type: 'button', class: 'btn' });
  const genKind = h('select', { name: 'gen-kind', 'data-testid': 'reports-gen-kind' });
  const genDay = h('input', { type: 'date', name: 'day', required: true, value: yesterday(), 'data-testid': 'reports-gen-day' });
  const genBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'reports-generate' });
  const gen = mayGenerate ? h('form', { class: 'reports-gen' }, genKind, genDay, genBtn) : null;
  const dialog = h(
    'dialog',
    { class: 'reports-dialog list-dialog', 'data-testid': 'reports-dialog' },
    h('div', { class: 'detail-head' }, title, h('span', { class: 'spacer' }), kindFilter, closeBtn),
    gen,
    body,
  );
  let entries: ReportEntry[] | null = null;
  let error: string | null = null;

  const render = () => {
    title.textContent = ts('reportsTitle');
    closeBtn.textContent = ts('closeDialog');
    genBtn.textContent = ts('reportGenerate');
    genDay.setAttribute('aria-label', ts('reportDay'));
    const kv = kindFilter.value;
    kindFilter.replaceChildren(h('option', { value: '' }, ts('allReports')), ...REPORT_KINDS.map((k) => h('option', { value: k }, reportKindName(k))));
    kindFilter.value = kv;
    const gv = genKind.value || 'daily';
    genKind.replaceChildren(...REPORT_KINDS.map((k) => h('option', { value: k }, reportKindName(k))));
    genKind.value = gv;
    if (error) return body.replaceChildren(h('div', { class: 'error' }, error));
    if (!entries) return body.replaceChildren(h('div', { class: 'muted' }, ts('loading')));
    if (!entries.length) return body.replaceChildren(h('div', { class: 'muted empty' }, ts('reportEmpty')));
    body.replaceChildren(
      h(
        'table',
        { class: 'grid' },
        h('thead', {}, h('tr', {}, ...[ts('reportKind'), ts('reportPeriod'), ts('colName'), ts('reportCreated'), '', ''].map((x) => h('th', {}, x)))),
        h(
          'tbody',
          {},
          ...entries.map((r) => {
            const base = `/api/reports/${encodeURIComponent(r.id)}`;
            return h(
              'tr',
              { 'data-report': r.id, 'data-kind': r.kind },
              h('td', { class: 'nowrap' }, reportKindName(r.kind)),
              h('td', { class: 'nowrap mono-cell' }, r.periodLabel),
              h('td', {}, r.title),
              h('td', { class: 'nowrap' }, formatDateTime(r.createdAt)),
              h('td', {}, h('a', { href: `${base}/xlsx`, download: `${r.kind}-${r.periodLabel}.xlsx`, 'data-action': 'xlsx' }, ts('reportDownload'))),
              h('td', {}, h('a', { href: `${base}/print`, target: '_blank', rel: 'noopener', 'data-action': 'print' }, ts('reportPrint'))),
            );
          }),
        ),
      ),
    );
  };

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const list = await request<ReportEntry[]>('GET', `/api/reports${query({ kind: kindFilter.value || undefined, limit: REPORTS_SHOWN })}`);
      if (mine !== seq) return;
      entries = list;
      error = null;
    } catch (err) {
      if (mine === seq) error = failureText(err);
    }
    render();
  };
  gen?.addEventListener('submit', (e) => {
    e.preventDefault();
    genBtn.disabled = true;
    request<ReportEntry>('POST', '/api/reports', { kind: genKind.value as ReportKind, day: genDay.value })
      .then((r) => {
        toast(ts('reportGenerated', { title: r.title }), 'ok');
        return load();
      })
      .catch((err: unknown) => toast(failureText(err)))
      .finally(() => (genBtn.disabled = false));
  });
  kindFilter.addEventListener('change', () => void load());
  const offLang = onLangChange(render);
  const close = openModal(dialog, offLang);
  closeBtn.addEventListener('click', close);
  render();
  void load();
}
