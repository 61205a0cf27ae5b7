import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Alert, Registry, StatsAnswer } from '@lifeline/core';
import { statsAnswer } from '@lifeline/core';
import { influxQuery } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

/**
 * A period of 40 days and a bit (over the 35 that switch to the daily
 * rollups), its history written through the real pipeline (MQTT → rules →
 * alert manager → alert log in InfluxDB) at times set on the platform's
 * clock, the rollups made by calling the platform's hourly job. D is the UTC
 * day 45 days ago; the period is [D+12h, D+40d+6h): its whole days
 * [D+1d, D+40d) come from the rollups, the edges raw.
 *
 *   offline gas-0007  D+10h → D+14h     across the start: 2 h in the period, counted
 *   offline gas-0007  D+20h → D+1d+4h   across the first whole day: 4 h + 4 h
 *   offline gas-0008  D+10d+1h → +2h    inside the whole days: 1 h
 *   offline gas-0008  D+39d+22h → D+40d+1h  across the last whole day: 2 h + 1 h
 *   offline gas-0009  D+40d+2h → +3h    in the tail: 1 h
 *   ch4 alert gas-0004 D+5d, ack +60 s, resolved +300 s; gas-0010 D+20d, +30 s, +120 s (whole days);
 *   gas-0001 D+40d+4h, +180 s, +900 s (the tail)
 */
const source = JSON.parse(readFileSync(new URL('../../data/qingxin-registry.json', import.meta.url), 'utf8')) as Registry;
const rules = JSON.parse(readFileSync(new URL('../../data/rules.json', import.meta.url), 'utf8')) as { rules: { id: string; afterIntervals?: number }[] };
const S = 1000;
const H = 3600 * S;
const DAY = 24 * H;

