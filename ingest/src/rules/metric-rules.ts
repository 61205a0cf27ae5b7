import { KINDS, LEVEL_LABELS, type AnomalyRule, type FlatlineRule, type Level, type RateRule, type ThresholdRule } from '@lifeline/core';
import { ASCENDING, fmt, levelAtLeast, maxLevel, stepThreshold, zhDuration, type ThresholdState } from './threshold.js';

/** What one rule concludes from one reading. */
export interface Outcome {
  level: Level | null;
  threshold?: number;
  detail?: string;
}

/** The outcome of nearly every reading, one for all of them (nothing is made per reading for it). */
export const QUIET: Outcome = Object.freeze({ level: null });

/** Points kept per rate window, whatever the device's cadence. */
const MAX_RATE_POINTS = 256;
/** Mean absolute deviation → standard deviation, for a normal distribution. */
const MAD_TO_SIGMA = 1.2533;

const unitOf = (kind: ThresholdRule['kind'], metric: string): string => KINDS[kind].metrics[metric]?.unit ?? '';
const labelOf = (kind: ThresholdRule['kind'], metric: string): string => KINDS[kind].metrics[metric]?.zh ?? metric;

export function evalThreshold(rule: ThresholdRule, st: ThresholdState, value: number, ts: number): Outcome {
  const level = stepThreshold(rule, st, value, ts);
  if (!level) return QUIET;
  const threshold = rule.levels[level];
  const unit = unitOf(rule.kind, rule.metric);
  const since = st.since?.[level];
  const held = since !== undefined && rule.durationS?.[level] ? `，已持续 ${zhDuration(ts - since)}` : '';
  const cmp = rule.direction === 'above' ? '≥' : '≤';
  return {
    level,
    threshold,
    detail: `${labelOf(rule.kind, rule.metric)} ${fmt(value)}${unit ? ' ' + unit : ''}（${LEVEL_LABELS[level].zh}线 ${cmp} ${threshold}）${held}`,
  };
}

export interface RateState {
  pts: [number, number][];
  level: Level | null;
  lastHit?: number;
}

export function evalRate(rule: RateRule, st: RateState, value: number, ts: number): Outcome {
  const pts = st.pts;
  const last = pts[pts.length - 1];
  if (!last || ts > last[0]) pts.push([ts, value]);
  const from = ts - rule.windowS * 1000;
  while (pts.length > MAX_RATE_POINTS || (pts.length && pts[0]![0] < from)) pts.shift();
  let ref = value;
  for (const [, v] of pts) ref = rule.change === 'drop' ? Math.max(ref, v) : Math.min(ref, v);
  const drop = rule.change === 'drop' ? ref - value : value - ref;
  const hit = levelAtLeast(rule.levels, drop + 1e-12);
  if (hit) st.lastHit = ts;
  const holding = st.level && st.lastHit !== undefined && ts - st.lastHit < (rule.holdS ?? 0) * 1000 ? st.level : null;
  st.level = maxLevel(hit, holding);
  if (!st.level) {
    delete st.lastHit;
    return QUIET;
  }
  const unit = unitOf(rule.kind, rule.metric);
  const word = rule.change === 'drop' ? '下降' : '上升';
  const detail = hit
    ? `${labelOf(rule.kind, rule.metric)} ${rule.windowS >= 120 ? `${Math.round(rule.windowS / 60)} 分钟` : `${rule.windowS} 秒`}内${word} ${fmt(drop)} ${unit}（${fmt(ref)} → ${fmt(value)}）`
    : `${labelOf(rule.kind, rule.metric)} 此前骤然${word}，现为 ${fmt(value)} ${unit}，保持告警观察`;
  return { level: st.level, threshold: rule.levels[st.level], detail };
}

export interface FlatlineState {
  v: number;
  count: number;
  since: number;
  lastTs: number;
}

export function evalFlatline(rule: FlatlineRule, st: FlatlineState | undefined, value: number, ts: number): [FlatlineState, Outcome] {
  if (!st) st = { v: value, count: 1, since: ts, lastTs: ts };
  else if (Math.abs(value - st.v) > (rule.tolerance ?? 0)) {
    // A new run, in the same entry: the caller saves it as changed (its value or start moved).
    st.v = value;
    st.count = 1;
    st.since = ts;
    st.lastTs = ts;
  } else if (ts > st.lastTs) {
    st.count++;
    st.lastTs = ts;
  }
  const stuck = st.count >= rule.minCount && ts - st.since >= rule.minDurationS * 1000;
  if (!stuck) return [st, QUIET];
  return [
    st,
    {
      level: rule.level,
      detail: `${labelOf(rule.kind, rule.metric)} 连续 ${st.count} 次读数均为 ${fmt(st.v)}，已 ${zhDuration(ts - st.since)}：疑似传感器卡滞`,
    },
  ];
}

export interface AnomalyState {
  n: number;
  mean: number;
  mad: number;
  run: number;
  level: Level | null;
  lastTs: number;
}

/**
 * Robust per-device baseline: EWMA of the mean and of the absolute deviation,
 * updated with the reading clipped to the largest bound (so one spike barely
 * moves it, while a lasting new normal is learned in time). Silent until
 * `minSamples` readings were seen.
 */
export function evalAnomaly(rule: AnomalyRule, st: AnomalyState | undefined, value: number, ts: number): [AnomalyState, Outcome] {
  st ??= { n: 0, mean: value, mad: 0, run: 0, level: null, lastTs: -Infinity };
  if (ts <= st.lastTs) return [st, { level: st.level }];
  st.lastTs = ts;
  const warm = st.n >= rule.minSamples;
  const scale = Math.max(st.mad * MAD_TO_SIGMA, 1e-9);
  const dev = Math.abs(value - st.mean);
  const score = dev / scale;
  // The least and the most severe bound, found without arrays: this runs for every reading.
  let lowest = Infinity;
  let top = Infinity;
  for (const l of ASCENDING) {
    const b = rule.levels[l];
    if (b === undefined) continue;
    if (top === Infinity) lowest = b;
    top = b;
  }
  const hit = warm && dev >= rule.minDeviation ? levelAtLeast(rule.levels, score) : null;
  st.run = hit ? st.run + 1 : 0;
  const before = st.mean;
  if (hit && st.run >= (rule.minCount ?? 1)) st.level = maxLevel(hit, st.level);
  else if (st.level && !(warm && dev >= rule.minDeviation / 2 && score >= lowest / 2)) st.level = null; // hysteresis: half the bounds
  // Update: plain running mean during warm-up, then EWMA with the reading clipped.
  const a = Math.max(rule.alpha, 1 / (st.n + 1));
  const lim = warm ? top * scale : Infinity;
  const x = Math.min(before + lim, Math.max(before - lim, value));
  st.mean = before + a * (x - before);
  st.mad = st.mad + a * (Math.abs(x - before) - st.mad);
  st.n = Math.min(st.n + 1, 1e9);
  if (!st.level) return [st, QUIET];
  const unit = unitOf(rule.kind, rule.metric);
  return [
    st,
    {
      level: st.level,
      threshold: Number((before + Math.sign(value - before) * (rule.levels[st.level] ?? 0) * scale).toPrecision(6)),
      detail: `${labelOf(rule.kind, rule.metric)} ${fmt(value)} ${unit}，偏离本设备常态 ${fmt(before)} ${unit} 达 ${fmt(score)} 倍波动幅度`,
    },
  ];
}
