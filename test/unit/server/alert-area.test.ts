import { describe, expect, it } from 'vitest';
import { AREA_OFFLINE_SITE, type Device, type Signal } from '@lifeline/core';
import { alertHarness, MIN, T0 } from '../../support/alert-harness.js';

const meter = (i: number): Device => ({
  id: `pwr-${i}`,
  tenant: 'city',
  kind: 'power',
  name: `电表 ${i}`,
  town: i % 2 ? '太和镇' : '太平镇',
  lon: 113,
  lat: 23.7,
});
const devices = Array.from({ length: 50 }, (_, i) => meter(i));

const offline = (i: number, level: Signal['level'] = 'orange'): Signal => ({ device: `pwr-${i}`, rule: 'offline', ruleType: 'offline', level, ts: T0 });
const area = (level: Signal['level']): Signal => ({
  device: 'pwr-0',
  rule: 'area_offline',
  ruleType: 'correlation',
  site: AREA_OFFLINE_SITE,
  level,
  ts: T0,
  value: 50,
  detail: level ? '大面积离线：50 台设备离线（太和镇 25 台、太平镇 25 台）' : '大面积离线已恢复：仍有 2 台设备离线',
});

const manager = () => alertHarness({ devices, escalation: { minutes: { red: 5, orange: 15, yellow: 60, blue: 240 }, dispatchOverdueMinutes: 120 } });

describe('the area-wide offline alert (大面积离线)', () => {
  it('is notified once; the devices’ offline alerts are recorded, folded into it, not notified one by one', () => {
    const { m, changes } = manager();
    m.onSignal(offline(1));
    m.onSignal(area('orange'));
    for (let i = 2; i < 50; i++) m.onSignal(offline(i));
    expect(changes.filter((c) => c.notify).map((c) => c.alert.rule)).toEqual(['offline', 'area_offline']);
    const open = m.list({ state: 'open' });
    expect(open).toHaveLength(50);
    expect(open.filter((a) => a.rule === 'offline').every((a) => a.silence?.kind === 'correlated' && a.silence.site === AREA_OFFLINE_SITE)).toBe(true);
  });

  it('escalates for its devices: they do not escalate one by one while it is open', () => {
    const { m, changes, advance } = manager();
    m.onSignal(area('orange'));
    for (let i = 1; i < 50; i++) m.onSignal(offline(i));
    advance(16 * MIN);
    m.tick();
    expect(changes.filter((c) => c.action === 'escalated').map((c) => c.alert.rule)).toEqual(['area_offline']);
  });

  it('resolves a folded alert when its device is back, whatever its level, and hands the still-offline ones back when the area alert clears', () => {
    const { m, changes, advance } = manager();
    m.onSignal(area('orange'));
    for (let i = 1; i < 50; i++) m.onSignal(offline(i));
    for (let i = 1; i < 48; i++) m.onSignal(offline(i, null));
    expect(m.list({ state: 'resolved' })).toHaveLength(47);
    m.onSignal(area(null));
    const left = m.list({ state: 'open' }).filter((a) => a.rule === 'offline');
    expect(left.map((a) => a.device).sort()).toEqual(['pwr-48', 'pwr-49']);
    expect(left.every((a) => !a.silence)).toBe(true);
    expect(m.list({ state: 'open' }).find((a) => a.rule === 'area_offline')).toMatchObject({ detail: expect.stringContaining('仍有 2 台') });
    advance(16 * MIN);
    m.tick();
    expect(
      changes
        .filter((c) => c.action === 'escalated')
        .map((c) => c.alert.device)
        .sort(),
    ).toEqual(['pwr-0', 'pwr-48', 'pwr-49']);
  });
});
