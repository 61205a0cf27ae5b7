/**
 * The side panel of alerts, in two tabs: 当前告警 (open: raised, acknowledged,
 * dispatched) and 待销号 (resolved, awaiting sign-off). Counters per level,
 * filters by level, kind and town, and one row per alert with the actions its
 * state allows (确认 / 派单 / 处置完成 / 销号) that the logged-in role may take,
 * and 详情. Streamed changes are drawn on the screen's beat (at most twice a
 * second, screen-beat.ts), a person's own action at once.
 * The list is virtual: only the rows in view (and a screen's worth around
 * them) are in the DOM, between two spacers standing in for the rest, so a
 * thousand open alerts cost what ten do.
 */
import { ALERT_COMMANDS, DEVICE_KINDS, LEVELS, type Alert, type AlertCommand, type DeviceKind, type Level, type Role } from '@lifeline/core';
import { offeredActions } from './alert-actions.js';
import type { AlertStore } from './alert-store.js';
import { alertDetail, alertTitle, describeAlert } from './alert-text.js';
import { h } from './dom.js';
import { onNextBeat } from './screen-beat.js';
import { formatTime, getLang, kindLabel, levelLabel, stateLabel, t } from './i18n.js';

/** Rows drawn beyond the visible part of the list, above and below it. */
const OVERSCAN_PX = 500;
/** A row's height before it was ever drawn. */
const ESTIMATED_ROW_PX = 140;
/** Must match the `.alert-row` bottom margin in styles.css. */
const ROW_GAP_PX = 8;
/** Rows drawn while the list has no height yet (hidden, or not laid out). */
const ROWS_WITHOUT_HEIGHT = 12;
const WAITING_REFRESH_MS = 30_000;

export type AlertTab = 'open' | 'resolved';

/** Each action's button: its label and style. */
const BUTTONS: Readonly<Record<AlertCommand, { label: () => string; cls: string }>> = {
  acknowledge: { label: () => t('acknowledge'), cls: 'btn-ack' },
  dispatch: { label: () => t('dispatch'), cls: 'btn-dispatch' },
  resolve: { label: () => t('resolve'), cls: 'btn-resolve' },
  close: { label: () => t('closeAlert'), cls: 'btn-close' },
};
const isCommand = (s: string | undefined): s is AlertCommand => (ALERT_COMMANDS as readonly (string | undefined)[]).includes(s);

export type AlertActions = Record<AlertCommand, (alert: Alert) => Promise<void>> & {
  details(alert: Alert): void;
  select(alert: Alert): void;
};

interface Filters {
  level: Level | '';
  kind: DeviceKind | '';
  town: string;
}

export class AlertPanel {
  private readonly tabs = h('div', { class: 'panel-title tabs', role: 'tablist' });
  private readonly counters = h('div', { class: 'counters' });
  private readonly levelSel = h('select', { 'aria-label': 'level', 'data-filter': 'level' });
  private readonly kindSel = h('select', { 'aria-label': 'kind', 'data-filter': 'kind' });
  private readonly townSel = h('select', { 'aria-label': 'town', 'data-filter': 'town' });
  private readonly meta = h('div', { class: 'list-meta' });
  private readonly list = h('ul', { class: 'alert-list', 'data-testid': 'alert-list' });
  private readonly filters: Filters = { level: '', kind: '', town: '' };
  private tab: AlertTab = 'open';
  private towns: string[] = [];
  private readonly busy = new Set<string>();
  /** Whether a render waits for the next beat. */
  private queued = false;
  private readonly renderJob = () => {
    if (this.queued) this.render();
  };
  private selected: string | null = null;
  private readonly rowCache = new Map<string, { alert: Alert; key: string; el: HTMLLIElement }>();
  /** Alerts that pass the filters, in list order; only those in view have rows in the DOM. */
  private shown: readonly Alert[] = [];
  /** Each alert's row height (gap included) as last drawn. */
  private readonly heights = new Map<string, number>();
  private readonly topSpacer = h('li', { class: 'list-spacer', 'aria-hidden': 'true' });
  private readonly bottomSpacer = h('li', { class: 'list-spacer', 'aria-hidden': 'true' });
  private scrollFrame = 0;
  /**
   * Rows report their heights after the browser lays them out anyway: asking
   * for a height in the middle of a frame would make it lay the page out
   * once more, every frame of a burst. A height other than the one assumed
   * places the window again in the next frame.
   */
  private readonly sizer = new ResizeObserver((entries) => this.measure(entries));
  private readonly rowIds = new WeakMap<Element, string>();
  /** The rows in the DOM, each observed by the sizer while it is there. */
  private readonly observed = new Set<Element>();
  /** The list's scroll position and height as last seen (from its events, never read in a frame's work). */
  private viewTop = 0;
  private viewHeight = 0;
  private readonly listSizer = new ResizeObserver(([e]) => {
    const height = e?.borderBoxSize[0]?.blockSize ?? 0;
    if (height === this.viewHeight) return;
    this.viewHeight = height;
    if (!this.scrollFrame) this.scrollFrame = requestAnimationFrame(() => this.layout());
  });