describe('statistics of a long period read from the daily rollups', () => {
  const influxUrl = inject('influxUrl');
  const influxDb = uniqueDbName('statsroll');
  let broker: PrivateBroker;
  let t: TestPlatform;
  let duty: ApiClient;
  let device: MqttClient;
  let dataDir: string;
  const D = Math.floor(Date.now() / DAY) * DAY - 45 * DAY;
  let clock = D;
  const from = D + 12 * H;
  const to = D + 40 * DAY + 6 * H;
  const end = to + 2 * H;
  const d0 = D + DAY;
  const d1 = D + 40 * DAY;

  beforeAll(async () => {
    broker = await startPrivateBroker();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-statsroll-'));
    // A device heard goes offline by silence after 100 daily intervals here: none does in the 45 days, only by saying so.
    const reg: Registry = { ...source, devices: source.devices.map((d) => ({ ...d, intervalS: 86_400 })) };
    const registryPath = path.join(dataDir, 'registry.json');
    writeFileSync(registryPath, JSON.stringify(reg));
    const rulesPath = path.join(dataDir, 'rules.json');
    writeFileSync(rulesPath, JSON.stringify({ ...rules, rules: rules.rules.map((r) => (r.id === 'offline' ? { ...r, afterIntervals: 100 } : r)) }));
    t = await startTestPlatform(
      { mqttUrl: broker.url, influxUrl, influxDb, logLevel: 'error', dataDir, registryPath, rulesPath, alertLogDays: 3650 },
      { now: () => clock },
    );
    duty = await t.login('duty');
    device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.stop();
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const tenantOf = (id: string) => source.devices.find((d) => d.id === id)!.tenant;
  const offline = async (dev: string, at: number, back: number) => {
    clock = at;
    await device.publishAsync(`lifeline/v1/${tenantOf(dev)}/${dev}/status`, 'offline', { qos: 1 });
    const a = await waitFor(async () => (await duty.get<Alert[]>('/alerts?state=open&limit=5000')).body.find((x) => x.device === dev && x.rule === 'offline'), {
      what: `${dev} offline`,
    });
    expect(a.raisedAt).toBe(at);
    clock = back;
    await device.publishAsync(`lifeline/v1/${tenantOf(dev)}/${dev}/status`, 'online', { qos: 1 });
    await waitFor(async () => (await duty.get<Alert>(`/alerts/${a.id}`)).body.state === 'resolved', { what: `${dev} back online` });
  };
  const handled = async (dev: string, at: number, ackS: number, resS: number) => {
    clock = at;
    await device.publishAsync(`lifeline/v1/${tenantOf(dev)}/${dev}/telemetry`, JSON.stringify({ values: { ch4: 55 } }), { qos: 1 });
    const a = await waitFor(
      async () => (await duty.get<Alert[]>('/alerts?state=open&limit=5000')).body.find((x) => x.device === dev && x.rule === 'ch4_high'),
      {
        what: `the ch4 alert of ${dev}`,
      },
    );
    expect(a.raisedAt).toBe(at);
    // Back to normal at once, so the next breach is a new alert.
    await device.publishAsync(`lifeline/v1/${tenantOf(dev)}/${dev}/telemetry`, JSON.stringify({ values: { ch4: 0 } }), { qos: 1 });
    clock = at + ackS * S;
    expect((await duty.post(`/alerts/${a.id}/acknowledge`, {})).status).toBe(200);
    clock = at + resS * S;
    expect((await duty.post(`/alerts/${a.id}/resolve`, { note: '已处置', disposition: 'real' })).status).toBe(200);
  };
  const stats = async () => {
    const r = await duty.get<StatsAnswer>(`/stats?from=${from}&to=${to}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(statsAnswer.check(r.body).ok).toBe(true);
    return r.body;
  };

  it('writes the history at set times over 40 days', async () => {
    await offline('gas-0007', D + 10 * H, D + 14 * H);
    await offline('gas-0007', D + 20 * H, D + DAY + 4 * H);
    await handled('gas-0004', D + 5 * DAY, 60, 300);
    await offline('gas-0008', D + 10 * DAY + H, D + 10 * DAY + 2 * H);
    await handled('gas-0010', D + 20 * DAY, 30, 120);
    await offline('gas-0008', D + 39 * DAY + 22 * H, D + 40 * DAY + H);
    await offline('gas-0009', D + 40 * DAY + 2 * H, D + 40 * DAY + 3 * H);
    await handled('gas-0001', D + 40 * DAY + 4 * H, 180, 900);
    clock = end;
    expect((await duty.get<Alert[]>('/alerts?state=open&limit=5000')).body).toEqual([]);
  });

  // 2 h + 8 h of gas-0007, 1 h + 3 h of gas-0008, 1 h of gas-0009.
  const OFFLINE_S = 15 * 3600;
  const expectOffline = (s: StatsAnswer) => {
    const devices = source.devices.length;
    expect(s.online.devices).toBe(devices);
    expect(s.online.offlineS).toBe(OFFLINE_S);
    expect(s.online.rate).toBeCloseTo(1 - OFFLINE_S / (devices * ((to - from) / S)), 12);
    expect(s.online.mostOffline.map((r) => [r.device, r.times, r.offlineS])).toEqual([
      ['gas-0007', 2, 10 * 3600],
      ['gas-0008', 2, 4 * 3600],
      ['gas-0009', 1, 3600],
    ]);
    // The first offline alert was raised before the period; the offline ones are yellow, the ch4 ones red.
    expect(s.raised).toEqual({ total: 7, byLevel: { red: 3, orange: 0, yellow: 4, blue: 0 } });
    expect(s.resolved).toEqual({ total: 8, bySystem: 5, byDisposition: { real: 3, none: 5 } });
    expect(s.falseAlarms).toEqual({
      byRule: [{ key: 'ch4_high', judged: 3, falseAlarms: 0, rate: 0 }],
      byModel: [{ key: 'gas', judged: 3, falseAlarms: 0, rate: 0 }],
    });
  };

  /** The ranked towns and industries without their medians (the rollups' are within 2 %). */
  const ranks = (s: StatsAnswer) =>
    [...s.towns, ...s.industries]
      .map((r) => [r.key, r.raised, r.resolved, r.escalated, r.mtta.n, r.mttr.n])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  let rawRanks: ReturnType<typeof ranks> = [];

  it('gives the exact figures before the rollups are made (all raw)', async () => {
    const s = await stats();
    expectOffline(s);
    rawRanks = ranks(s);
    expect(rawRanks.length).toBeGreaterThan(1);
    expect(s.mtta).toEqual({ n: 3, medianS: 60, p90S: 180 });
    expect(s.mttr).toEqual({ n: 3, medianS: 300, p90S: 900 });
  });

  it('reads the whole days from the rollups made by the hourly job, with the same figures (MTTA/MTTR within 2 %)', async () => {
    await t.platform.rollup.run();
    await t.platform.writer.drain();
    const target = { url: influxUrl, db: influxDb };
    const marks = await influxQuery(target, `SELECT count("n") FROM "alert_offline_1d" WHERE "mark" = 'day'`);
    expect(marks[0]?.values[0]?.[1]).toBeGreaterThanOrEqual(40); // every finished day, with or without offline alerts
    // …and every whole week of them (the 40 days hold five), for each of the three rollups.
    for (const m of ['alert_stat_1w', 'alert_offline_1w', 'alert_count_1w']) {
      const weeks = await influxQuery(target, `SELECT count("rolled") FROM "${m}" WHERE "mark" = 'block'`);
      expect(weeks[0]?.values[0]?.[1], m).toBeGreaterThanOrEqual(5);
    }
    // The raw statistics points inside the whole days are dropped: what the answer still has of them came from the rollups.
    for (const m of ['alert_raised', 'alert_stat', 'alert_judged', 'alert_offline']) {
      await influxQuery(target, `DELETE FROM "${m}" WHERE time >= ${d0 + 2 * DAY}ms AND time < ${d1 - 2 * DAY}ms`);
      expect(await influxQuery(target, `SELECT * FROM "${m}" WHERE time >= ${d0 + 2 * DAY}ms AND time < ${d1 - 2 * DAY}ms`)).toEqual([]);
    }
    const s = await stats();
    expectOffline(s);
    // Each town and industry keeps its own counts (not all under "none").
    expect(ranks(s)).toEqual(rawRanks);
    expect(s.mtta).toMatchObject({ n: 3, approx: true });
    expect(s.mttr).toMatchObject({ n: 3, approx: true });
    expect(Math.abs(s.mtta.medianS! - 60) / 60).toBeLessThanOrEqual(0.02);
    expect(Math.abs(s.mtta.p90S! - 180) / 180).toBeLessThanOrEqual(0.02);
    expect(Math.abs(s.mttr.medianS! - 300) / 300).toBeLessThanOrEqual(0.02);
    expect(Math.abs(s.mttr.p90S! - 900) / 900).toBeLessThanOrEqual(0.02);
  });
});
