/**
 * 隐患清单: the hazard register in a dialog — the list filtered by state,
 * level, town and industry (an enterprise sees its own only: the server
 * decides), exportable; a hazard's detail with its history; and the actions
 * the state machine and the role allow: add progress, report rectified, sign
 * off or reject (reviewers), enter a new hazard.
 */
import {
  can,
  HAZARD_COMMANDS,
  HAZARD_LEVELS,
  HAZARD_TRANSITIONS,
  hazardMayStart,
  isHazardOverdue,
  type Hazard,
  type HazardCommand,
  type HazardDetail,
  type HazardQuery,
  type Me,
  type NewHazardBody,
  SYSTEM_ACTOR,
  type HazardSummaryRow,
  type HazardGroup,
} from '@lifeline/core';
import './register.css';
import { api, type Meta } from './api.js';
import { h, openModal, toast } from './dom.js';
import { askForm } from './form-dialog.js';
import { actorLabel, formatDateTime, t } from './i18n.js';
import { hazardActionLabel, hazardLevelLabel, hazardSourceLabel, hazardStateLabel, tr } from './i18n-register.js';
import { registerApi } from './register-api.js';
import { deadlineDays } from './resolve-dialog.js';
import { failureText, reportFailure } from './session.js';

export const HAZARDS_SHOWN = 500;
const DAY_MS = 24 * 3600_000;
const NOTE_MAX = 2000;
const ATTACHMENTS_MAX = 20;

const COMMAND_LABELS: Record<HazardCommand, () => string> = {
  progress: () => tr('addProgress'),
  report: () => tr('reportRectified'),
  sign_off: () => tr('signOff'),
  reject: () => tr('reject'),
};