  constructor(
    container: HTMLElement,
    private readonly stores: Record<AlertTab, AlertStore>,
    private readonly actions: AlertActions,
    /** The logged-in person's role: only what it may do is offered (the server checks again). */
    private readonly role: Role,
  ) {
    container.replaceChildren(this.tabs, this.counters, h('div', { class: 'filters' }, this.levelSel, this.kindSel, this.townSel), this.meta, this.list);
    for (const sel of [this.levelSel, this.kindSel, this.townSel]) {
      sel.addEventListener('change', () => {
        this.filters.level = this.levelSel.value as Filters['level'];
        this.filters.kind = this.kindSel.value as Filters['kind'];
        this.filters.town = this.townSel.value;
        this.render();
      });
    }
    this.tabs.addEventListener('click', (e) => {
      const tab = (e.target as HTMLElement).closest<HTMLElement>('[data-tab]')?.dataset.tab as AlertTab | undefined;
      if (tab) this.showTab(tab);
    });
    this.list.addEventListener('click', (e) => this.onListClick(e));
    this.list.addEventListener('scroll', () => {
      this.viewTop = this.list.scrollTop;
      if (!this.scrollFrame) this.scrollFrame = requestAnimationFrame(() => this.layout());
    });
    this.listSizer.observe(this.list);

    this.list.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.target as HTMLElement).classList.contains('alert-row')) this.onListClick(e);
    });
    stores.open.onChange(() => this.schedule());
    stores.resolved.onChange(() => this.schedule());
    this.buildFilters();
    this.render();
    // Waiting times move on even when no alert changes.
    setInterval(() => this.schedule(), WAITING_REFRESH_MS);
  }

  get currentTab(): AlertTab {
    return this.tab;
  }

  showTab(tab: AlertTab): void {
    if (tab === this.tab) return;
    this.tab = tab;
    this.render();
  }

  setTowns(towns: string[]): void {
    this.towns = [...towns];
    this.buildFilters();
  }

  /** Rebuilds every string, e.g. after the language changes. */
  refreshLanguage(): void {
    this.buildFilters();
    this.render();
  }

  /** Streamed changes are drawn on the screen's beat (screen-beat.ts), however many arrive before it. */
  schedule(): void {
    if (this.queued) return;
    this.queued = true;
    onNextBeat(this.renderJob);
  }

  private get store(): AlertStore {
    return this.stores[this.tab];
  }

  private buildFilters(): void {
    const towns = new Set(this.towns);
    for (const a of this.store.sorted()) towns.add(a.town);
    const fill = (sel: HTMLSelectElement, all: string, options: [string, string][]) => {
      const value = sel.value;
      sel.replaceChildren(h('option', { value: '' }, all), ...options.map(([v, label]) => h('option', { value: v }, label)));
      sel.value = options.some(([v]) => v === value) ? value : '';
    };
    fill(
      this.levelSel,
      t('filterAllLevels'),
      LEVELS.map((l) => [l, levelLabel(l)]),
    );
    fill(
      this.kindSel,
      t('filterAllKinds'),
      DEVICE_KINDS.map((k) => [k, kindLabel(k)]),
    );
    fill(
      this.townSel,
      t('filterAllTowns'),
      [...towns].map((town) => [town, town]),
    );
  }

  private matches(a: Alert): boolean {
    const f = this.filters;
    return (!f.level || a.level === f.level) && (!f.kind || a.kind === f.kind) && (!f.town || a.town === f.town);
  }

  private renderTabs(): void {
    const tab = (id: AlertTab, label: string, n: number) =>
      h(
        'button',
        { type: 'button', role: 'tab', class: `tab${this.tab === id ? ' active' : ''}`, 'data-tab': id, 'aria-selected': String(this.tab === id) },
        h('span', { class: 'tab-label' }, label),
        h('span', { class: 'tab-n', id: id === 'open' ? 'panel-total' : 'resolved-total' }, String(n)),
      );
    this.tabs.replaceChildren(tab('open', t('openAlerts'), this.stores.open.size), tab('resolved', t('tabResolved'), this.stores.resolved.size));
  }

  private render(): void {
    this.queued = false;
    this.renderTabs();
    const counts = this.store.countByLevel();
    this.counters.replaceChildren(
      ...LEVELS.map((level) =>
        h(
          'button',
          {
            type: 'button',
            class: `counter level-${level}${this.filters.level === level ? ' active' : ''}`,
            'data-level': level,
            title: levelLabel(level),
          },
          h('span', { class: 'counter-n' }, String(counts[level])),
          h('span', { class: 'counter-label' }, levelLabel(level)),
        ),
      ),
    );
    for (const btn of this.counters.querySelectorAll<HTMLButtonElement>('button')) {
      btn.addEventListener('click', () => {
        const level = btn.dataset.level as Level;
        this.filters.level = this.filters.level === level ? '' : level;
        this.levelSel.value = this.filters.level;
        this.render();
      });
    }
    const all = this.store.sorted();
    for (const id of this.rowCache.keys())
      if (!this.stores.open.get(id) && !this.stores.resolved.get(id)) {
        this.rowCache.delete(id);
        this.heights.delete(id);
      }
    // Towns first seen in an alert join the filter.
    const known = new Set(this.towns);
    if (all.some((a) => !known.has(a.town))) {
      this.towns = [...new Set([...this.towns, ...all.map((a) => a.town)])];
      this.buildFilters();
    }

    this.shown = all.filter((a) => this.matches(a));
    this.list.dataset.tab = this.tab;
    this.meta.textContent = t('shownOf', { shown: this.shown.length, total: all.length });
    this.layout();
  }

  /**
   * Puts the rows in view (and OVERSCAN_PX around them) into the list, the
   * spacers sized for the rest by the rows' heights as last drawn (or
   * ESTIMATED_ROW_PX for rows never drawn).
   */
  private layout(): void {
    if (this.scrollFrame) cancelAnimationFrame(this.scrollFrame);
    this.scrollFrame = 0;
    const shown = this.shown;
    if (!shown.length) {
      const empty = h('li', { class: 'empty' }, this.tab === 'open' ? t('noAlerts') : t('noResolved'));
      const only = this.list.firstElementChild;
      if (!(this.list.childElementCount === 1 && only?.classList.contains('empty') && only.textContent === empty.textContent)) this.list.replaceChildren(empty);
      for (const el of this.observed) this.sizer.unobserve(el);
      this.observed.clear();
      return;
    }
    const { viewTop, viewHeight } = this;
    let first = 0;
    let last = Math.min(shown.length, ROWS_WITHOUT_HEIGHT) - 1;
    let top = 0;
    let total = 0;
    if (viewHeight > 0) {
      first = -1;
      for (let i = 0; i < shown.length; i++) {
        const height = this.heights.get(shown[i]!.id) ?? ESTIMATED_ROW_PX;
        if (first < 0 && total + height > viewTop - OVERSCAN_PX) {
          first = i;
          top = total;
        }
        if (first >= 0 && total < viewTop + viewHeight + OVERSCAN_PX) last = i;
        total += height;
      }
      if (first < 0) first = last = shown.length - 1;
    } else {
      for (const a of shown) total += this.heights.get(a.id) ?? ESTIMATED_ROW_PX;
    }
    let drawn = 0;
    for (let i = first; i <= last; i++) drawn += this.heights.get(shown[i]!.id) ?? ESTIMATED_ROW_PX;
    const rows = shown.slice(first, last + 1).map((a) => this.cachedRow(a));
    const next = [this.topSpacer, ...rows, this.bottomSpacer];
    // Leave the DOM alone when nothing moved, so a click in progress is not lost.
    const current = [...this.list.children];
    if (current.length !== next.length || next.some((n, i) => n !== current[i])) {
      const keep = new Set<Element>(rows);
      for (const el of this.observed)
        if (!keep.has(el)) {
          this.sizer.unobserve(el);
          this.observed.delete(el);
        }
      this.list.replaceChildren(...next);
      for (let i = 0; i < rows.length; i++) {
        const el = rows[i]!;
        this.rowIds.set(el, shown[first + i]!.id);
        if (!this.observed.has(el)) {
          this.observed.add(el);
          this.sizer.observe(el);
        }
      }
    }
    this.topSpacer.style.height = `${top}px`;
    this.bottomSpacer.style.height = `${Math.max(0, total - top - drawn)}px`;
  }

  private measure(entries: ResizeObserverEntry[]): void {
    let moved = false;
    for (const e of entries) {
      const id = this.rowIds.get(e.target);
      const box = e.borderBoxSize[0];
      if (!id || !box || !e.target.isConnected || box.blockSize === 0) continue;
      const height = box.blockSize + ROW_GAP_PX;
      if (Math.abs((this.heights.get(id) ?? ESTIMATED_ROW_PX) - height) > 0.5) moved = true;
      this.heights.set(id, height);
    }
    if (moved && !this.scrollFrame) this.scrollFrame = requestAnimationFrame(() => this.layout());
  }

  /** Reuses a row while nothing it shows has changed. */
  private cachedRow(a: Alert): HTMLLIElement {
    const key = [getLang(), this.busy.has(a.id), this.selected === a.id, Math.floor((Date.now() - a.raisedAt) / 60_000)].join('|');
    const hit = this.rowCache.get(a.id);
    if (hit && hit.alert === a && hit.key === key) return hit.el;
    const el = this.row(a);
    this.rowCache.set(a.id, { alert: a, key, el });
    return el;
  }

  private row(a: Alert): HTMLLIElement {
    const busy = this.busy.has(a.id);
    const flash = a.level === 'red' && a.state === 'raised';
    const cleared = a.clearedAt !== null;
    const escalations = a.escalations ?? 0;
    const what = describeAlert(a);
    const detail = alertDetail(a, what);
    const title = alertTitle(a);
    const button = (action: AlertCommand | 'details', label: string, cls: string) =>
      h('button', { type: 'button', class: `btn ${cls}`, 'data-action': action, disabled: busy && action !== 'details' }, label);
    const people = [
      a.acknowledgedBy ? `${t('ackBy')} ${a.acknowledgedBy}` : '',
      a.dispatchedTo ? `${t('dispatchedTo')} ${a.dispatchedTo}${a.dispatchedBy ? `（${a.dispatchedBy}）` : ''}` : '',
      a.resolvedBy && a.state !== 'dispatched' ? `${t('resolvedBy')} ${a.resolvedBy}` : '',
    ].filter(Boolean);
    const li = h(
      'li',
      {
        class: `alert-row level-${a.level} state-${a.state}${flash ? ' flash' : ''}${escalations ? ' escalated' : ''}${a.silence ? ' silenced' : ''}${
          this.selected === a.id ? ' selected' : ''
        }`,
        'data-alert-id': a.id,
        'data-level': a.level,
        'data-state': a.state,
        'data-device': a.device,
        'data-site': a.site,
        tabindex: 0,
      },
      h(
        'div',
        { class: 'row-top' },
        h('span', { class: `level-badge level-${a.level}` }, levelLabel(a.level)),
        escalations
          ? h(
              'span',
              {
                class: 'esc-badge',
                'data-role': 'escalated',
                title: t('escalatedTitle', { n: escalations, at: a.escalatedAt ? formatTime(a.escalatedAt) : '—' }),
              },
              t('escalated', { n: escalations }),
            )
          : null,
        a.silence
          ? a.silence.kind === 'correlated'
            ? h('span', { class: 'silence-badge', 'data-role': 'silenced', title: t('correlatedTitle') }, t('correlated'))
            : h('span', { class: 'silence-badge', 'data-role': 'silenced', title: t('silencedTitle') }, t('silenced'))
          : null,
        a.site ? h('span', { class: 'site-tag' }, t('site')) : null,
        h('span', { class: 'row-name', title: a.site ? a.name : a.device }, title),
        h('span', { class: 'row-count' }, t('count', { n: a.count })),
      ),
      h('div', { class: 'row-what' }, what, cleared ? h('span', { class: 'cleared' }, ` · ${t('cleared')}`) : null),
      detail ? h('div', { class: 'row-detail', 'data-role': 'detail' }, detail) : null,
      h('div', { class: 'row-meta' }, `${a.town} · ${kindLabel(a.kind)}`, a.site && a.name !== a.site ? ` · ${a.name}` : ''),
      h(
        'div',
        { class: 'row-meta' },
        `${t('raisedAt')} ${formatTime(a.raisedAt)}`,
        a.updatedAt !== a.raisedAt ? ` · ${t('updatedAt')} ${formatTime(a.updatedAt)}` : '',
      ),
      people.length ? h('div', { class: 'row-meta row-people', 'data-role': 'people' }, people.join(' · ')) : null,
      a.state === 'resolved' && a.note ? h('div', { class: 'row-note', 'data-role': 'note' }, `${t('fieldNote')}：${a.note}`) : null,
      h(
        'div',
        { class: 'row-bottom' },
        h('span', { class: `state-tag state-${a.state}`, 'data-role': 'state' }, stateLabel(a.state)),
        // Unacknowledged time is what the 1-hour reporting rule is measured by.
        a.state === 'raised' && Date.now() - a.raisedAt >= 60_000
          ? h('span', { class: 'waiting' }, t('waiting', { min: Math.floor((Date.now() - a.raisedAt) / 60_000) }))
          : null,
        h('span', { class: 'spacer' }),
        ...offeredActions(a.state, this.role).map((c) => button(c, BUTTONS[c].label(), BUTTONS[c].cls)),
        button('details', t('details'), 'btn-link'),
      ),
    );
    // A flashing row blinks on the page's one beat (screen-beat.ts), however often it is rebuilt.
    return li;
  }

  private onListClick(e: Event): void {
    const target = e.target as HTMLElement;
    const row = target.closest<HTMLElement>('.alert-row');
    const alert = row?.dataset.alertId ? this.store.get(row.dataset.alertId) : undefined;
    if (!alert) return;
    const action = target.closest<HTMLElement>('[data-action]')?.dataset.action;
    if (action === 'details') {
      this.actions.details(alert);
      return;
    }
    if (isCommand(action) && offeredActions(alert.state, this.role).includes(action)) {
      void this.run(alert, action);
      return;
    }
    this.selected = alert.id;
    this.actions.select(alert);
    this.render();
  }

  private async run(alert: Alert, action: AlertCommand): Promise<void> {
    if (this.busy.has(alert.id)) return;
    this.busy.add(alert.id);
    this.render();
    try {
      await this.actions[action](alert);
    } finally {
      this.busy.delete(alert.id);
      this.render();
    }
  }
}
