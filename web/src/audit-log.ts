/**
 * 审计日志: who did what, from `GET /api/audit` (roles with 'audit:read'), in a
 * dialog like 数据异常 — the newest entries first, filtered by actor and
 * action: time, actor, role, action, target, outcome, detail.
 */
import type { AuditQuery } from '@lifeline/core';
import { api, type AuditEntry } from './api.js';
import { h, openModal } from './dom.js';
import { AUDIT_ACTIONS, auditActionLabel as coreActionLabel, formatDateTime, outcomeLabel, roleLabel, t } from './i18n.js';
import { REGISTER_AUDIT_ACTIONS, registerAuditLabel } from './i18n-register.js';
import { failureText } from './session.js';

export const AUDIT_SHOWN = 200;
const ACTOR_MAX = 64;
const auditActionLabel = (action: string): string => registerAuditLabel(action) ?? coreActionLabel(action);

export function showAuditLog(): void {
  const actor = h('input', {
    type: 'search',
    name: 'actor',
    maxlength: ACTOR_MAX,
    placeholder: t('auditActorPlaceholder'),
    autocomplete: 'off',
    'aria-label': t('colActor'),
    'data-testid': 'audit-actor',
  });
  const action = h('select', { name: 'action', 'aria-label': t('colAction'), 'data-testid': 'audit-action' });
  const search = h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, t('auditSearch'));
  const filters = h('form', { class: 'audit-filters', role: 'search' }, actor, action, search);
  const body = h('div', { class: 'audit-body' }, h('div', { class: 'muted' }, t('loading')));
  const closeBtn = h('button', { type: 'button', class: 'btn' }, t('closeDialog'));
  const dialog = h(
    'dialog',
    { class: 'list-dialog audit-dialog', 'data-testid': 'audit-dialog' },
    h('div', { class: 'detail-head' }, h('h3', {}, t('auditTitle')), h('span', { class: 'spacer' }), closeBtn),
    filters,
    body,
  );

  // Actions the dashboard knows, plus any other the server has logged and this view has seen.
  const seenActions = new Set<string>([...AUDIT_ACTIONS, ...REGISTER_AUDIT_ACTIONS]);
  const fillActions = () => {
    const keep = action.value;
    action.replaceChildren(h('option', { value: '' }, t('auditAllActions')), ...[...seenActions].map((a) => h('option', { value: a }, auditActionLabel(a))));
    action.value = seenActions.has(keep) ? keep : '';
  };
  fillActions();

  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    search.disabled = true;
    const q: AuditQuery = { limit: AUDIT_SHOWN };
    if (actor.value.trim()) q.actor = actor.value.trim();
    if (action.value) q.action = action.value;
    try {
      const entries = await api.audit(q);
      if (mine !== seq) return;
      const list = Array.isArray(entries) ? entries : [];
      const before = seenActions.size;
      for (const e of list) seenActions.add(e.action);
      if (seenActions.size !== before) fillActions();
      body.replaceChildren(...render(list));
    } catch (err) {
      if (mine === seq) body.replaceChildren(h('div', { class: 'error' }, failureText(err)));
    } finally {
      if (mine === seq) search.disabled = false;
    }
  };
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  action.addEventListener('change', () => void load());
  const close = openModal(dialog);
  closeBtn.addEventListener('click', close);
  void load();
}

function render(entries: AuditEntry[]): Node[] {
  if (!entries.length) return [h('div', { class: 'muted empty' }, t('auditEmpty'))];
  const table = h(
    'table',
    { class: 'grid audit-table', 'data-testid': 'audit-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('colTime')),
        h('th', {}, t('colActor')),
        h('th', {}, t('colRole')),
        h('th', {}, t('colAction')),
        h('th', {}, t('colTarget')),
        h('th', {}, t('colOutcome')),
        h('th', {}, t('colDetail')),
      ),
    ),
    h(
      'tbody',
      {},
      ...entries.map((e) =>
        h(
          'tr',
          { 'data-audit-id': e.id, 'data-audit-action': e.action, 'data-outcome': e.outcome },
          h('td', { class: 'nowrap mono-cell' }, formatDateTime(e.at)),
          h('td', {}, e.actor ?? t('auditAnonymous'), e.ip ? h('div', { class: 'muted small mono-cell' }, e.ip) : null),
          h('td', { class: 'nowrap' }, e.role ? roleLabel(e.role) : '—'),
          h('td', { class: 'nowrap', title: e.action }, auditActionLabel(e.action)),
          h('td', { class: 'mono-cell' }, e.target ?? '—'),
          h('td', { class: 'nowrap' }, h('span', { class: `outcome outcome-${e.outcome}` }, outcomeLabel(e.outcome))),
          h('td', {}, e.detail ?? ''),
        ),
      ),
    ),
  );
  return [h('div', { class: 'list-meta' }, t('auditShown', { n: entries.length })), table];
}
