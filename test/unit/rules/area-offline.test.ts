import { describe, expect, it } from 'vitest';
import { AREA_OFFLINE_SITE, DEFAULT_RULES, type CorrelationRule, type Device } from '@lifeline/core';
import { engine, MIN, S, T0 } from './support.js';

const rule = DEFAULT_RULES.rules.find((r): r is CorrelationRule => r.type === 'correlation' && r.mode === 'area_offline')!;

/** `n` smoke detectors (60 s interval: offline after 185 s) in `town`. */
function town(name: string, n: number, from = 0): Device[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${name}-${from + i}`,
    tenant: 'city',
    kind: 'smoke' as const,
    name: `烟感 ${i}`,
    town: name,
    lon: 113,
    lat: 23.7,
    intervalS: 60,
  }));
}

function heard(e: ReturnType<typeof engine>['e'], devices: Device[], at: number): void {
  for (const d of devices) e.seen(d, at);
}

describe('the area-wide offline rule (大面积离线)', () => {
  it('is defined once, in the default rules, with its thresholds', () => {
    expect(rule).toMatchObject({ id: 'area_offline', minDevices: 100, minFraction: 0.3, minTownDevices: 20, windowS: 300 });
  });

  it('turns a whole city falling silent into one area signal, sent before the devices’ own offline signals, naming the count and the towns', () => {
    const devices = [...town('太和镇', 600), ...town('太平镇', 400), ...town('山塘镇', 200)];
    const t = engine({ devices });
    heard(t.e, devices, T0);
    t.e.checkOffline(T0 + 186 * S);
    const area = t.of('area_offline');
    expect(area).toHaveLength(1);
    expect(area[0]).toMatchObject({ level: 'orange', ruleType: 'correlation', site: AREA_OFFLINE_SITE, value: 1200 });
    expect(area[0]!.detail).toMatch(/1200 台设备离线（太和镇 600 台、太平镇 400 台、山塘镇 200 台）/);
    expect(t.signals.indexOf(area[0]!)).toBe(0);
    expect(t.of('offline')).toHaveLength(1200);
  });

  it('says nothing area-wide about a few devices going offline', () => {
    const devices = town('太和镇', 600);
    const t = engine({ devices });
    heard(t.e, devices, T0);
    heard(t.e, devices.slice(10), T0 + 120 * S);
    t.e.checkOffline(T0 + 186 * S);
    expect(t.of('offline')).toHaveLength(10);
    expect(t.of('area_offline')).toEqual([]);
  });

  it('counts a town losing a share of its devices, though far fewer than the city-wide number', () => {
    const devices = [...town('太和镇', 1000), ...town('浸潭镇', 60)];
    const t = engine({ devices });
    heard(t.e, devices, T0);
    heard(t.e, devices.slice(0, 1000), T0 + 120 * S); // 太和镇 keeps reporting
    t.e.checkOffline(T0 + 186 * S);
    expect(t.of('offline')).toHaveLength(60);
    expect(t.of('area_offline')).toMatchObject([{ level: 'orange', detail: expect.stringContaining('浸潭镇 60 台') }]);
  });

  it('counts only devices that go offline close together (within the window)', () => {
    const devices = town('太和镇', 1000);
    const t = engine({ devices });
    // 60 devices fall silent every 10 minutes: never 100 within 5 minutes, never 30 % of the town.
    heard(t.e, devices, T0);
    for (let k = 1; k <= 8; k++) {
      const at = T0 + k * 10 * MIN;
      heard(t.e, devices.slice(k * 60), at);
      t.e.tick(at + 100 * S);
    }
    expect(t.of('offline').filter((s) => s.level)).toHaveLength(8 * 60);
    expect(t.of('area_offline')).toEqual([]);
  });

  it('clears once fewer than half its numbers are still offline, and starts again with the next outage', () => {
    const devices = town('太和镇', 400);
    const t = engine({ devices });
    heard(t.e, devices, T0);
    t.e.tick(T0 + 186 * S);
    expect(t.levels('area_offline')).toEqual(['orange']);
    heard(t.e, devices.slice(0, 300), T0 + 200 * S);
    t.e.tick(T0 + 201 * S);
    expect(t.levels('area_offline')).toEqual(['orange', 'orange']); // a repeat with the new count
    heard(t.e, devices.slice(0, 360), T0 + 202 * S);
    t.e.tick(T0 + 203 * S);
    expect(t.levels('area_offline')).toEqual(['orange', 'orange', null]);
    expect(t.of('area_offline').at(-1)!.detail).toContain('仍有 40 台设备离线');
    t.e.tick(T0 + 210 * S);
    expect(t.of('area_offline')).toHaveLength(3);
  });

  it('marks a mass event offline in slices on its timer, the event loop answering between them', async () => {
    const devices = town('太和镇', 5000);
    const t = engine({ devices });
    heard(t.e, devices, T0);
    const now = T0 + 186 * S;
    t.setNow(now);
    t.e.start();
    try {
      let turns = 0;
      const counting = setInterval(() => turns++, 0);
      t.e.tick(now);
      expect(t.of('offline').length).toBeLessThan(5000);
      expect(t.of('area_offline')).toHaveLength(1);
      while (t.of('offline').length < 5000) await new Promise((r) => setTimeout(r, 20));
      clearInterval(counting);
      expect(t.of('offline')).toHaveLength(5000);
      expect(turns).toBeGreaterThan(0);
    } finally {
      t.e.stop();
    }
  });
});
