import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Alert, Registry, ReportEntry } from '@lifeline/core';
import { SHEETS } from '../../server/src/reports/report-workbook.js';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { receiver } from '../support/receiver.js';
import { runCli } from '../support/cli.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

/**
 * The daily report (日报) of a fixed day, 2026-11-30 in Asia/Shanghai, from a
 * history made through the real pipeline at times set on the platform's clock:
 *
 *   A gas-0004 red     raised 10:00, acknowledged +2 min, resolved +10 min (真实警情)
 *   B gas-0010 red     raised 10:01, never acknowledged (open when the report is made)
 *   C gas-0001 orange  raised 10:02, never acknowledged (open)
 *
 * plus an overdue hazard and a duty shift over the day in the store. The
 * report is made the next morning, read back with exceljs, listed, and its
 * summary reaches a real local receiver with a link that opens its print view.
 */
const source = JSON.parse(readFileSync(new URL('../../data/qingxin-registry.json', import.meta.url), 'utf8')) as Registry;
const H = 3_600_000;
const MIN = 60_000;
/** 2026-11-30 00:00 in Asia/Shanghai (UTC+8). */
const DAY0 = Date.UTC(2026, 10, 29, 16, 0, 0);
const at = (h: number, m = 0) => DAY0 + h * H + m * MIN;

