/**
 * 统计分析: `GET /api/stats` for a period and the filters, as a duty-room
 * screen — figures across the top, charts (raised by level, resolved by
 * disposition, towns and industries by MTTR, false alarms by rule) and the
 * ranked tables. An enterprise user's answer is its own tenant's (the server
 * scopes it). Redrawn in the other language when it changes.
 */
import './stats.css';
import { DEVICE_KINDS, LEVEL_COLORS, LEVELS, type StatsAnswer, type StatsQuery, type StatsRankRow } from '@lifeline/core';
import { query, request } from './api.js';
import { h, openModal } from './dom.js';
import { formatDateTime, kindLabel, levelLabel, onLangChange } from './i18n.js';
import { dispositionName, minutesText, percentText, ts } from './i18n-stats.js';
import { failureText } from './session.js';
import { StatsChart, type ChartKind } from './stats-charts.js';

const DAY = 86_400_000;
const PERIODS = [
  ['periodDay', 1],
  ['periodWeek', 7],
  ['periodMonth', 30],
  ['periodYear', 365],
] as const;
/** Rows of a ranking chart; the tables show them all. */
const CHART_ROWS = 12;
const DISPOSITION_COLORS: Record<string, string> = {
  real: '#e02020',
  false_alarm: '#f2c200',
  device_fault: '#8a63d2',
  test: '#2bb673',
  other: '#6d86a3',
  none: '#34506f',
};

/** What the browser tests read: each chart's data as ECharts holds it, and the last answer. */
export interface StatsHook {
  charts(): Record<string, { names: string[]; values: (number | null)[] }>;
  answer(): StatsAnswer | null;
  loaded(): number;
}
declare global {
  interface Window {
    __lifelineStats?: StatsHook;
  }
}

const localDay = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const startOfLocalDay = (ms: number) => {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
};

/**
 * `tenants`: those the user may see (the meta's); with more than one, a box
 * filters by enterprise (its name or id, suggested from the list; an
 * enterprise user's statistics are always its own, so it has no box).
 */
