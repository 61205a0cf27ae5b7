/**
 * A small SVG line chart of one device's recent history, drawn by hand (no chart
 * library to ship). One line per metric, each scaled to its own range; dashed
 * lines in level colours mark the first metric's bounds as the server's rules
 * run for this device (rules file and registry override), sent with the history.
 */
import { LEVEL_COLORS, LEVELS, type DeviceKind, type Level } from '@lifeline/core';
import type { History } from './api.js';
import { formatValue, metricLabel } from './i18n.js';

const W = 280;
const H = 120;
const PAD = { l: 38, r: 8, t: 10, b: 18 };
const LINE_COLORS = ['#4fc3f7', '#ffb74d', '#ba68c8', '#81c784'];
const MAX_METRICS = 2;
const SVG_NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Returns the chart, or null when the window holds no numeric point at all. */
export function historyChart(history: History, kind: DeviceKind): SVGSVGElement | null {
  // A metric with bounds goes first: the axis and the dashed lines are the first metric's.
  const bounded = new Set(history.bounds.map((b) => b.metric));
  const metrics = [...history.metrics].sort((a, b) => Number(bounded.has(b)) - Number(bounded.has(a))).slice(0, MAX_METRICS);
  const points = history.points;
  const hasData = metrics.some((m) => points.some((p) => typeof p[m] === 'number'));
  if (!hasData) return null;

  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'history-chart', role: 'img' });
  const x0 = history.from;
  const x1 = Math.max(history.to, x0 + 1);
  const sx = (t: number) => PAD.l + ((t - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const plotB = H - PAD.b;

  svg.append(el('rect', { x: PAD.l, y: PAD.t, width: W - PAD.l - PAD.r, height: plotB - PAD.t, class: 'plot-bg' }));

  metrics.forEach((metric, i) => {
    const vals = points.map((p) => p[metric]).filter((v): v is number => typeof v === 'number');
    if (!vals.length) return;
    let lo = Math.min(...vals);
    let hi = Math.max(...vals);
    // Show the nearest threshold bounds of the first metric so the line reads against them.
    const bounds: { rule: string; level: Level; value: number }[] = [];
    if (i === 0) {
      for (const r of history.bounds) {
        if (r.metric !== metric) continue;
        for (const level of LEVELS) {
          const b = r.levels[level];
          if (b !== undefined) bounds.push({ rule: r.rule, level, value: b });
        }
      }
      const span = Math.max(hi - lo, Math.abs(hi) * 0.2, 1e-6);
      for (const b of bounds)
        if (b.value >= lo - span && b.value <= hi + span) {
          lo = Math.min(lo, b.value);
          hi = Math.max(hi, b.value);
        }
    }
    if (hi === lo) {
      hi += Math.abs(hi) * 0.1 || 1;
      lo -= Math.abs(lo) * 0.1 || 1;
    }
    const sy = (v: number) => plotB - ((v - lo) / (hi - lo)) * (plotB - PAD.t);
    const color = LINE_COLORS[i % LINE_COLORS.length]!;

    if (i === 0) {
      for (const b of bounds) {
        if (b.value < lo || b.value > hi) continue;
        // The data attributes say which bound a line is, for support staff and the browser tests.
        svg.append(
          el('line', {
            x1: PAD.l,
            x2: W - PAD.r,
            y1: sy(b.value),
            y2: sy(b.value),
            stroke: LEVEL_COLORS[b.level],
            'stroke-dasharray': '3 3',
            'stroke-width': 1,
            opacity: 0.8,
            class: 'bound',
            'data-rule': b.rule,
            'data-level': b.level,
            'data-value': b.value,
          }),
        );
      }
      svg.append(el('text', { x: PAD.l - 3, y: PAD.t + 8, class: 'axis', 'text-anchor': 'end' }, formatValue(hi)));
      svg.append(el('text', { x: PAD.l - 3, y: plotB, class: 'axis', 'text-anchor': 'end' }, formatValue(lo)));
    }

    // Gaps (null buckets) break the line instead of bridging silence; a lone
    // reading between gaps, and the latest one, get a dot so they can be seen.
    let d = '';
    let last: { x: number; y: number } | null = null;
    points.forEach((p, k) => {
      const v = p[metric];
      if (typeof v !== 'number') return;
      const x = sx(p.t);
      const y = sy(v);
      const prevGap = typeof points[k - 1]?.[metric] !== 'number';
      const nextGap = typeof points[k + 1]?.[metric] !== 'number';
      d += `${prevGap ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
      if (prevGap && nextGap) svg.append(el('circle', { cx: x, cy: y, r: 2, fill: color }));
      last = { x, y };
    });
    svg.append(el('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.6, 'stroke-linejoin': 'round' }));
    const end = last as { x: number; y: number } | null;
    if (end) svg.append(el('circle', { cx: end.x, cy: end.y, r: 3, fill: color, stroke: '#081321', 'stroke-width': 1 }));
    const { label, unit } = metricLabel(kind, metric);
    svg.append(el('text', { x: PAD.l + 4 + i * 120, y: PAD.t + 10, class: 'legend', fill: color }, unit ? `${label} (${unit})` : label));
  });

  svg.append(el('text', { x: PAD.l, y: H - 4, class: 'axis' }, hhmm(x0)));
  svg.append(el('text', { x: W - PAD.r, y: H - 4, class: 'axis', 'text-anchor': 'end' }, hhmm(x1)));
  return svg;
}
