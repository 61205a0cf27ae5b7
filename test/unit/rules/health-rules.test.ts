import { describe, expect, it } from 'vitest';
import { MIN, S, T0, drain, engine, feed, gas, panel, water } from './support.js';

describe('flatline', () => {
  it('flags a stuck pressure sensor after 120 identical readings over an hour, and clears when it moves', () => {
    const { e, levels, of } = engine();
    const end = feed(e, water, T0, 61 * MIN, 30 * S, () => ({ mpa: 0.351 }));
    expect(levels('mpa_flatline')).toContain('blue');
    expect(of('mpa_flatline')[0]).toMatchObject({ ruleType: 'flatline', detail: expect.stringContaining('疑似传感器卡滞') });
    e.onReading(water, { ts: end, values: { mpa: 0.36 } });
    expect(levels('mpa_flatline').at(-1)).toBeNull();
  });

  it('does not count repeated deliveries of one reading', () => {
    const { e, levels } = engine();
    for (let i = 0; i < 500; i++) e.onReading(drain, { ts: T0, values: { level_m: 0.5 } });
    expect(levels('level_flatline')).toEqual([]);
  });
});

describe('anomaly', () => {
  const normal = (t: number, i: number) => ({ mpa: 0.38 + 0.004 * Math.sin(i * 1.7) });

  it('stays silent during warm-up, however far off a reading is', () => {
    const { e, levels } = engine();
    const end = feed(e, water, T0, 100 * 30 * S, 30 * S, normal);
    e.onReading(water, { ts: end, values: { mpa: 0.6 } });
    e.onReading(water, { ts: end + 30 * S, values: { mpa: 0.6 } });
    expect(levels('mpa_anomaly')).toEqual([]);
  });

  it('flags readings far outside the device’s own normal after warm-up, then clears when they return', () => {
    const { e, of, levels } = engine();
    let t = feed(e, water, T0, 300 * 30 * S, 30 * S, normal);
    for (const v of [0.5, 0.5]) e.onReading(water, { ts: (t += 30 * S), values: { mpa: v } });
    expect(of('mpa_anomaly')).toMatchObject([{ level: 'blue', ruleType: 'anomaly', detail: expect.stringContaining('偏离本设备常态') }]);
    feed(e, water, t + 30 * S, 10 * 30 * S, 30 * S, normal);
    expect(levels('mpa_anomaly').at(-1)).toBeNull();
  });

  it('ignores one spike (two in a row are needed)', () => {
    const { e, levels } = engine();
    let t = feed(e, water, T0, 300 * 30 * S, 30 * S, normal);
    e.onReading(water, { ts: (t += 30 * S), values: { mpa: 0.5 } });
    feed(e, water, t + 30 * S, 10 * 30 * S, 30 * S, normal);
    expect(levels('mpa_anomaly')).toEqual([]);
  });
});

describe('events', () => {
  it('raises a fire red at once and clears it on reset', () => {
    const { e, signals } = engine({ devices: [{ ...panel, site: undefined }] });
    e.onEvent({ ...panel, site: undefined }, { ts: T0, type: 'fire', point: '1-2-031' });
    e.onEvent({ ...panel, site: undefined }, { ts: T0 + 1, type: 'reset' });
    expect(signals.map((s) => [s.rule, s.level])).toEqual([
      ['event:fire', 'red'],
      ['event:fire', null],
    ]);
  });

  it('warns when a point stays disabled for over a day, and clears it on an explicit re-enable', () => {
    const { e, levels, of, setNow } = engine();
    e.onEvent(panel, { ts: T0, type: 'disabled', point: '1-1-007' });
    e.tick(T0 + 23 * 60 * MIN);
    expect(levels('disabled_long')).toEqual([]);
    setNow(T0 + 24 * 60 * MIN + S);
    e.tick();
    e.tick();
    expect(of('disabled_long')).toMatchObject([{ level: 'yellow', ruleType: 'event', detail: expect.stringContaining('1-1-007') }]);
    e.onReading(panel, { ts: T0 + 24 * 60 * MIN + 60 * S, values: { faults: 0, disabled: 1 } });
    expect(levels('disabled_long')).toEqual(['yellow', 'yellow']); // repeated per heartbeat while it lasts
    e.onEvent(panel, { ts: T0 + 25 * 60 * MIN, type: 'disabled', point: '1-1-007', detail: '解除屏蔽' });
    expect(levels('disabled_long')).toEqual(['yellow', 'yellow', null]);
    expect(levels('event:disabled')).toEqual(['blue', null]);
  });

  it('clears a long-disabled warning on reset', () => {
    const { e, levels } = engine();
    e.onEvent(panel, { ts: T0, type: 'disabled', point: '1-1-007' });
    e.tick(T0 + 25 * 60 * MIN);
    e.onEvent(panel, { ts: T0 + 25 * 60 * MIN, type: 'reset' });
    expect(levels('disabled_long')).toEqual(['yellow', null]);
  });

  it('remembers a disabled point across a restart', () => {
    const a = engine();
    a.e.onEvent(panel, { ts: T0, type: 'disabled', point: '2-1-001' });
    const b = engine();
    b.e.restore(JSON.parse(JSON.stringify(a.e.snapshot())));
    b.e.tick(T0 + 24 * 60 * MIN + S);
    expect(b.levels('disabled_long')).toEqual(['yellow']);
  });
});

describe('offline', () => {
  it('raises offline when a gas detector is silent past three intervals, and clears it when it speaks again', () => {
    const { e, signals, setNow } = engine();
    e.seen(gas, T0);
    e.checkOffline(T0 + 94 * S);
    expect(signals).toEqual([]);
    setNow(T0 + 96 * S);
    e.checkOffline();
    expect(signals).toMatchObject([{ rule: 'offline', level: 'yellow', detail: expect.stringContaining('未收到数据') }]);
    e.seen(gas, T0 + 100 * S);
    expect(signals[1]).toMatchObject({ rule: 'offline', level: null });
  });
});
