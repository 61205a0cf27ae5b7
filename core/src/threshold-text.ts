/** A threshold alert's phase (past its bound, back within it, cleared) and its sentence in both languages. */
import type { Alert, Direction } from './schemas/alert.js';

/**
 * Where a threshold alert's reading stands against the bound it crossed:
 * still past it, back within it while the condition lasts (a lower level or
 * the hysteresis band holds it), or cleared. Without a direction (alerts
 * logged before alerts carried one) a reading cannot be placed: `over`.
 */
export type ThresholdPhase = 'over' | 'fallen' | 'cleared';
export function thresholdPhase(a: Pick<Alert, 'direction' | 'value' | 'threshold' | 'clearedAt'>): ThresholdPhase {
  if (a.clearedAt !== null) return 'cleared';
  if (a.direction === undefined || a.value === undefined || a.threshold === undefined) return 'over';
  return (a.direction === 'above' ? a.value >= a.threshold : a.value <= a.threshold) ? 'over' : 'fallen';
}

type Way = Direction | 'unknown';
type Sentences = Record<ThresholdPhase | 'peak', Record<Way, string>>;

/**
 * What a threshold alert says, in both languages, for the dashboard and the
 * robots' messages alike: the reading against the bound while it is past it;
 * once it is back, the peak that crossed the bound, where the reading is now,
 * and whether the condition has cleared. The current value is never set
 * beside a bound it no longer crosses.
 */
export const THRESHOLD_SENTENCES: Record<'zh' | 'en', Sentences> = {
  zh: {
    over: {
      above: '{metric} {value}{unit}，超过阈值 {threshold}{unit}',
      below: '{metric} {value}{unit}，低于阈值 {threshold}{unit}',
      unknown: '{metric} {value}{unit}（阈值 {threshold}{unit}）',
    },
    fallen: {
      above: '{metric}峰值 {peak}{unit}，超过阈值 {threshold}{unit}；现为 {value}{unit}，尚未恢复',
      below: '{metric}最低 {peak}{unit}，低于阈值 {threshold}{unit}；现为 {value}{unit}，尚未恢复',
      unknown: '{metric}曾达 {peak}{unit}（阈值 {threshold}{unit}）；现为 {value}{unit}，尚未恢复',
    },
    cleared: {
      above: '{metric}峰值 {peak}{unit}，超过阈值 {threshold}{unit}；现为 {value}{unit}，已恢复',
      below: '{metric}最低 {peak}{unit}，低于阈值 {threshold}{unit}；现为 {value}{unit}，已恢复',
      unknown: '{metric}曾达 {peak}{unit}（阈值 {threshold}{unit}）；现为 {value}{unit}，已恢复',
    },
    peak: { above: '峰值 {peak}{unit}', below: '最低 {peak}{unit}', unknown: '峰值 {peak}{unit}' },
  },
  en: {
    over: {
      above: '{metric} {value}{unit}, above threshold {threshold}{unit}',
      below: '{metric} {value}{unit}, below threshold {threshold}{unit}',
      unknown: '{metric} {value}{unit} (threshold {threshold}{unit})',
    },
    fallen: {
      above: '{metric} peaked at {peak}{unit}, above threshold {threshold}{unit}; now {value}{unit}, not yet cleared',
      below: '{metric} fell to {peak}{unit}, below threshold {threshold}{unit}; now {value}{unit}, not yet cleared',
      unknown: '{metric} reached {peak}{unit} (threshold {threshold}{unit}); now {value}{unit}, not yet cleared',
    },
    cleared: {
      above: '{metric} peaked at {peak}{unit}, above threshold {threshold}{unit}; now {value}{unit}, cleared',
      below: '{metric} fell to {peak}{unit}, below threshold {threshold}{unit}; now {value}{unit}, cleared',
      unknown: '{metric} reached {peak}{unit} (threshold {threshold}{unit}); now {value}{unit}, cleared',
    },
    peak: { above: 'peak {peak}{unit}', below: 'lowest {peak}{unit}', unknown: 'peak {peak}{unit}' },
  },
};

/** How the caller names the metric and writes numbers and the unit (the dashboard and the robots differ). */
export interface ThresholdTerms {
  metric: string;
  unit: string;
  num: (n: number) => string;
}

/** A threshold alert's sentence (see `THRESHOLD_SENTENCES`). */
export function thresholdText(a: Pick<Alert, 'direction' | 'value' | 'threshold' | 'peak' | 'clearedAt'>, lang: 'zh' | 'en', terms: ThresholdTerms): string {
  const phase = thresholdPhase(a);
  const way: Way = a.direction ?? 'unknown';
  const n = (x: number | undefined) => (x === undefined ? '—' : terms.num(x));
  const params: Record<string, string> = { metric: terms.metric, unit: terms.unit, value: n(a.value), threshold: n(a.threshold), peak: n(a.peak ?? a.value) };
  const fill = (s: string) => s.replace(/\{(\w+)\}/g, (m, k: string) => params[k] ?? m);
  const s = THRESHOLD_SENTENCES[lang];
  let text = fill(s[phase][way]);
  if (phase === 'over' && a.peak !== undefined && a.value !== undefined && a.peak !== a.value) text += ` · ${fill(s.peak[way])}`;
  return text;
}
