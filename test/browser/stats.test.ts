/**
 * The 统计分析 view draws its charts from real data: two red gas alerts raised
 * over MQTT (real broker, InfluxDB, PostgreSQL), one resolved as a false alarm
 * and one as real; the view's ECharts instances hold those figures and their
 * canvases are drawn, in Chinese and then in English, under the page's CSP.
 * The shift started before is listed as on duty (值班记录). The 报表 list shows a report made for today, and its workbook downloads.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, ReportEntry } from '@lifeline/core';
import type { ApiClient, TestPlatform } from '../support/platform.js';
import { waitFor } from '../support/wait.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { addSessionCookie, dashboardConnected, publish, registry, screenshot, type PageWatch } from './dashboard-page.js';

type Charts = Record<string, { names: string[]; values: (number | null)[] }>;
declare global {
  interface Window {
    __lifelineStats?: { charts(): Charts; loaded(): number };
  }
}

const [a, b] = [registry.devices.find((d) => d.id === 'gas-0004')!, registry.devices.find((d) => d.id === 'gas-0010')!];

/** Pixels of a chart's canvas that are not the background: the chart was drawn, not only sized. */
function drawnPixels(page: Page, chart: string): Promise<number> {
  return page.evaluate((name) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`[data-chart="${name}"] canvas`);
    if (!canvas) return 0;
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  }, chart);
}

