import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Alert, Registry, Shift, StatsAnswer } from '@lifeline/core';
import { statsAnswer } from '@lifeline/core';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

/**
 * A known alert history through the real pipeline (MQTT readings and status →
 * rules → alert manager → alert log in InfluxDB), acknowledged and resolved
 * through the API at times the test sets on the platform's clock; the
 * statistics are then exact.
 *
 *   A gas-0004 (qx-gas, 太和镇, model GT-100)  raised T0+0s,  ack +60s,  resolved +300s  真实警情
 *   B gas-0010 (qx-gas, 浸潭镇, model GT-100)  raised T0+1s,  ack +180s, resolved +900s  误报
 *   C gas-0001 (city,   太平镇, model GT-200)  raised T0+2s,  ack +30s,  resolved +120s  设备故障
 *   E gas-0007 (qx-gas, 太和镇) offline        raised T0+3s,  back online +600s (resolved by the system)
 *   D gas-0013 (city,   禾云镇)               raised T0+4s,  never acknowledged: escalates, overdue
 */
const source = JSON.parse(readFileSync(new URL('../../data/qingxin-registry.json', import.meta.url), 'utf8')) as Registry;
const S = 1000;
const MODELS: Record<string, string> = { 'gas-0004': 'GT-100', 'gas-0010': 'GT-100', 'gas-0001': 'GT-200' };

