/** The content of a device's map popup: identity, latest values, a 60-minute chart and 维护静默. */
import { LEVEL_COLORS, type DeviceView } from '@lifeline/core';
import { api } from './api.js';
import { h } from './dom.js';
import { historyChart } from './history-chart.js';
import { silenceControls, type SilenceBook } from './silences.js';
import { formatTime, formatValue, kindLabel, levelLabel, metricLabel, statusLabel, t } from './i18n.js';

export const HISTORY_MINUTES = 60;
export const HISTORY_POINTS = 120;

export class DevicePopupContent {
  readonly root = h('div', { class: 'popup' });
  private readonly latest = h('div', { class: 'popup-latest' });
  private readonly head = h('div', { class: 'popup-head' });
  private readonly chart = h('div', { class: 'popup-chart' }, t('popupLoading'));
  private readonly silence = h('div', { class: 'popup-silence-wrap' });
  private disposed = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private device: DeviceView,
    private readonly silences?: SilenceBook,
  ) {
    this.root.dataset.device = device.id;
    this.root.append(
      this.head,
      h('div', { class: 'popup-section' }, t('popupLatest')),
      this.latest,
      h('div', { class: 'popup-section' }, t('popupHistory')),
      this.chart,
      this.silence,
    );
    this.render();
    this.renderSilence();
    // The form in progress is kept; only a change of the silences redraws the block.
    this.unsubscribe = silences?.onChange(() => this.renderSilence()) ?? null;
    void this.loadHistory();
  }

  get id(): string {
    return this.device.id;
  }

  /** The device as the popup shows it now. */
  get view(): DeviceView {
    return this.device;
  }

  update(device: DeviceView): void {
    this.device = device;
    this.render();
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe?.();
  }

  private renderSilence(): void {
    if (!this.silences || this.disposed) return;
    this.silence.replaceChildren(silenceControls(this.device, this.silences, () => this.renderSilence()));
  }

  /** Reloads the chart, e.g. after a language change or on demand. */
  async loadHistory(): Promise<void> {
    try {
      const history = await api.history(this.device.id, HISTORY_MINUTES, HISTORY_POINTS);
      if (this.disposed) return;
      const svg = historyChart(history, this.device.kind);
      this.chart.replaceChildren(svg ?? h('div', { class: 'muted' }, t('popupNoHistory')));
    } catch (err) {
      if (!this.disposed) this.chart.replaceChildren(h('div', { class: 'error' }, t('loadFailed', { msg: (err as Error).message })));
    }
  }

  private render(): void {
    const d = this.device;
    const statusColor = d.status === 'alert' && d.level ? LEVEL_COLORS[d.level] : undefined;
    const status = h('span', { class: `status-pill status-${d.status}` }, statusLabel(d.status));
    if (statusColor) status.style.background = statusColor;
    this.head.replaceChildren(
      h('div', { class: 'popup-title' }, d.name),
      h(
        'div',
        { class: 'popup-meta' },
        h('span', {}, kindLabel(d.kind)),
        h('span', {}, d.town),
        status,
        d.status === 'alert' && d.level ? h('span', { class: `level-badge level-${d.level}` }, levelLabel(d.level)) : null,
      ),
      h('div', { class: 'popup-meta muted' }, `${t('popupLastSeen')}: ${d.lastSeen ? formatTime(d.lastSeen) : t('never')}`, h('span', { class: 'mono' }, d.id)),
    );
    const entries = Object.entries(d.values);
    if (!entries.length) {
      this.latest.replaceChildren(h('div', { class: 'muted' }, t('popupNoValues')));
      return;
    }
    this.latest.replaceChildren(
      ...entries.map(([metric, value]) => {
        const { label, unit } = metricLabel(d.kind, metric);
        return h(
          'div',
          { class: 'kv' },
          h('span', { class: 'k' }, label),
          h('span', { class: 'v' }, formatValue(value), h('small', {}, unit ? ` ${unit}` : '')),
        );
      }),
    );
  }
}
