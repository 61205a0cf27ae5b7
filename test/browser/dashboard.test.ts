/**
 * The dashboard in real Chromium against the whole platform (real broker, real
 * InfluxDB, real PostgreSQL): the duty officer logs in through 登录, sees every
 * device on the map, a red gas reading published over MQTT shows up as a red
 * alert row, and 确认 acknowledges it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEVEL_COLORS } from '@lifeline/core';
import type { TestPlatform } from '../support/platform.js';
import { REPO_ROOT } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { dashboardConnected, drawnAsPoint, logInAs, publish, registry, type PageWatch } from './dashboard-page.js';

const SCREENSHOT = path.join(REPO_ROOT, 'test-results/dashboard.png');
const gas = registry.devices.find((d) => d.kind === 'gas')!;

describe('dashboard', () => {
  let b: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;

  beforeAll(async () => {
    b = await startBrowserPlatform({ db: 'browser' });
    ({ t, page, watch } = b);
  }, 240_000);

  afterAll(async () => {
    await b?.stop();
  });

  it('logs the duty officer in through 登录, renders every registered device on the map and counts them in the header', async () => {
    await page.goto(t.url);
    await logInAs(page, 'duty');
    expect(await page.getAttribute('[data-testid=user-role]', 'data-role')).toBe('duty');
    expect(await page.textContent('[data-testid=user-role]')).toBe('值班员');
    expect(await page.evaluate(() => window.__lifeline!.deviceCount())).toBe(registry.devices.length);
    // Drawn, not just counted: every device is on screen as a point or inside a cluster.
    await waitFor(() => page.evaluate((n) => window.__lifeline!.renderedDeviceCount() === n, registry.devices.length), {
      timeoutMs: 20_000,
      what: `${registry.devices.length} devices drawn on the map`,
    });
    await expect.poll(() => page.textContent('[data-testid=device-count]')).toBe(String(registry.devices.length));
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-overview.png') });
    expect(await page.textContent('#conn')).toContain('实时连接');
  }, 60_000);

  it('shows a red gas reading as a red alert row, and acknowledges it with 确认', async () => {
    // The click is the user gesture that lets the page play the red-alert alarm.
    await page.click('#sound-toggle');
    expect(await page.getAttribute('#sound-toggle', 'aria-pressed')).toBe('true');
    expect(await page.evaluate(() => localStorage.getItem('lifeline.sound'))).toBe('on');

    await publish(t.platform.mqttUrl, gas, JSON.stringify({ values: { ch4: 62 } }));

    const row = page.locator(`.alert-row[data-device="${gas.id}"]`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await row.getAttribute('data-level')).toBe('red');
    expect(await row.locator('.level-badge').textContent()).toContain('一级');
    expect(await row.locator('.row-name').textContent()).toBe(gas.name);
    expect(await row.locator('.row-what').textContent()).toContain('62');
    expect(await row.locator('[data-role=state]').textContent()).toBe('待确认');
    expect(await page.locator(`.pulse-ring[data-device="${gas.id}"]`).count()).toBe(1);

    // Clicking the row flies to the device and opens its popup.
    await row.click({ position: { x: 200, y: 10 } });
    await page.locator(`.device-popup .popup[data-device="${gas.id}"]`).waitFor({ state: 'visible', timeout: 10_000 });
    // Zoomed in, the device is its own point, red from the live `devices` patch.
    await waitFor(() => drawnAsPoint(page, gas.id, LEVEL_COLORS.red), { timeoutMs: 10_000, what: `${gas.id} drawn in red` });

    await page.waitForTimeout(1500);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-red.png') });

    await row.locator('[data-action=acknowledge]').click();
    await page.locator('dialog.ack-dialog button[type=submit]').click();
    await expect.poll(() => row.locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已确认');
    expect(await row.getAttribute('data-level')).toBe('red');
    expect(await page.locator(`.pulse-ring[data-device="${gas.id}"]`).count()).toBe(0);

    // Let the fly-to and the history chart settle before the picture.
    // The popup's history chart: drawn, with the reading's line and the gas detector's bounds.
    const chart = page.locator('.device-popup .history-chart');
    await chart.waitFor({ state: 'visible', timeout: 10_000 });
    await expect.poll(() => chart.locator('path').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await chart.locator('line.bound').count()).toBeGreaterThan(0);
    await page.waitForTimeout(500);
    await page.screenshot({ path: SCREENSHOT });
    expect(watch.errors).toEqual([]);
    expect(watch.foreign).toEqual([]);
  }, 60_000);

  it('asks for a note before 处置完成 and drops the resolved alert from the list', async () => {
    const row = page.locator(`.alert-row[data-device="${gas.id}"]`);
    await row.locator('[data-action=resolve]').click();
    const dialog = page.locator('dialog.resolve-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.dialog-error').textContent()).toBe('请选择处置结果');
    await dialog.locator('select[name=disposition]').selectOption('false_alarm');
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.dialog-error').textContent()).toBe('处置情况不能为空');
    // Only a real incident opens a hazard.
    await dialog.locator('textarea').fill('x');
    await dialog.locator('select[name=hazard]').selectOption('general');
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.dialog-error').textContent()).toBe('只有真实警情可以转为隐患');
    await dialog.locator('select[name=hazard]').selectOption('');
    await dialog.locator('textarea').fill('燃气公司抢修人员到场，关阀检修，复测正常。');
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.locator(`.alert-row[data-device="${gas.id}"]`).count()).toBe(0);
  });

  it('switches to English and keeps the choice after a reload', async () => {
    await page.click('#lang-toggle');
    expect(await page.textContent('#conn')).toContain('Live');
    // The session cookie outlives the reload: no 登录 page again.
    await page.reload();
    await dashboardConnected(page);
    expect(await page.textContent('.panel-title')).toContain('Open alerts');
    await waitFor(() => page.evaluate((n) => window.__lifeline!.renderedDeviceCount() === n, registry.devices.length), {
      timeoutMs: 20_000,
      what: 'devices drawn after the reload',
    });
    await page.waitForTimeout(500);
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-en.png') });
    await page.click('#lang-toggle');
    expect(await page.textContent('.panel-title')).toContain('当前告警');
    expect(watch.errors).toEqual([]);
  });
});