export function showStats(towns: string[], tenants: readonly { id: string; name: string }[] = []): void {
  const fromIn = h('input', { type: 'date', name: 'from', 'aria-label': ts('from'), 'data-testid': 'stats-from' });
  const toIn = h('input', { type: 'date', name: 'to', 'aria-label': ts('to'), 'data-testid': 'stats-to' });
  const town = h('select', { name: 'town', 'data-testid': 'stats-town' });
  const industry = h('select', { name: 'industry', 'data-testid': 'stats-industry' });
  const kind = h('select', { name: 'kind', 'data-testid': 'stats-kind' });
  const level = h('select', { name: 'level', 'data-testid': 'stats-level' });
  const rule = h('input', { type: 'search', name: 'rule', maxlength: 64, autocomplete: 'off', 'data-testid': 'stats-rule' });
  const tenantIds = new Map<string, string>();
  for (const tn of tenants) tenantIds.set(tn.id, tn.id).set(tn.name, tn.id);
  const tenantList = h('datalist', { id: 'stats-tenants' }, ...tenants.map((tn) => h('option', { value: tn.name }, tn.id)));
  const tenant = h('input', { type: 'search', name: 'tenant', list: 'stats-tenants', maxlength: 128, autocomplete: 'off', 'data-testid': 'stats-tenant' });
  const tenantBox = tenants.length > 1 ? [tenant, tenantList] : [];
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'stats-query' });
  const periodBtns = PERIODS.map(([key, days]) => {
    const b = h('button', { type: 'button', class: 'btn', 'data-days': days });
    b.addEventListener('click', () => {
      const end = startOfLocalDay(Date.now()) + DAY;
      fromIn.value = localDay(end - days * DAY);
      toIn.value = localDay(end - DAY);
      void load();
    });
    return [key, b] as const;
  });
  const form = h(
    'form',
    { class: 'stats-filters', role: 'search' },
    ...periodBtns.map(([, b]) => b),
    fromIn,
    toIn,
    town,
    industry,
    ...tenantBox,
    kind,
    level,
    rule,
    submit,
  );
  const tiles = h('div', { class: 'stats-tiles', 'data-testid': 'stats-tiles' });
  const chartBox = (name: string) => h('div', { class: 'stats-chart', 'data-chart': name, 'data-testid': `stats-chart-${name}` });
  const boxes = {
    levels: chartBox('levels'),
    dispositions: chartBox('dispositions'),
    towns: chartBox('towns'),
    industries: chartBox('industries'),
    falseRules: chartBox('falseRules'),
  };
  const tables = h('div', { class: 'stats-tables' });
  const status = h('div', { class: 'muted small stats-status' });
  const title = h('h3', {});
  const closeBtn = h('button', { type: 'button', class: 'btn' });
  const dialog = h(
    'dialog',
    { class: 'stats-dialog', 'data-testid': 'stats-dialog' },
    h('div', { class: 'detail-head' }, title, h('span', { class: 'spacer' }), status, closeBtn),
    form,
    tiles,
    h('div', { class: 'stats-charts' }, ...Object.values(boxes)),
    tables,
  );
  const close = openModal(dialog, () => {
    offLang();
    window.removeEventListener('resize', resize);
    for (const c of Object.values(charts)) c.dispose();
    delete window.__lifelineStats;
  });
  closeBtn.addEventListener('click', close);

  const kinds: Record<keyof typeof boxes, ChartKind> = { levels: 'bar', dispositions: 'pie', towns: 'hbar', industries: 'hbar', falseRules: 'hbar' };
  // Charts are made once the dialog is on the page: ECharts measures its element.
  const charts = Object.fromEntries(Object.entries(boxes).map(([k, el]) => [k, new StatsChart(el, kinds[k as keyof typeof boxes])])) as Record<
    keyof typeof boxes,
    StatsChart
  >;
  const resize = () => Object.values(charts).forEach((c) => c.resize());
  window.addEventListener('resize', resize);

  let answer: StatsAnswer | null = null;
  let loaded = 0;
  const industries = new Set<string>();
  window.__lifelineStats = {
    charts: () => Object.fromEntries(Object.entries(charts).map(([k, c]) => [k, c.data()])),
    answer: () => answer,
    loaded: () => loaded,
  };

  const fillSelects = () => {
    const keep = (s: HTMLSelectElement, fill: () => void) => {
      const v = s.value;
      fill();
      s.value = v;
    };
    keep(town, () => town.replaceChildren(h('option', { value: '' }, ts('allTowns')), ...towns.map((x) => h('option', { value: x }, x))));
    keep(industry, () =>
      industry.replaceChildren(
        h('option', { value: '' }, ts('allIndustries')),
        ...[...industries].sort().map((x) => h('option', { value: x }, x === 'none' ? ts('none') : x)),
      ),
    );
    keep(kind, () => kind.replaceChildren(h('option', { value: '' }, ts('allKinds')), ...DEVICE_KINDS.map((k) => h('option', { value: k }, kindLabel(k)))));
    keep(level, () => level.replaceChildren(h('option', { value: '' }, ts('allLevels')), ...LEVELS.map((l) => h('option', { value: l }, levelLabel(l)))));
  };

  const renderStatic = () => {
    title.textContent = ts('statsTitle');
    closeBtn.textContent = ts('closeDialog');
    submit.textContent = ts('query');
    rule.placeholder = ts('rulePlaceholder');
    tenant.placeholder = ts('tenantPlaceholder');
    fromIn.setAttribute('aria-label', ts('from'));
    toIn.setAttribute('aria-label', ts('to'));
    for (const [key, b] of periodBtns) b.textContent = ts(key);
    fillSelects();
  };

  const render = () => {
    renderStatic();
    if (!answer) return;
    const s = answer;
    status.textContent = ts('queryTook', { ms: s.queryMs });
    const tile = (key: Parameters<typeof ts>[0], value: string, cls = '') =>
      h('div', { class: `stats-tile ${cls}`, 'data-tile': key }, h('div', { class: 'stats-tile-v' }, value), h('div', { class: 'stats-tile-k' }, ts(key)));
    tiles.replaceChildren(
      tile('raised', String(s.raised.total)),
      tile('resolved', String(s.resolved.total)),
      // ≈: a long period's figures from the daily rollup's histograms (within 2 %).
      tile('mttaMedian', `${s.mtta.approx ? '≈ ' : ''}${minutesText(s.mtta.medianS)}`),
      tile('mttaP90', `${s.mtta.approx ? '≈ ' : ''}${minutesText(s.mtta.p90S)}`),
      tile('mttrMedian', `${s.mttr.approx ? '≈ ' : ''}${minutesText(s.mttr.medianS)}`),
      tile('mttrP90', `${s.mttr.approx ? '≈ ' : ''}${minutesText(s.mttr.p90S)}`),
      tile('escalated', String(s.escalated), s.escalated ? 'warn' : ''),
      tile('overdue', String(s.overdue), s.overdue ? 'bad' : ''),
      tile('onlineRate', percentText(s.online.rate, 2)),
    );
    charts.levels.set(
      ts('byLevel'),
      LEVELS.map((l) => ({ name: levelLabel(l), value: s.raised.byLevel[l] ?? 0, color: LEVEL_COLORS[l] })),
    );
    charts.dispositions.set(
      ts('byDisposition'),
      Object.entries(s.resolved.byDisposition).map(([k, n]) => ({ name: dispositionName(k), value: n, color: DISPOSITION_COLORS[k] ?? '#6d86a3' })),
    );
    const mttr = (rows: StatsRankRow[]) =>
      rows.slice(0, CHART_ROWS).map((r) => ({ name: r.key === 'none' ? ts('none') : r.key, value: r.mttr.medianS === null ? null : r.mttr.medianS / 60 }));
    const unit = ts('minutes', { n: '' }).trim();
    charts.towns.set(`${ts('townRank')} · ${ts('mttrMedian')}`, mttr(s.towns), ` ${unit}`);
    charts.industries.set(`${ts('industryRank')} · ${ts('mttrMedian')}`, mttr(s.industries), ` ${unit}`);
    charts.falseRules.set(
      ts('falseByRule'),
      s.falseAlarms.byRule.slice(0, CHART_ROWS).map((r) => ({ name: r.key, value: r.rate === null ? null : r.rate * 100, color: '#f2c200' })),
      '%',
    );
    tables.replaceChildren(
      rankTable('townRank', s.towns),
      rankTable('industryRank', s.industries),
      falseTable('falseByModel', s.falseAlarms.byModel),
      offlineTable(s),
      dutyTable(s),
    );
  };

  const load = async () => {
    const q: StatsQuery = {};
    const dayStart = (v: string) => (v ? new Date(`${v}T00:00:00`).getTime() : undefined);
    q.from = dayStart(fromIn.value);
    const to = dayStart(toIn.value);
    q.to = to === undefined ? undefined : to + DAY;
    if (town.value) q.town = town.value;
    if (industry.value) q.industry = industry.value;
    if (kind.value) q.kind = kind.value as StatsQuery['kind'];
    if (level.value) q.level = level.value as StatsQuery['level'];
    if (rule.value.trim()) q.rule = rule.value.trim();
    const tenantText = tenant.value.trim();
    if (tenantText) {
      const id = tenantIds.get(tenantText);
      if (!id) {
        status.textContent = ts('unknownTenant', { name: tenantText });
        return;
      }
      q.tenant = id;
    }
    submit.disabled = true;
    status.textContent = ts('loading');
    try {
      answer = await request<StatsAnswer>('GET', `/api/stats${query(q as Record<string, string | number | undefined>)}`);
      for (const r of answer.industries) industries.add(r.key);
      loaded++;
      render();
    } catch (err) {
      status.textContent = failureText(err);
    } finally {
      submit.disabled = false;
    }
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  const offLang = onLangChange(render);

  const end = startOfLocalDay(Date.now()) + DAY;
  fromIn.value = localDay(end - 7 * DAY);
  toIn.value = localDay(end - DAY);
  renderStatic();
  void load();
}

