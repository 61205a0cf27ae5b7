import { describe, expect, it } from 'vitest';
import { durationStat, histogramStat } from '../../../server/src/stats/stats-query.js';
import { binOf, binValue } from '../../../server/src/stats/daily-rollup.js';
import { addJson, levelOf, planDays, WEEK_MS } from '../../../server/src/stats/week-rollup.js';
import { duePeriods, parseDay, periodOf } from '../../../server/src/reports/periods.js';

const TZ = 'Asia/Shanghai';
const iso = (ms: number) => new Date(ms).toISOString();

describe('the durations of the statistics', () => {
  it('takes the median and the 90th percentile as InfluxQL does (mean of the middle two; nearest rank)', () => {
    expect(durationStat([])).toEqual({ n: 0, medianS: null, p90S: null });
    expect(durationStat([30])).toEqual({ n: 1, medianS: 30, p90S: 30 });
    expect(durationStat([180, 60])).toEqual({ n: 2, medianS: 120, p90S: 180 });
    expect(durationStat([180, 30, 60])).toEqual({ n: 3, medianS: 60, p90S: 180 });
    const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    // rank ⌊10·0.9 + 0.5⌋ = 9 → the 9th smallest
    expect(durationStat(ten)).toEqual({ n: 10, medianS: 5.5, p90S: 9 });
  });
});

describe('the periods of the reports, in Asia/Shanghai', () => {
  it('makes a day, an ISO week and a month start at local midnight', () => {
    const day = parseDay('2026-12-01');
    expect([iso(periodOf('daily', day, TZ).start), iso(periodOf('daily', day, TZ).end)]).toEqual(['2026-11-30T16:00:00.000Z', '2026-12-01T16:00:00.000Z']);
    const week = periodOf('weekly', day, TZ);
    expect([week.label, iso(week.start), iso(week.end)]).toEqual(['2026-W49', '2026-11-29T16:00:00.000Z', '2026-12-06T16:00:00.000Z']);
    const month = periodOf('monthly', parseDay('2026-12-31'), TZ);
    expect([month.label, iso(month.start), iso(month.end)]).toEqual(['2026-12', '2026-11-30T16:00:00.000Z', '2026-12-31T16:00:00.000Z']);
    expect(periodOf('weekly', parseDay('2027-01-01'), TZ).label).toBe('2026-W53');
  });

  it('refuses a date that does not exist', () => {
    expect(() => parseDay('2026-02-30')).toThrow(/not a date/);
    expect(() => parseDay('2026-2-3')).toThrow(/YYYY-MM-DD/);
  });

  it('says what is due: yesterday, last week and last month from the hour on; the day before until then', () => {
    const at = (s: string) => Date.parse(s);
    // 2026-12-01 08:30 in Shanghai
    expect(duePeriods(at('2026-12-01T00:30:00Z'), 8, TZ).map((p) => `${p.kind} ${p.label}`)).toEqual([
      'daily 2026-11-30',
      'weekly 2026-W48',
      'monthly 2026-11',
    ]);
    // 07:59 on the 1st: its daily and monthly reports are not due yet; the week's was due on Monday the 30th
    expect(duePeriods(at('2026-11-30T23:59:00Z'), 8, TZ).map((p) => `${p.kind} ${p.label}`)).toEqual([
      'daily 2026-11-29',
      'weekly 2026-W48',
      'monthly 2026-10',
    ]);
  });
});

describe('the daily rollup’s histograms', () => {
  it('keeps a duration exact below a minute and within 2 % above', () => {
    for (const v of [0, 1, 30, 59]) expect(binValue(binOf(v))).toBe(v);
    for (const v of [60, 61, 120, 600, 3600, 86_400, 2_592_000]) expect(Math.abs(binValue(binOf(v)) - v) / v).toBeLessThan(0.02);
  });

  it('takes the median and p90 over the bins and the exact values together, marked approximate', () => {
    const h = new Map([[binOf(600), 3]]);
    const s = histogramStat(h, [30, 45]);
    expect(s).toMatchObject({ n: 5, approx: true });
    expect(Math.abs(s.medianS! - 600) / 600).toBeLessThan(0.02);
    expect(Math.abs(s.p90S! - 600) / 600).toBeLessThan(0.02);
    expect(histogramStat(new Map(), [])).toEqual({ n: 0, medianS: null, p90S: null, approx: true });
  });
});

describe('the weekly rollup of the daily ones', () => {
  it('adds two days of every rollup field: histograms, count tables and offline tables', () => {
    expect(addJson({ '3': 1, '70': 2 }, { '70': 1, '90': 4 })).toEqual({ '3': 1, '70': 3, '90': 4 });
    expect(addJson({ red: 1 }, { yellow: 2 })).toEqual({ red: 1, yellow: 2 });
    // The offline table: day → device → [alerts raised, seconds].
    expect(addJson({ '20400': { 'gas-1': [1, 60] } }, { '20400': { 'gas-1': [0, 30], 'gas-2': [1, 5] }, '20401': { 'gas-1': [0, 10] } })).toEqual({
      '20400': { 'gas-1': [1, 90], 'gas-2': [1, 5] },
      '20401': { 'gas-1': [0, 10] },
    });
  });

  it('reads the whole 4-week blocks, then the whole weeks around them, then the days, and only what is rolled up', () => {
    const D = 86_400_000;
    const B = 4 * WEEK_MS;
    // Days 3 … 100 (day 0 is the epoch's: blocks of 28 from day 0, weeks from day 0).
    const all = [0, 1000 * D, 1000 * D];
    expect(planDays(3 * D, 100 * D, all)).toEqual([
      { level: 0, from: 3 * D, to: 7 * D },
      { level: 1, from: 7 * D, to: 28 * D },
      { level: 2, from: B, to: 3 * B },
      { level: 1, from: 3 * B, to: 98 * D },
      { level: 0, from: 98 * D, to: 100 * D },
    ]);
    // The 4-week blocks rolled up only to day 56, the weeks to day 70: the rest from the days.
    expect(planDays(3 * D, 100 * D, [0, 70 * D, 56 * D])).toEqual([
      { level: 0, from: 3 * D, to: 7 * D },
      { level: 1, from: 7 * D, to: 28 * D },
      { level: 2, from: B, to: 2 * B },
      { level: 1, from: 2 * B, to: 70 * D },
      { level: 0, from: 70 * D, to: 100 * D },
    ]);
    // Nothing rolled up above the days; shorter than a week.
    expect(planDays(3 * D, 100 * D, [0, 0, 0])).toEqual([{ level: 0, from: 3 * D, to: 100 * D }]);
    expect(planDays(8 * D, 12 * D, all)).toEqual([{ level: 0, from: 8 * D, to: 12 * D }]);
    expect(planDays(5 * D, 5 * D, all)).toEqual([]);
  });

  it('names the measurement of each level after its daily one', () => {
    expect(['alert_stat_1d', 'alert_offline_1d', 'alert_count_1d'].map((m) => levelOf(m, 1))).toEqual(['alert_stat_1w', 'alert_offline_1w', 'alert_count_1w']);
    expect(levelOf('alert_stat_1d', 2)).toBe('alert_stat_4w');
    expect(levelOf('alert_stat_1d', 0)).toBe('alert_stat_1d');
    expect(WEEK_MS).toBe(7 * 86_400_000);
  });
});
