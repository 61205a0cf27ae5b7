import { describe, expect, it } from 'vitest';
import { MIN, S, T0, engine, feed, gas, gas2, meterA, meterB, meterC, panel } from './support.js';
import { emptyBaseline, foldHour, hourOfWeek } from '@lifeline/ingest';

const HOUR = 60 * MIN;

describe('enterprise power', () => {
  it('suspects production during an ordered shutdown: orange after 10 minutes above idle × 2, on the total of the meters', () => {
    const { e, of } = engine();
    for (let t = T0; t <= T0 + 12 * MIN; t += MIN) {
      e.onReading(meterA, { ts: t, values: { p_kw: 250 } });
      e.onReading(meterB, { ts: t + 30 * S, values: { p_kw: 70 } });
    }
    const sigs = of('power_stopped');
    expect(sigs[0]).toMatchObject({ level: 'orange', ruleType: 'power', site: '某化工厂', value: 320, threshold: 40 });
    expect(sigs[0]!.detail).toMatch(/^停产整顿期间功率 320 kW（停产基准 20 kW）已持续 10 分钟/);
    expect(new Set(sigs.map((s) => `${s.site}|${s.rule}`)).size).toBe(1); // one alert per enterprise
  });

  it('stays quiet for a stopped enterprise drawing its idle load', () => {
    const { e, signals } = engine();
    feed(e, meterA, T0, 2 * HOUR, MIN, () => ({ p_kw: 15 }));
    feed(e, meterB, T0, 2 * HOUR, MIN, () => ({ p_kw: 5 }));
    expect(signals).toEqual([]);
  });

  it('flags an overload sustained 5 minutes, judged against rated capacity', () => {
    const { e, levels, of } = engine();
    feed(e, meterC, T0, 4 * MIN, MIN, () => ({ p_kw: 560 }));
    expect(levels('power_overload')).toEqual([]);
    feed(e, meterC, T0 + 4 * MIN, 3 * MIN, MIN, () => ({ p_kw: 560 }));
    expect(of('power_overload')[0]).toMatchObject({ level: 'orange', detail: expect.stringContaining('额定容量 500 kW 的 112%') });
  });

  it('flags production at night (22:00–06:00 UTC+8) after half an hour', () => {
    const { e, of } = engine();
    const night = Date.UTC(2025, 2, 3, 15); // 23:00 local
    feed(e, meterC, night, 31 * MIN, MIN, () => ({ p_kw: 300 }));
    expect(of('power_schedule')[0]).toMatchObject({ level: 'yellow', detail: expect.stringContaining('禁止生产时段 22:00–06:00') });
  });

  it('flags power far above the learned baseline for this hour of the week, and not where none was learned', () => {
    const { e, of } = engine();
    const b = emptyBaseline();
    for (let w = 1; w <= 3; w++) foldHour(b, T0 - w * 7 * 24 * HOUR, 100, 8, 4);
    e.applyBaselines(new Map([['ent-run', b]]));
    expect(e.baselineOf('ent-run')!.mean[hourOfWeek(T0)]).toBe(100);
    feed(e, meterC, T0, 35 * MIN, MIN, () => ({ p_kw: 300 })); // > 100 × 1.5 + 500 × 0.15 = 225
    expect(of('power_baseline')[0]).toMatchObject({ level: 'blue', threshold: 225, detail: expect.stringContaining('历史基准 100 kW') });
    const other = engine();
    feed(other.e, meterC, T0, 35 * MIN, MIN, () => ({ p_kw: 300 }));
    expect(other.of('power_baseline')).toEqual([]);
  });

  it('learns the hour-of-week baseline from live data as hours pass', () => {
    const { e } = engine();
    feed(e, meterC, T0, 2 * HOUR, MIN, () => ({ p_kw: 123 }));
    expect(e.baselineOf('ent-run')!.mean[hourOfWeek(T0)]).toBeCloseTo(123);
  });

  it('raises a silent meter orange (possible tampering)', () => {
    const { e, signals } = engine();
    e.seen(meterC, T0);
    e.checkOffline(T0 + 4 * MIN);
    expect(signals).toMatchObject([{ rule: 'offline', level: 'orange', detail: expect.stringContaining('人为破坏') }]);
  });
});

describe('site correlation', () => {
  it('raises one site alert one level above the worst when two detectors of a site alarm together, and clears it once', () => {
    const { e, of } = engine();
    e.onReading(gas, { ts: T0, values: { ch4: 12 } });
    expect(of('site_multi_alarm')).toEqual([]);
    e.onReading(gas2, { ts: T0 + S, values: { ch4: 30 } });
    e.onReading(gas2, { ts: T0 + 2 * S, values: { ch4: 31 } });
    const site = of('site_multi_alarm');
    expect(site).toMatchObject([
      { level: 'red', ruleType: 'correlation', site: '向阳小区', detail: expect.stringContaining('2 个探测器同时报警') },
      { level: 'red' },
    ]);
    e.onReading(gas, { ts: T0 + 3 * S, values: { ch4: 1 } });
    expect(of('site_multi_alarm').at(-1)?.level).toBeNull();
    expect(of('site_multi_alarm').filter((s) => s.level === null)).toHaveLength(1);
  });

  it('sends a site condition that starts before the signal of the detector that brings it, so that alert can join it', () => {
    const { e, signals } = engine();
    e.onReading(gas, { ts: T0, values: { ch4: 12 } });
    signals.length = 0;
    e.onReading(gas2, { ts: T0 + S, values: { ch4: 30 } });
    expect(signals.map((s) => [s.device, s.rule])).toEqual([
      ['gas-2', 'site_multi_alarm'],
      ['gas-2', 'ch4_high'],
    ]);
    // While it lasts (and when it clears) the device's own signal comes first.
    signals.length = 0;
    e.onReading(gas2, { ts: T0 + 2 * S, values: { ch4: 31 } });
    expect(signals.map((s) => s.rule)).toEqual(['ch4_high', 'site_multi_alarm']);
  });

  it('raises a red site alert when a gas alarm and a fire meet at one site', () => {
    const { e, of } = engine();
    e.onReading(gas, { ts: T0, values: { ch4: 12 } });
    e.onEvent(panel, { ts: T0 + S, type: 'fire', point: '1-1-001' });
    expect(of('site_gas_fire')).toMatchObject([{ level: 'red', site: '向阳小区', device: 'fp-1' }]);
  });
});