function rankTable(key: 'townRank' | 'industryRank', rows: StatsRankRow[]): HTMLElement {
  const head = ['colName', 'colRaised', 'colResolved', 'colMtta', 'colMttr', 'colMttrP90', 'colEscalated'] as const;
  return section(
    ts(key),
    key,
    head.map((k) => ts(k)),
    rows.map((r) => [
      r.key === 'none' ? ts('none') : r.key,
      String(r.raised),
      String(r.resolved),
      minutesText(r.mtta.medianS),
      minutesText(r.mttr.medianS),
      minutesText(r.mttr.p90S),
      String(r.escalated),
    ]),
  );
}

function falseTable(key: 'falseByModel', rows: StatsAnswer['falseAlarms']['byModel']): HTMLElement {
  return section(
    ts(key),
    key,
    [ts('colName'), ts('colJudged'), ts('colFalse'), ts('colRate')],
    rows.map((r) => [r.key, String(r.judged), String(r.falseAlarms), percentText(r.rate)]),
  );
}

function offlineTable(s: StatsAnswer): HTMLElement {
  return section(
    ts('mostOffline'),
    'mostOffline',
    [ts('colDevice'), ts('colName'), ts('colTown'), ts('colTimes'), ts('colOffline')],
    s.online.mostOffline.map((r) => [r.device, r.name, r.town, String(r.times), minutesText(r.offlineS)]),
  );
}

/** 值班: the shifts overlapping the period, who and when (an open one runs on). */
function dutyTable(s: StatsAnswer): HTMLElement {
  const t = section(
    ts('onDuty'),
    'onDuty',
    [ts('colOfficer'), ts('colShiftFrom'), ts('colShiftTo')],
    s.onDuty.map((r) => [`${r.officerName} (${r.officer})`, formatDateTime(r.from), r.to === null ? ts('onDutyNow') : formatDateTime(r.to)]),
  );
  if (s.onDutyTotal > s.onDuty.length) t.append(h('div', { class: 'muted' }, ts('onDutyMore', { n: s.onDutyTotal - s.onDuty.length })));
  return t;
}

function section(title: string, key: string, head: string[], rows: string[][]): HTMLElement {
  const body = rows.length
    ? h(
        'table',
        { class: 'grid' },
        h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))),
        h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((x) => h('td', {}, x))))),
      )
    : h('div', { class: 'muted empty' }, ts('noData'));
  return h('section', { class: 'stats-table', 'data-table': key }, h('h4', {}, title), body);
}
