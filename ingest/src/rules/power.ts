import type { Level, PowerBaselineRule, PowerOverloadRule, PowerScheduleRule, PowerStoppedRule, RulesFile, Schedule, Tenant } from '@lifeline/core';
import { QUIET, type Outcome } from './metric-rules.js';
import { fmt, levelAtLeast, stepThreshold, zhDuration, type ThresholdState } from './threshold.js';

export type PowerRule = PowerStoppedRule | PowerOverloadRule | PowerScheduleRule | PowerBaselineRule;
type Enterprise = NonNullable<Tenant['enterprise']>;

const HOUR_MS = 3_600_000;
export const HOURS_PER_WEEK = 168;
/** A condition, once on, holds until the power falls this fraction below its bound. */
const SUSTAIN_HYSTERESIS = 0.1;
/** Weeks a live hour counts for at most, so the baseline follows the enterprise as it changes. */
const LIVE_WEIGHT_WEEKS = 4;

/** Hour of the week in local time, 0 = Sunday 00:00. */
export function hourOfWeek(ts: number, utcOffsetH = 8): number {
  const localH = Math.floor(ts / HOUR_MS + utcOffsetH);
  const day = Math.floor(localH / 24);
  return ((((day + 4) % 7) + 7) % 7) * 24 + (((localH % 24) + 24) % 24); // 1970-01-01 was a Thursday
}

