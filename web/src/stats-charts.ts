/**
 * The charts of the statistics view, on ECharts with only the parts used
 * (bars, pies; grid, tooltip, legend, title; the canvas renderer), so the
 * bundle carries no more of it than that. Tooltips are drawn on the canvas
 * (`renderMode: 'richText'`): ECharts' HTML tooltips carry style attributes,
 * which the page's CSP blocks.
 */
import * as echarts from 'echarts/core';
import { BarChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, PieChart, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

const TEXT = '#dbe7f5';
const MUTED = '#8aa0b8';
const LINE = '#1d3454';

export interface Bar {
  name: string;
  value: number | null;
  color?: string;
}

export type ChartKind = 'bar' | 'hbar' | 'pie';

/** One chart in its element: created once, its data replaced on every query, resized with the window. */
export class StatsChart {
  readonly chart: echarts.ECharts;

  constructor(
    readonly el: HTMLElement,
    private readonly kind: ChartKind,
  ) {
    this.chart = echarts.init(el, undefined, { renderer: 'canvas' });
  }

  set(title: string, data: Bar[], unit = ''): void {
    const label = (v: number | null) => (v === null ? '—' : `${Math.round(v * 10) / 10}${unit}`);
    const titleOpt = { text: title, left: 8, top: 4, textStyle: { color: TEXT, fontSize: 13, fontWeight: 'normal' as const } };
    const tooltip = { renderMode: 'richText' as const, trigger: 'item' as const, backgroundColor: '#0e1e33', textStyle: { color: TEXT } };
    if (this.kind === 'pie') {
      this.chart.setOption(
        {
          title: titleOpt,
          tooltip,
          legend: { bottom: 0, textStyle: { color: MUTED }, type: 'scroll' },
          series: [
            {
              type: 'pie',
              radius: ['38%', '64%'],
              center: ['50%', '52%'],
              label: { color: TEXT, formatter: '{b}: {c}' },
              data: data.map((d) => ({ name: d.name, value: d.value ?? 0, ...(d.color ? { itemStyle: { color: d.color } } : {}) })),
            },
          ],
        },
        { notMerge: true },
      );
      return;
    }
    const horizontal = this.kind === 'hbar';
    const names = data.map((d) => d.name);
    const category = { type: 'category' as const, data: names, axisLabel: { color: MUTED }, axisLine: { lineStyle: { color: LINE } }, inverse: horizontal };
    const value = { type: 'value' as const, axisLabel: { color: MUTED }, splitLine: { lineStyle: { color: LINE } } };
    this.chart.setOption(
      {
        title: titleOpt,
        tooltip,
        grid: { left: horizontal ? 90 : 40, right: 24, top: 36, bottom: 28 },
        xAxis: horizontal ? value : category,
        yAxis: horizontal ? category : value,
        series: [
          {
            type: 'bar',
            barMaxWidth: 28,
            label: { show: true, position: horizontal ? 'right' : 'top', color: TEXT, formatter: (p: { value: unknown }) => label(p.value as number | null) },
            data: data.map((d) => ({ value: d.value, ...(d.color ? { itemStyle: { color: d.color } } : { itemStyle: { color: '#3aa0ff' } }) })),
          },
        ],
      },
      { notMerge: true },
    );
  }

  /** The data the chart holds now, as ECharts has it (for the browser tests' hook). */
  data(): { names: string[]; values: (number | null)[] } {
    const o = this.chart.getOption() as { series?: { data?: unknown[] }[]; xAxis?: { data?: string[] }[]; yAxis?: { data?: string[] }[] };
    const raw = o.series?.[0]?.data ?? [];
    const values = raw.map((d) => {
      const v = (d as { value?: unknown }).value;
      return typeof v === 'number' ? v : null;
    });
    if (this.kind === 'pie') return { names: raw.map((d) => String((d as { name?: unknown }).name)), values };
    const axis = this.kind === 'hbar' ? o.yAxis?.[0] : o.xAxis?.[0];
    return { names: axis?.data ?? [], values };
  }

  resize(): void {
    this.chart.resize();
  }

  dispose(): void {
    this.chart.dispose();
  }
}