/** "a.jpg, b.pdf" → ['a.jpg', 'b.pdf']: names only, trimmed, at most ATTACHMENTS_MAX. */
export function attachmentNames(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(/[,，;；\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .slice(0, ATTACHMENTS_MAX);
}

export function showHazards(me: Me, openId?: string): void {
  const may = (p: Parameters<typeof can>[1]) => can(me.role, p);
  let meta: Meta | null = null;

  const state = h(
    'select',
    { name: 'state', 'aria-label': tr('colState'), 'data-testid': 'hazard-state' },
    h('option', { value: 'open' }, tr('hazardOpenStates')),
    h('option', { value: 'overdue' }, tr('hazardOverdue')),
    h('option', { value: '' }, tr('hazardAllStates')),
    ...(['open', 'rectifying', 'reported', 'signed_off'] as const).map((s) => h('option', { value: s }, hazardStateLabel(s))),
  );
  const level = h(
    'select',
    { name: 'level', 'aria-label': tr('colLevel') },
    h('option', { value: '' }, tr('hazardAllLevels')),
    ...HAZARD_LEVELS.map((l) => h('option', { value: l }, hazardLevelLabel(l))),
  );
  const town = h('select', { name: 'town', 'aria-label': tr('colTown') }, h('option', { value: '' }, tr('hazardAllTowns')));
  const industry = h('input', {
    type: 'search',
    name: 'industry',
    maxlength: 32,
    placeholder: tr('hazardIndustryPlaceholder'),
    'aria-label': tr('colIndustry'),
  });
  const search = h('button', { type: 'submit', class: 'btn btn-primary', 'data-action': 'search' }, tr('hazardSearch'));
  const csv = h('a', { class: 'btn', 'data-action': 'export-csv', download: '' }, tr('hazardExportCsv'));
  const xlsx = h('a', { class: 'btn', 'data-action': 'export-xlsx', download: '' }, tr('hazardExportXlsx'));
  // An enterprise's register is its own: no unit to choose.
  const unit = may('hazards:create')
    ? h('select', { name: 'unit', 'aria-label': tr('colUnit'), 'data-testid': 'hazard-unit' }, h('option', { value: '' }, tr('hazardAllUnits')))
    : null;
  const group = h(
    'select',
    { name: 'group', 'aria-label': tr('hazardGroup'), 'data-testid': 'hazard-group' },
    h('option', { value: '' }, tr('hazardGroupList')),
    ...(['unit', 'town', 'industry'] as const).map((g) => h('option', { value: g }, tr(`hazardGroup_${g}`))),
  );
  const filters = h('form', { class: 'audit-filters hazard-filters', role: 'search' }, group, state, level, unit, town, industry, search, csv, xlsx);
  const body = h('div', { class: 'hazard-body' }, h('div', { class: 'muted' }, t('loading')));
  const newBtn = may('hazards:create') ? h('button', { type: 'button', class: 'btn btn-primary', 'data-action': 'new-hazard' }, tr('hazardNew')) : null;
  const closeBtn = h('button', { type: 'button', class: 'btn' }, t('closeDialog'));
  const dialog = h(
    'dialog',
    { class: 'list-dialog hazard-dialog', 'data-testid': 'hazard-dialog' },
    h('div', { class: 'detail-head' }, h('h3', {}, tr('hazardTitle')), h('span', { class: 'spacer' }), newBtn, closeBtn),
    filters,
    body,
  );

  const currentQuery = (): HazardQuery => {
    const q: HazardQuery = { limit: HAZARDS_SHOWN };
    if (state.value) q.state = state.value as HazardQuery['state'];
    if (level.value) q.level = level.value as HazardQuery['level'];
    if (town.value) q.town = town.value;
    if (industry.value.trim()) q.industry = industry.value.trim();
    // A unit is a tenant id, or `dept:` and a department's name (picked from the summary per unit).
    if (unit?.value.startsWith('dept:')) q.department = unit.value.slice('dept:'.length);
    else if (unit?.value) q.tenant = unit.value;
    return q;
  };

  /** Picks a unit in the filter, adding a department not listed yet. */
  const pickUnit = (key: string, label: string) => {
    if (!unit) return;
    if (![...unit.options].some((o) => o.value === key)) unit.append(h('option', { value: key }, label));
    unit.value = key;
  };

  let seq = 0;
  const list = async () => {
    const mine = ++seq;
    const q = currentQuery();
    const { limit: _l, ...exportQ } = q;
    csv.setAttribute('href', registerApi.hazardExportUrl(exportQ, 'csv'));
    xlsx.setAttribute('href', registerApi.hazardExportUrl(exportQ, 'xlsx'));
    filters.hidden = false;
    try {
      if (group.value) {
        const by = group.value as HazardGroup;
        // The summary's columns split by state already: the state filter is the list's.
        const { limit: _x, state: _s, ...sq } = q;
        const rows = await registerApi.summary(by, sq);
        if (mine === seq) body.replaceChildren(...renderSummary(by, rows));
        return;
      }
      const r = await registerApi.hazards(q);
      if (mine !== seq) return;
      body.replaceChildren(...renderList(r.items, r.total, r.overdue));
    } catch (err) {
      if (mine === seq) body.replaceChildren(h('div', { class: 'error' }, failureText(err)));
    }
  };

  /** Counts per unit, town or industry, most overdue first; a row opens the list filtered to it. */
  const renderSummary = (by: HazardGroup, rows: HazardSummaryRow[]): Node[] => {
    if (!rows.length) return [h('div', { class: 'muted empty' }, tr('hazardEmpty'))];
    const head = [
      tr(by === 'unit' ? 'colUnit' : by === 'town' ? 'colTown' : 'colIndustry'),
      tr('sumOpen'),
      tr('sumOverdue'),
      tr('sumMajor'),
      tr('sumSignedOff'),
      tr('sumTotal'),
    ];
    const body_ = rows.map((r) => {
      const tr_ = h(
        'tr',
        { class: `hazard-row${r.overdue ? ' overdue' : ''}`, 'data-group-key': r.key ?? '', tabindex: 0 },
        h('td', {}, r.label || '—'),
        h('td', {}, String(r.open)),
        h('td', { 'data-role': 'overdue' }, String(r.overdue)),
        h('td', {}, String(r.major)),
        h('td', {}, String(r.signedOff)),
        h('td', {}, String(r.total)),
      );
      tr_.addEventListener('click', () => {
        if (by === 'town') town.value = r.key ?? '';
        else if (by === 'industry') industry.value = r.key ?? '';
        else if (r.key) pickUnit(meta?.tenants.some((x) => x.id === r.key) ? r.key : `dept:${r.key}`, r.label);
        group.value = '';
        void list();
      });
      return tr_;
    });
    return [
      h(
        'table',
        { class: 'grid hazard-table', 'data-testid': 'hazard-summary' },
        h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
        h('tbody', {}, ...body_),
      ),
    ];
  };

  const renderList = (items: Hazard[], total: number, overdue: number): Node[] => {
    if (!items.length) return [h('div', { class: 'muted empty', 'data-testid': 'hazard-empty' }, tr('hazardEmpty'))];
    const now = Date.now();
    const rows = items.map((hz) => {
      const late = isHazardOverdue(hz, now);
      const tr_ = h(
        'tr',
        { class: `hazard-row${late ? ' overdue' : ''}`, 'data-hazard-id': hz.id, 'data-state': hz.state, tabindex: 0 },
        h('td', { class: 'nowrap' }, h('span', { class: `hazard-level hazard-${hz.level}` }, hazardLevelLabel(hz.level))),
        h(
          'td',
          { class: 'nowrap' },
          h('span', { 'data-role': 'state' }, hazardStateLabel(hz.state)),
          late ? h('span', { class: 'esc-badge' }, tr('overdueTag')) : null,
          hz.escalations ? h('div', { class: 'muted small' }, tr('escalatedTag', { n: hz.escalations })) : null,
        ),
        h('td', {}, hz.unitName),
        h('td', { class: 'nowrap' }, hz.town),
        h('td', { class: 'nowrap' }, hz.industry ?? '—'),
        h('td', {}, hz.description),
        h('td', { class: 'nowrap mono-cell' }, formatDateTime(hz.deadline)),
        h('td', { class: 'nowrap' }, hazardSourceLabel(hz.source)),
      );
      const open = () => void detail(hz.id);
      tr_.addEventListener('click', open);
      tr_.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') open();
      });
      return tr_;
    });
    const head = [tr('colLevel'), tr('colState'), tr('colUnit'), tr('colTown'), tr('colIndustry'), tr('colDescription'), tr('colDeadline'), tr('colSource')];
    return [
      h('div', { class: 'list-meta', 'data-testid': 'hazard-count' }, tr('hazardShown', { total, overdue })),
      h(
        'table',
        { class: 'grid hazard-table', 'data-testid': 'hazard-table' },
        h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
        h('tbody', {}, ...rows),
      ),
    ];
  };

  const detail = async (id: string) => {
    const mine = ++seq;
    filters.hidden = true;
    body.replaceChildren(h('div', { class: 'muted' }, t('loading')));
    try {
      const d = await registerApi.hazard(id);
      if (mine === seq) body.replaceChildren(renderDetail(d));
    } catch (err) {
      if (mine === seq) body.replaceChildren(h('div', { class: 'error' }, failureText(err)), backButton());
    }
  };

  const backButton = () => {
    const b = h('button', { type: 'button', class: 'btn', 'data-action': 'back' }, tr('back'));
    b.addEventListener('click', () => void list());
    return b;
  };

  const renderDetail = ({ hazard: hz, history }: HazardDetail): Node => {
    const row = (k: string, v: string | null) => (v ? h('div', { class: 'kv-row' }, h('span', { class: 'k' }, k), h('span', { class: 'v' }, v)) : null);
    const late = isHazardOverdue(hz, Date.now());
    const actions = HAZARD_COMMANDS.filter((c) => hazardMayStart(c, hz.state) && may(HAZARD_TRANSITIONS[c].permission)).map((c) => {
      const b = h('button', { type: 'button', class: `btn${c === 'sign_off' ? ' btn-primary' : ''}`, 'data-action': `hazard-${c}` }, COMMAND_LABELS[c]());
      b.addEventListener('click', () => void act(hz, c));
      return b;
    });
    // 延期: a reviewer's, while the hazard is still open.
    if (hz.state !== 'signed_off' && may('hazards:signoff')) {
      const b = h('button', { type: 'button', class: 'btn', 'data-action': 'hazard-extend' }, tr('extend'));
      b.addEventListener('click', () => void extend(hz));
      actions.push(b);
    }
    return h(
      'div',
      { class: 'hazard-detail', 'data-hazard-id': hz.id, 'data-state': hz.state },
      h(
        'div',
        { class: 'detail-title' },
        h('span', { class: `state-tag hazard-state-${hz.state}`, 'data-role': 'state' }, hazardStateLabel(hz.state)),
        h('span', { class: `hazard-level hazard-${hz.level}` }, hazardLevelLabel(hz.level)),
        late ? h('span', { class: 'esc-badge' }, tr('overdueTag')) : null,
        hz.escalations ? h('span', { class: 'esc-badge' }, tr('escalatedTag', { n: hz.escalations })) : null,
      ),
      h('div', { class: 'detail-what' }, hz.description),
      h(
        'div',
        { class: 'kv-grid' },
        row(tr('colUnit'), hz.unitName),
        row(tr('colTown'), hz.town),
        row(tr('colIndustry'), hz.industry),
        row(tr('colSource'), hazardSourceLabel(hz.source)),
        row(tr('fieldSourceRef'), hz.sourceRef),
        row(tr('colDeadline'), formatDateTime(hz.deadline)),
        row(tr('fieldCreatedBy'), `${hz.createdBy} · ${formatDateTime(hz.createdAt)}`),
        row(tr('fieldSignedOff'), hz.signedOffAt !== null ? `${hz.signedOffBy ?? ''} · ${formatDateTime(hz.signedOffAt)}` : null),
      ),
      h('div', { class: 'dialog-actions hazard-actions' }, backButton(), ...actions),
      h('div', { class: 'detail-section' }, tr('detailHistory')),
      h(
        'ol',
        { class: 'timeline', 'data-testid': 'hazard-history' },
        ...history.map((e) =>
          h(
            'li',
            { class: `tl-item action-${e.action}`, 'data-action': e.action },
            h('span', { class: `tl-dot hazard-dot-${e.action}` }),
            h(
              'div',
              { class: 'tl-head' },
              h('time', { class: 'tl-time', datetime: new Date(e.at).toISOString() }, formatDateTime(e.at)),
              h('span', { class: 'tl-action' }, hazardActionLabel(e.action)),
              h('span', { class: `tl-actor${e.actor === SYSTEM_ACTOR ? ' system' : ''}`, 'data-role': 'actor' }, actorLabel(e.actor)),
            ),
            e.note ? h('div', { class: 'tl-note', 'data-role': 'note' }, e.note) : null,
            e.attachments.length
              ? h('div', { class: 'tl-sub muted', 'data-role': 'attachments' }, `${tr('attachmentsLabel')}${e.attachments.join('、')}`)
              : null,
          ),
        ),
      ),
    );
  };

  const act = async (hz: Hazard, c: HazardCommand) => {
    try {
      if (c === 'progress' || c === 'report') {
        const v = await askForm({
          className: `hazard-${c}-dialog`,
          title: c === 'progress' ? tr('progressTitle') : tr('reportTitle'),
          subject: hz.description,
          fields: [
            { name: 'note', label: tr('progressNote'), kind: 'textarea', rows: 3, maxLength: NOTE_MAX, required: tr('progressRequired') },
            { name: 'attachments', label: tr('attachments'), kind: 'text', maxLength: 1000, placeholder: tr('attachmentsPlaceholder') },
          ],
        });
        if (!v) return;
        const b = { note: v.note!, ...(v.attachments ? { attachments: attachmentNames(v.attachments) } : {}) };
        await (c === 'progress' ? registerApi.progress(hz.id, b) : registerApi.report(hz.id, b));
      } else if (c === 'sign_off') {
        const v = await askForm({
          className: 'hazard-sign_off-dialog',
          title: tr('signOffTitle'),
          subject: hz.description,
          fields: [{ name: 'note', label: tr('signOffNote'), kind: 'textarea', maxLength: NOTE_MAX }],
          submitLabel: tr('signOff'),
        });
        if (!v) return;
        await registerApi.signOff(hz.id, v.note || undefined);
      } else {
        const v = await askForm({
          className: 'hazard-reject-dialog',
          title: tr('rejectTitle'),
          subject: hz.description,
          fields: [{ name: 'reason', label: tr('rejectReason'), kind: 'textarea', maxLength: NOTE_MAX, required: tr('rejectRequired') }],
          submitLabel: tr('reject'),
        });
        if (!v) return;
        await registerApi.reject(hz.id, v.reason!);
      }
    } catch (err) {
      reportFailure(err);
    }
    await detail(hz.id);
  };

  const extend = async (hz: Hazard) => {
    try {
      const v = await askForm({
        className: 'hazard-extend-dialog',
        title: tr('extendTitle'),
        subject: `${hz.description} · ${tr('colDeadline')} ${formatDateTime(hz.deadline)}`,
        fields: [
          { name: 'days', label: tr('extendDays'), kind: 'text', inputType: 'number', value: '15', maxLength: 3 },
          { name: 'reason', label: tr('extendReason'), kind: 'textarea', maxLength: NOTE_MAX, required: tr('extendRequired') },
        ],
        validate: (x) => (deadlineDays(x.days) === null ? tr('deadlineDaysBad') : null),
        submitLabel: tr('extend'),
      });
      if (!v) return;
      await registerApi.extend(hz.id, Math.max(hz.deadline, Date.now()) + deadlineDays(v.days)! * DAY_MS, v.reason!);
    } catch (err) {
      reportFailure(err);
    }
    await detail(hz.id);
  };

  const create = async () => {
    const m = meta;
    if (!m) return;
    const v = await askForm({
      className: 'hazard-new-dialog',
      title: tr('hazardNew'),
      fields: [
        {
          name: 'source',
          label: tr('newSource'),
          kind: 'select',
          options: (['inspection', 'public'] as const).map((s): [string, string] => [s, hazardSourceLabel(s)]),
        },
        {
          name: 'tenant',
          label: tr('newUnitTenant'),
          kind: 'select',
          options: [['', tr('newUnitNone')], ...m.tenants.map((x): [string, string] => [x.id, x.name])],
        },
        { name: 'department', label: tr('newUnitDepartment'), kind: 'text', maxLength: 100 },
        { name: 'town', label: tr('newTown'), kind: 'select', options: m.towns.map((x): [string, string] => [x, x]) },
        { name: 'level', label: tr('newLevel'), kind: 'select', options: HAZARD_LEVELS.map((l): [string, string] => [l, hazardLevelLabel(l)]) },
        { name: 'description', label: tr('newDescription'), kind: 'textarea', rows: 3, maxLength: NOTE_MAX, required: tr('newDescriptionRequired') },
        { name: 'days', label: tr('hazardDeadlineDays'), kind: 'text', inputType: 'number', value: '30', maxLength: 3 },
        { name: 'sourceRef', label: tr('newSourceRef'), kind: 'text', maxLength: 128 },
      ],
      validate: (x) => (!x.tenant === !x.department ? tr('newUnitRequired') : deadlineDays(x.days) === null ? tr('deadlineDaysBad') : null),
    });
    if (!v) return;
    const b: NewHazardBody = {
      source: v.source as NewHazardBody['source'],
      town: v.town!,
      level: v.level as NewHazardBody['level'],
      description: v.description!,
      deadline: Date.now() + deadlineDays(v.days)! * DAY_MS,
      ...(v.tenant ? { tenant: v.tenant } : { department: v.department! }),
      ...(v.sourceRef ? { sourceRef: v.sourceRef } : {}),
    };
    try {
      const hz = await registerApi.createHazard(b);
      toast(tr('hazardNew'), 'info');
      await detail(hz.id);
    } catch (err) {
      reportFailure(err);
    }
  };

  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    void list();
  });
  for (const s of [group, state, level, town, unit]) s?.addEventListener('change', () => void list());
  newBtn?.addEventListener('click', () => void create());
  const close = openModal(dialog);
  closeBtn.addEventListener('click', close);
  void api.meta().then(
    (m) => {
      meta = m;
      town.append(...m.towns.map((x) => h('option', { value: x }, x)));
      unit?.append(...m.tenants.map((x) => h('option', { value: x.id }, x.name)));
    },
    (err: unknown) => console.warn('meta unavailable', err),
  );
  void (openId ? detail(openId) : list());
}