describe('the statistics view', () => {
  let bp: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;
  let duty: ApiClient;

  beforeAll(async () => {
    bp = await startBrowserPlatform({ db: 'statsview' });
    ({ t, page, watch } = bp);
    duty = await t.login('duty');
    expect((await duty.post('/shifts/start', { note: '统计视图测试班' })).status).toBe(201);
    await addSessionCookie(bp.context, t, 'supervisor');
    for (const d of [a, b]) await publish(t.platform.mqttUrl, d, JSON.stringify({ values: { ch4: 60 } }));
    const alerts = await waitFor(
      async () => {
        const list = (await duty.get<Alert[]>('/alerts?state=open')).body;
        const mine = [a, b].map((d) => list.find((x) => x.device === d.id && x.rule === 'ch4_high'));
        return mine.every(Boolean) ? (mine as Alert[]) : null;
      },
      { timeoutMs: 20_000, what: 'the two red alerts' },
    );
    expect((await duty.post(`/alerts/${alerts[0]!.id}/resolve`, { note: '现场无泄漏', disposition: 'false_alarm' })).status).toBe(200);
    expect((await duty.post(`/alerts/${alerts[1]!.id}/resolve`, { note: '已关阀', disposition: 'real' })).status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await bp?.stop();
  });

  it('draws raised-by-level, dispositions and the town ranking from /api/stats, in Chinese', async () => {
    await page.goto(t.url);
    await dashboardConnected(page);
    await page.getByTestId('stats-open').click();
    await page.getByTestId('stats-dialog').waitFor({ state: 'visible', timeout: 15_000 });
    await waitFor(() => page.evaluate(() => (window.__lifelineStats?.loaded() ?? 0) >= 1), { timeoutMs: 20_000, what: 'the statistics to load' });
    const charts = await page.evaluate(() => window.__lifelineStats!.charts());
    expect(charts.levels).toEqual({ names: ['一级/红色', '二级/橙色', '三级/黄色', '四级/蓝色'], values: [2, 0, 0, 0] });
    expect(charts.dispositions!.names.sort()).toEqual(['真实警情', '误报']);
    expect(charts.dispositions!.values).toEqual([1, 1]);
    expect(charts.towns!.names.sort()).toEqual(['太和镇', '浸潭镇'].sort());
    expect(charts.towns!.values.every((v) => typeof v === 'number' && v >= 0)).toBe(true);
    expect(charts.falseRules).toEqual({ names: ['ch4_high'], values: [50] });
    for (const name of ['levels', 'dispositions', 'towns']) expect(await drawnPixels(page, name)).toBeGreaterThan(500);
    expect(await page.getByTestId('stats-tiles').locator('[data-tile="raised"] .stats-tile-v').textContent()).toBe('2');
    const dutyTable = page.getByTestId('stats-dialog').locator('[data-table="onDuty"]');
    expect(await dutyTable.locator('h4').textContent()).toBe('值班记录');
    expect(await dutyTable.locator('tbody td').allTextContents()).toEqual(['test duty (duty)', expect.any(String), '在岗']);
    await screenshot(page, 'stats-zh.png');
  });

  it('filters by an enterprise typed by its name, and says so when there is no such enterprise', async () => {
    const dialog = page.getByTestId('stats-dialog');
    const other = registry.tenants.find((x) => x.id !== a.tenant)!;
    const loadedNow = await page.evaluate(() => window.__lifelineStats!.loaded());
    await page.getByTestId('stats-tenant').fill(other.name);
    await page.getByTestId('stats-query').click();
    await waitFor(() => page.evaluate((n) => window.__lifelineStats!.loaded() > n, loadedNow), { timeoutMs: 20_000, what: 'the filtered statistics' });
    expect((await page.evaluate(() => window.__lifelineStats!.charts())).levels!.values).toEqual([0, 0, 0, 0]);
    await page.getByTestId('stats-tenant').fill(registry.tenants.find((x) => x.id === a.tenant)!.name);
    await page.getByTestId('stats-query').click();
    await waitFor(() => page.evaluate((n) => window.__lifelineStats!.loaded() > n + 1, loadedNow), { timeoutMs: 20_000, what: "the gas company's statistics" });
    expect((await page.evaluate(() => window.__lifelineStats!.charts())).levels!.values).toEqual([2, 0, 0, 0]);
    await page.getByTestId('stats-tenant').fill('没有这个公司');
    await page.getByTestId('stats-query').click();
    await waitFor(async () => (await dialog.locator('.stats-status').textContent()) === '没有这家企业：没有这个公司', {
      timeoutMs: 5000,
      what: 'the unknown-enterprise message',
    });
    await page.getByTestId('stats-tenant').fill('');
  });

  it('redraws the same data in English', async () => {
    await page.keyboard.press('Escape');
    await page.getByTestId('stats-dialog').waitFor({ state: 'detached', timeout: 5000 });
    await page.click('#lang-toggle');
    await page.getByTestId('stats-open').click();
    await waitFor(() => page.evaluate(() => (window.__lifelineStats?.loaded() ?? 0) >= 1), { timeoutMs: 20_000, what: 'the statistics to load' });
    const charts = await page.evaluate(() => window.__lifelineStats!.charts());
    expect(charts.levels).toEqual({ names: ['L1 Red', 'L2 Orange', 'L3 Yellow', 'L4 Blue'], values: [2, 0, 0, 0] });
    expect(charts.dispositions!.names.sort()).toEqual(['False alarm', 'Real incident']);
    expect(await page.getByTestId('stats-dialog').locator('h3').first().textContent()).toBe('Statistics');
    expect(await drawnPixels(page, 'levels')).toBeGreaterThan(500);
    const dutyTable = page.getByTestId('stats-dialog').locator('[data-table="onDuty"]');
    expect(await dutyTable.locator('h4').textContent()).toBe('On duty');
    expect((await dutyTable.locator('tbody td').allTextContents())[2]).toBe('on duty now');
    await screenshot(page, 'stats-en.png');
    await page.keyboard.press('Escape');
    await page.click('#lang-toggle');
  });

  it('lists a report made today, whose workbook downloads', async () => {
    const sup = await t.login('supervisor');
    const today = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
    const made = await sup.post<ReportEntry>('/reports', { kind: 'daily', day: today });
    expect(made.status).toBe(201);
    await page.getByTestId('reports-open').click();
    const row = page.locator(`[data-testid="reports-dialog"] tr[data-report="${made.body.id}"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await row.textContent()).toContain('日报');
    const href = await row.locator('a[data-action="xlsx"]').getAttribute('href');
    const status = await page.evaluate(async (u) => (await fetch(u!)).status, href);
    expect(status).toBe(200);
  }, 60_000);

  it('broke no CSP rule and logged no error', () => {
    expect(watch.csp).toEqual([]);
    expect(watch.errors).toEqual([]);
  });
});