describe('the daily report of a fixed day', () => {
  const influxUrl = inject('influxUrl');
  let broker: PrivateBroker;
  let t: TestPlatform;
  let duty: ApiClient;
  let sup: ApiClient;
  let device: MqttClient;
  let dataDir: string;
  let clock = at(10);
  const hook = receiver();
  const reportsGot = () => hook.got.filter((g) => g.body.type === 'lifeline.report');
  const ids: Record<string, string> = {};
  let entry: ReportEntry;
  const influxDb = uniqueDbName('reports');

  beforeAll(async () => {
    broker = await startPrivateBroker();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-reports-'));
    const registryPath = path.join(dataDir, 'registry.json');
    writeFileSync(registryPath, JSON.stringify({ ...source, devices: source.devices.map((d) => ({ ...d, intervalS: 86_400 })) }));
    const hookUrl = await hook.start();
    t = await startTestPlatform(
      {
        mqttUrl: broker.url,
        influxUrl,
        influxDb,
        logLevel: 'error',
        dataDir,
        registryPath,
        alertLogDays: 3650,
        notifyWebhookUrl: `${hookUrl}/hook`,
        publicUrl: 'http://127.0.0.1:1',
      },
      { now: () => clock },
    );
    [duty, sup] = await Promise.all([t.login('duty'), t.login('supervisor')]);
    device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('dev') });
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.stop();
    await broker?.stop();
    await hook.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const tenantOf = (id: string) => source.devices.find((d) => d.id === id)!.tenant;
  const raise = async (key: string, dev: string, ch4: number, time: number) => {
    clock = time;
    await device.publishAsync(`lifeline/v1/${tenantOf(dev)}/${dev}/telemetry`, JSON.stringify({ values: { ch4 } }), { qos: 1 });
    const a = await waitFor(async () => (await duty.get<Alert[]>('/alerts?limit=5000')).body.find((x) => x.device === dev && x.rule === 'ch4_high'), {
      what: `the alert of ${dev}`,
    });
    ids[key] = a.id;
  };

  it('makes the report of 2026-11-30 on request, with the expected sheets and figures', async () => {
    await raise('A', 'gas-0004', 55, at(10));
    await raise('B', 'gas-0010', 60, at(10, 1));
    await raise('C', 'gas-0001', 30, at(10, 2));
    clock = at(10, 2);
    expect((await duty.post(`/alerts/${ids.A}/acknowledge`, {})).status).toBe(200);
    clock = at(10, 10);
    expect((await duty.post(`/alerts/${ids.A}/resolve`, { note: '已关阀通风', disposition: 'real' })).status).toBe(200);

    // An overdue hazard, and the officer on duty over the day (the store's own clock is the real one, so the shift is written with its times).
    await t.platform.store.hazards.create({
      source: 'inspection',
      sourceRef: null,
      tenant: 'qx-gas',
      department: null,
      unitName: '清新燃气有限公司',
      town: '太和镇',
      industry: '燃气',
      device: null,
      level: 'major',
      description: '调压箱锈蚀严重',
      deadline: at(-24),
      actor: 'duty',
    });
    const dutyUser = (await t.platform.store.users.byUsername('duty'))!;
    const pool = new pg.Pool({ connectionString: t.databaseUrl, max: 1 });
    await pool.query(
      'INSERT INTO duty_shifts (id, user_id, officer, officer_name, started_at, ended_at, note, on_duty) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)',
      ['s-test-1', dutyUser.id, 'duty', '张值班', at(-1), at(23)],
    );
    await pool.end();

    // The next morning, 08:30 local.
    clock = at(32, 30);
    const made = await sup.post<ReportEntry>('/reports', { kind: 'daily', day: '2026-11-30', notify: true });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    entry = made.body;
    expect(entry).toMatchObject({ kind: 'daily', periodLabel: '2026-11-30', periodStart: DAY0, periodEnd: DAY0 + 24 * H });
    expect(entry.title).toContain('日报');

    const xlsx = await fetch(`${t.url}/api/reports/${entry.id}/xlsx`, { headers: { cookie: sup.cookie } });
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get('content-type')).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    expect(wb.worksheets.map((w) => w.name)).toEqual(Object.values(SHEETS));

    const figures = new Map<string, unknown>();
    wb.getWorksheet(SHEETS.summary)!.eachRow((row) => figures.set(String(row.getCell(1).value), row.getCell(2).value));
    expect(figures.get('新增预警')).toBe(3);
    expect(figures.get('其中红色预警')).toBe(2);
    expect(figures.get('其中橙色预警')).toBe(1);
    expect(figures.get('已处置')).toBe(1);
    expect(figures.get('其中真实警情')).toBe(1);
    expect(figures.get('平均确认时长 MTTA中位数（分钟）')).toBe('2.0');
    expect(figures.get('平均处置时长 MTTR中位数（分钟）')).toBe('10.0');
    expect(figures.get('超时未处置')).toBe(2);
    expect(figures.get('未处置红色/橙色预警')).toBe(2);
    expect(figures.get('超期隐患')).toBe(1);
    expect(figures.get('值班人员')).toBe('张值班');
    expect(figures.get('统计时段')).toBe('2026-11-30 00:00 至 2026-12-01 00:00（Asia/Shanghai）');

    const rows = (name: string) => {
      const out: unknown[][] = [];
      wb.getWorksheet(name)!.eachRow((row, i) => {
        if (i > 1) out.push((row.values as unknown[]).slice(1));
      });
      return out;
    };
    expect(rows(SHEETS.openAlerts).map((r) => [r[0], r[1], r[3]])).toEqual([
      [ids.B, '红色预警', '浸潭镇'],
      [ids.C, '橙色预警', '太平镇'],
    ]);
    expect(rows(SHEETS.towns).map((r) => [r[0], r[1], r[2], r[5]])).toEqual([
      ['太和镇', 1, 1, '10.0'],
      ['太平镇', 1, 0, '—'],
      ['浸潭镇', 1, 0, '—'],
    ]);
    expect(rows(SHEETS.hazards).map((r) => [r[1], r[3], r[6]])).toEqual([['重大', '清新燃气有限公司', '调压箱锈蚀严重']]);
    expect(rows(SHEETS.duty).map((r) => [r[0], r[1]])).toEqual([['张值班', 'duty']]);
  });

  it('lists the report for the duty room and keeps it from an enterprise', async () => {
    const list = await duty.get<ReportEntry[]>('/reports');
    expect(list.status).toBe(200);
    expect(list.body.map((r) => r.id)).toEqual([entry.id]);
    expect((await (await t.login('enterprise')).get('/reports')).status).toBe(403);
    expect((await duty.post('/reports', { kind: 'daily', day: '2026-11-30' })).status).toBe(403);
    const bad = await sup.post<{ details: string[] }>('/reports', { kind: 'daily', day: '2026-02-30' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.join()).toContain('/day');
  });

  it('sends the summary to the receiver, with a link that opens the printable report', async () => {
    const got = await waitFor(() => reportsGot()[0], { what: 'the report summary at the receiver' });
    expect(got.body).toMatchObject({ type: 'lifeline.report', kind: 'daily', period: '2026-11-30' });
    expect(String(got.body.text)).toContain('新增预警：3（红 2，橙 1，黄 0，蓝 0）');
    const url = new URL(String(got.body.url));
    expect(url.pathname).toBe(`/api/reports/${entry.id}/print`);
    const page = await fetch(`${t.url}${url.pathname}`, { headers: { cookie: duty.cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(entry.title);
    expect(html).toContain('调压箱锈蚀严重');
    expect(html).toContain('href="/api/reports/print.css"');
    expect(html).not.toMatch(/<style|style="|<script>/);
    expect((await fetch(`${t.url}${url.pathname}`)).status).toBe(401);
    const css = await fetch(`${t.url}/api/reports/print.css`, { headers: { cookie: duty.cookie } });
    expect(await css.text()).toContain('@media print');
  });

  it('makes what is due on its own the next morning, once: the week and the month, the day kept', async () => {
    await t.platform.reports.check();
    await t.platform.reports.check();
    const list = (await duty.get<ReportEntry[]>('/reports')).body;
    expect(list.map((r) => `${r.kind} ${r.periodLabel}`).sort()).toEqual(['daily 2026-11-30', 'monthly 2026-11', 'weekly 2026-W48']);
    expect(list.find((r) => r.kind === 'daily')!.id).toBe(entry.id);
    await waitFor(() => reportsGot().length === 3, { what: 'three report summaries' });
  });

  it('makes the same day again from the command line (npm run reports), with the figures and who was on duty', async () => {
    const out = path.join(dataDir, 'cli-report.xlsx');
    const run = await runCli('reports', ['generate', '--day', '2026-11-30', '--out', out], {
      DATABASE_URL: t.databaseUrl,
      INFLUX_URL: influxUrl,
      INFLUX_DB: influxDb,
      REGISTRY_PATH: path.join(dataDir, 'registry.json'),
    });
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.split('\t')[0]!;
    const kept = (await t.platform.store.reports.get(id))!;
    expect(kept.entry).toMatchObject({ kind: 'daily', periodLabel: '2026-11-30' });
    expect(kept.content.stats.raised.total).toBe(3);
    expect(kept.content.stats.onDuty.map((d) => d.officerName)).toEqual(['张值班']);
    const wb = new ExcelJS.Workbook();
    const bytes = readFileSync(out);
    await wb.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    expect(wb.worksheets.map((w) => w.name)).toEqual(Object.values(SHEETS));
  }, 120_000);
});