/** The schedule of a tenant: by its id, then its industry, then the default. */
export function scheduleOf(rules: RulesFile, tenant: Tenant): Schedule {
  return rules.schedules.byTenant?.[tenant.id] ?? (tenant.industry ? rules.schedules.byIndustry?.[tenant.industry] : undefined) ?? rules.schedules.default;
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Why production is not allowed at `ts` (e.g. "夜间 22:00–06:00"), or null when it is. */
export function quietReason(s: Schedule, ts: number): string | null {
  const local = new Date(ts + (s.utcOffsetH ?? 8) * HOUR_MS);
  const date = local.toISOString().slice(0, 10);
  if (s.offDates?.includes(date)) return `禁止生产日 ${date}`;
  if (s.offWeekdays?.includes(local.getUTCDay())) return `停产日（周${'日一二三四五六'[local.getUTCDay()]}）`;
  const m = local.getUTCHours() * 60 + local.getUTCMinutes();
  for (const q of s.quietHours) {
    const from = minutesOf(q.from);
    const to = minutesOf(q.to);
    if (from <= to ? m >= from && m < to : m >= from || m < to) return `禁止生产时段 ${q.from}–${q.to}`;
  }
  return null;
}

/** The hour-of-week baseline of one enterprise's total power. */
export interface WeekBaseline {
  mean: (number | null)[];
  weeks: number[];
  /** The hour being accumulated from live readings (absolute hour index). */
  hour: number;
  sum: number;
  count: number;
}

export const emptyBaseline = (): WeekBaseline => ({ mean: Array(HOURS_PER_WEEK).fill(null), weeks: Array(HOURS_PER_WEEK).fill(0), hour: -1, sum: 0, count: 0 });

/** Adds one live reading of the total; an hour is folded into its bucket once the next one starts. */
export function observeBaseline(b: WeekBaseline, ts: number, totalKw: number, utcOffsetH = 8): void {
  const hour = Math.floor(ts / HOUR_MS);
  if (hour < b.hour) return; // late reading of a closed hour
  if (hour !== b.hour) {
    if (b.count > 0) foldHour(b, b.hour * HOUR_MS, b.sum / b.count, utcOffsetH, LIVE_WEIGHT_WEEKS);
    b.hour = hour;
    b.sum = 0;
    b.count = 0;
  }
  b.sum += totalKw;
  b.count++;
}

/** Folds one hour's mean into its hour-of-week bucket (a mean over at most `cap` weeks). */
export function foldHour(b: WeekBaseline, ts: number, meanKw: number, utcOffsetH: number, cap: number): void {
  const h = hourOfWeek(ts, utcOffsetH);
  const n = Math.min(b.weeks[h] ?? 0, cap - 1);
  b.mean[h] = ((b.mean[h] ?? 0) * n + meanKw) / (n + 1);
  b.weeks[h] = Math.min((b.weeks[h] ?? 0) + 1, 52);
}

export interface SustainState {
  since?: number;
  level: Level | null;
  /** Overload: a threshold with durations over the load fraction. */
  th?: ThresholdState;
}

/** A condition held since `since`; `levels` are seconds sustained. */
function sustained(st: SustainState, on: boolean, ts: number, levels: Partial<Record<Level, number>>): Level | null {
  if (!on) {
    delete st.since;
    return (st.level = null);
  }
  st.since ??= ts;
  return (st.level = levelAtLeast(levels, (ts - st.since) / 1000 + 1e-9));
}

export interface PowerContext {
  ent: Enterprise;
  totalKw: number;
  ts: number;
  schedule: Schedule;
  baseline: WeekBaseline | undefined;
}

/** One enterprise rule against the enterprise's total power. */
export function evalPower(rule: PowerRule, st: SustainState, c: PowerContext): Outcome {
  const { ent, totalKw: kw, ts } = c;
  const on = (bound: number): boolean => kw > (st.since !== undefined ? bound * (1 - SUSTAIN_HYSTERESIS) : bound);
  switch (rule.type) {
    case 'power_stopped': {
      const idle = ent.idleKw * rule.idleFactor;
      const level = sustained(st, ent.state === 'stopped' && on(idle), ts, rule.levels);
      if (!level) return QUIET;
      return {
        level,
        threshold: idle,
        detail: `停产整顿期间功率 ${fmt(kw)} kW（停产基准 ${fmt(ent.idleKw)} kW）已持续 ${zhDuration(ts - st.since!)}，疑似违规生产`,
      };
    }
    case 'power_overload': {
      const spec = { metric: 'p_kw', direction: 'above' as const, levels: rule.levels, hysteresis: rule.hysteresis };
      const durationS = Object.fromEntries(Object.keys(rule.levels).map((l) => [l, rule.durationS]));
      const th = (st.th ??= { level: null });
      const level = (st.level = stepThreshold({ ...spec, durationS }, th, kw / ent.ratedKw, ts));
      if (!level) return QUIET;
      const since = th.since?.[level];
      return {
        level,
        threshold: ent.ratedKw * rule.levels[level]!,
        detail: `企业总负荷 ${fmt(kw)} kW，为额定容量 ${fmt(ent.ratedKw)} kW 的 ${Math.round((kw / ent.ratedKw) * 100)}%${since !== undefined ? `，已持续 ${zhDuration(ts - since)}` : ''}：超负荷`,
      };
    }
    case 'power_schedule': {
      const idle = ent.idleKw * rule.idleFactor;
      const why = quietReason(c.schedule, ts);
      const level = sustained(st, why !== null && on(idle), ts, rule.levels);
      if (!level) return QUIET;
      return {
        level,
        threshold: idle,
        detail: `${why}内功率 ${fmt(kw)} kW（待机 ${fmt(ent.idleKw)} kW）已持续 ${zhDuration(ts - st.since!)}，疑似违规生产`,
      };
    }
    case 'power_baseline': {
      const h = hourOfWeek(ts, c.schedule.utcOffsetH ?? 8);
      const mean = c.baseline?.mean[h];
      const known = mean !== null && mean !== undefined && (c.baseline?.weeks[h] ?? 0) >= rule.minWeeks;
      const bound = known ? mean * rule.factor + ent.ratedKw * rule.marginFraction : Infinity;
      const level = sustained(st, known && on(bound), ts, rule.levels);
      if (!level) return QUIET;
      return {
        level,
        threshold: bound,
        detail: `功率 ${fmt(kw)} kW，高于本时段（周${'日一二三四五六'[Math.floor(h / 24)]} ${h % 24} 时）历史基准 ${fmt(mean!)} kW，已持续 ${zhDuration(ts - st.since!)}`,
      };
    }
  }
}