describe('statistics over a known alert history', () => {
  const influxUrl = inject('influxUrl');
  const influxDb = uniqueDbName('stats');
  let broker: PrivateBroker;
  let t: TestPlatform;
  /** The first platform: its stop drops the test's database. */
  let first: TestPlatform | undefined;
  let duty: ApiClient;
  let device: MqttClient;
  let dataDir: string;
  let registryPath: string;
  const T0 = Math.floor(Date.now() / 60_000) * 60_000;
  let clock = T0;
  const from = T0 - 3600 * S;
  const to = T0 + 86_400 * S;
  const ids: Record<string, string> = {};

  const overrides = () => ({
    mqttUrl: broker.url,
    influxUrl,
    influxDb,
    logLevel: 'error' as const,
    dataDir,
    registryPath,
    alertLogDays: 3650,
    escalationMinutes: { red: 5, orange: 15, yellow: 60, blue: 240 },
  });

  beforeAll(async () => {
    broker = await startPrivateBroker();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-stats-'));
    // Long intervals: no device of the test goes offline by silence while it runs; only E, by saying so.
    const reg: Registry = { ...source, devices: source.devices.map((d) => ({ ...d, intervalS: 86_400, ...(MODELS[d.id] ? { model: MODELS[d.id] } : {}) })) };
    registryPath = path.join(dataDir, 'registry.json');
    writeFileSync(registryPath, JSON.stringify(reg));
    t = await startTestPlatform(overrides(), { now: () => clock, enterpriseTenant: 'qx-gas' });
    duty = await t.login('duty');
    device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.stop();
    await first?.stop();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const tenantOf = (id: string) => source.devices.find((d) => d.id === id)!.tenant;
  const alertOf = (dev: string, rule: string) =>
    waitFor(async () => (await duty.get<Alert[]>('/alerts?limit=5000')).body.find((a) => a.device === dev && a.rule === rule), {
      what: `the ${rule} alert of ${dev}`,
    });
  const raise = async (key: string, dev: string, at: number) => {
    clock = at;
    await device.publishAsync(`lifeline/v1/${tenantOf(dev)}/${dev}/telemetry`, JSON.stringify({ values: { ch4: 55 } }), { qos: 1 });
    const a = await alertOf(dev, 'ch4_high');
    expect(a.raisedAt).toBe(at);
    ids[key] = a.id;
  };
  const act = async (at: number, key: string, action: 'acknowledge' | 'resolve', body: Record<string, unknown> = {}) => {
    clock = at;
    const r = await duty.post<Alert>(`/alerts/${ids[key]}/${action}`, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  };
  const stats = async (as: ApiClient, query = '') => {
    const r = await as.get<StatsAnswer>(`/stats?from=${from}&to=${to}${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(statsAnswer.check(r.body).ok).toBe(true);
    return r.body;
  };

  it('raises, acknowledges and resolves the history at set times', async () => {
    await raise('A', 'gas-0004', T0);
    await raise('B', 'gas-0010', T0 + 1 * S);
    await raise('C', 'gas-0001', T0 + 2 * S);
    clock = T0 + 3 * S;
    await device.publishAsync(`lifeline/v1/qx-gas/gas-0007/status`, 'offline', { qos: 1 });
    ids.E = (await alertOf('gas-0007', 'offline')).id;
    await raise('D', 'gas-0013', T0 + 4 * S);

    await act(T0 + 32 * S, 'C', 'acknowledge');
    await act(T0 + 60 * S, 'A', 'acknowledge');
    await act(T0 + 122 * S, 'C', 'resolve', { note: '探头故障，已更换', disposition: 'device_fault' });
    await act(T0 + 181 * S, 'B', 'acknowledge');
    await act(T0 + 300 * S, 'A', 'resolve', { note: '已关阀通风', disposition: 'real' });
    // D is past its 5 minutes: the next tick escalates it.
    clock = T0 + 400 * S;
    await waitFor(async () => ((await duty.get<Alert>(`/alerts/${ids.D}`)).body.escalations ?? 0) >= 1, { what: 'D to escalate' });
    clock = T0 + 603 * S;
    await device.publishAsync(`lifeline/v1/qx-gas/gas-0007/status`, 'online', { qos: 1 });
    await waitFor(async () => (await duty.get<Alert>(`/alerts/${ids.E}`)).body.state === 'resolved', { what: 'E resolved by the system' });
    await act(T0 + 901 * S, 'B', 'resolve', { note: '现场无泄漏', disposition: 'false_alarm' });
    clock = T0 + 1000 * S;
  });

  const expectTheHistory = (s: StatsAnswer, devices: number) => {
    expect(s.raised).toEqual({ total: 5, byLevel: { red: 4, orange: 0, yellow: 1, blue: 0 } });
    expect(s.resolved).toEqual({ total: 4, bySystem: 1, byDisposition: { real: 1, false_alarm: 1, device_fault: 1, none: 1 } });
    // MTTA over [30, 60, 180]; MTTR over the person-resolved [120, 300, 900] (E was resolved by the system).
    expect(s.mtta).toEqual({ n: 3, medianS: 60, p90S: 180 });
    expect(s.mttr).toEqual({ n: 3, medianS: 300, p90S: 900 });
    expect({ escalated: s.escalated, overdue: s.overdue, open: s.open }).toEqual({ escalated: 1, overdue: 1, open: 1 });
    expect(s.falseAlarms.byRule).toEqual([{ key: 'ch4_high', judged: 3, falseAlarms: 1, rate: 1 / 3 }]);
    expect(s.falseAlarms.byModel).toEqual([
      { key: 'GT-100', judged: 2, falseAlarms: 1, rate: 0.5 },
      { key: 'GT-200', judged: 1, falseAlarms: 0, rate: 0 },
    ]);
    // 600 s offline of one device among all, over the 4,600 s of the period so far.
    expect(s.online.devices).toBe(devices);
    expect(s.online.offlineS).toBe(600);
    expect(s.online.rate).toBeCloseTo(1 - 600 / (devices * 4600), 12);
    expect(s.online.mostOffline).toEqual([{ device: 'gas-0007', name: expect.any(String), town: '太和镇', times: 1, offlineS: 600 }]);
    // Slowest first: by MTTR median.
    expect(s.towns.map((r) => [r.key, r.raised, r.resolved, r.mtta.medianS, r.mttr.medianS, r.escalated])).toEqual([
      ['浸潭镇', 1, 1, 180, 900, 0],
      ['太和镇', 2, 2, 60, 300, 0],
      ['太平镇', 1, 1, 30, 120, 0],
      ['禾云镇', 1, 0, null, null, 1],
    ]);
    expect(s.industries.map((r) => [r.key, r.raised, r.resolved, r.mtta, r.mttr])).toEqual([
      ['燃气', 3, 3, { n: 2, medianS: 120, p90S: 180 }, { n: 2, medianS: 600, p90S: 900 }],
      ['none', 2, 1, { n: 1, medianS: 30, p90S: 30 }, { n: 1, medianS: 120, p90S: 120 }],
    ]);
  };

  it('gives the exact counts, MTTA, MTTR, rates and rankings', async () => {
    expectTheHistory(await stats(duty), source.devices.length);
  });

  it('lists who was on duty in the period (a shift started through /api/shifts), and nobody before it', async () => {
    const before = Date.now();
    const started = await duty.post<Shift>('/shifts/start', { note: '统计测试班' });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const s = await stats(duty);
    expect(s.onDuty).toEqual([{ officer: 'duty', officerName: started.body.officerName, from: started.body.startedAt, to: null }]);
    expect(s.onDutyTotal).toBe(1);
    expect(s.onDuty[0]!.from).toBeGreaterThanOrEqual(before);
    // The figures are those of the history still.
    expectTheHistory(s, source.devices.length);
    const earlier = await duty.get<StatsAnswer>(`/stats?from=${started.body.startedAt - 7200 * S}&to=${started.body.startedAt - 3600 * S}`);
    expect(earlier.status).toBe(200);
    expect([earlier.body.onDuty, earlier.body.onDutyTotal]).toEqual([[], 0]);
  });

  it('filters by town, rule, industry and level, and keeps an enterprise to its own tenant', async () => {
    const town = await stats(duty, `&town=${encodeURIComponent('太和镇')}`);
    expect([town.raised.total, town.resolved.total, town.mttr.medianS]).toEqual([2, 2, 300]);
    const rule = await stats(duty, '&rule=ch4_high');
    expect([rule.raised.total, rule.resolved.total, rule.open]).toEqual([4, 3, 1]);
    const gasRed = await stats(duty, `&industry=${encodeURIComponent('燃气')}&level=red`);
    expect([gasRed.raised.total, gasRed.resolved.total, gasRed.mtta.medianS]).toEqual([2, 2, 120]);
    const ent = await stats(await t.login('enterprise'), '&tenant=city');
    expect([ent.raised.total, ent.resolved.total, ent.open]).toEqual([3, 3, 0]);
    expect(ent.towns.map((r) => r.key).sort()).toEqual(['太和镇', '浸潭镇']);
  });

  it('refuses a bad query with the field named', async () => {
    const bad = await duty.get<{ details: string[] }>(`/stats?from=${to}&to=${from}`);
    expect(bad.status).toBe(400);
    expect(bad.body.details.join()).toContain('/from');
    const level = await duty.get<{ details: string[] }>('/stats?level=purple');
    expect(level.status).toBe(400);
    expect(level.body.details.join()).toContain('/level');
  });

  it('gives the same figures after the platform restarts', async () => {
    const databaseUrl = t.databaseUrl;
    first = t;
    await t.platform.stop();
    t = await startTestPlatform(overrides(), { now: () => clock, databaseUrl, enterpriseTenant: 'qx-gas' });
    duty = await t.login('duty');
    expectTheHistory(await stats(duty), source.devices.length);
  });
});
