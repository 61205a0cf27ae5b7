/**
 * The dashboard in real Chromium against the whole platform (real broker, real
 * InfluxDB): devices on the map, a red gas reading published over MQTT shows up
 * as a red alert row, and 确认 acknowledges it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deviceTopic, LEVEL_COLORS } from '@lifeline/core';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { REPO_ROOT, uniqueDbName, uniqueName, tempDataDir } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import './hook.js';
import { launchChromium } from './chromium.js';

const WEB_DIST = path.join(REPO_ROOT, 'web/dist');
const SCREENSHOT = path.join(REPO_ROOT, 'test-results/dashboard.png');

interface RegistryDevice {
  id: string;
  tenant: string;
  kind: string;
  name: string;
}
const registry = JSON.parse(readFileSync(path.join(REPO_ROOT, 'data/qingxin-registry.json'), 'utf8')) as { devices: RegistryDevice[] };
const gas = registry.devices.find((d) => d.kind === 'gas')!;

describe('dashboard', () => {
  let platform: Platform;
  let broker: PrivateBroker;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** Requests that left the platform's origin: the duty-room intranet has no internet. */
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      // Normally built beforehand (`npm run build -w web`); build it here so the test stands alone.
      execFileSync('npm', ['run', 'build', '-w', 'web'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 180_000 });
    }
    // A broker of its own: platforms of other test files would otherwise see this file's messages.
    broker = await startPrivateBroker();
    platform = await startPlatform({
      port: 0,
      host: '127.0.0.1',
      mqttUrl: broker.url,
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('browser'),
      mqttClientId: uniqueName('ingest_browser'),
      dataDir: tempDataDir('browser'),
      logLevel: 'warn',
    });
    browser = await launchChromium({ lang: 'zh-CN' });
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      // Warnings count too where the app falls back (e.g. an id-keyed map diff that failed).
      if (msg.type() === 'error' || (msg.type() === 'warning' && /failed/.test(msg.text()))) {
        pageErrors.push(`${msg.text()} ${msg.location().url}`);
      }
    });
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`HTTP ${res.status()} ${res.url()}`);
    });
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(platform.httpUrl) && !/^(data|blob):/.test(url)) foreignRequests.push(url);
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await broker?.stop();
  });

  it('renders every registered device on the map and counts them in the header', async () => {
    await page.goto(platform.httpUrl);
    await waitFor(() => page.evaluate(() => window.__lifeline?.connection() === 'connected'), {
      timeoutMs: 20_000,
      what: 'the dashboard to load and connect',
    });
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

    const client = await mqtt.connectAsync(platform.mqttUrl, { clientId: uniqueName('gas'), username: gas.tenant });
    try {
      await client.publishAsync(deviceTopic(gas.tenant, gas.id, 'telemetry'), JSON.stringify({ values: { ch4: 62 } }), { qos: 1 });
    } finally {
      await client.endAsync();
    }

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
    await waitFor(
      () =>
        page.evaluate(
          ({ id, red }) => {
            const map = window.__lifeline!.map as unknown as { queryRenderedFeatures(o: { layers: string[] }): { properties: Record<string, unknown> }[] };
            return map.queryRenderedFeatures({ layers: ['device-points'] }).some((f) => f.properties.id === id && f.properties.color === red);
          },
          { id: gas.id, red: LEVEL_COLORS.red },
        ),
      { timeoutMs: 10_000, what: `${gas.id} drawn in red` },
    );

    await page.waitForTimeout(1500);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-red.png') });

    await row.locator('[data-action=acknowledge]').click();
    await expect.poll(() => row.locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已确认');
    expect(await row.getAttribute('data-level')).toBe('red');
    expect(await page.locator(`.pulse-ring[data-device="${gas.id}"]`).count()).toBe(0);

    // Let the fly-to and the history chart settle before the picture.
    await page.locator('.device-popup .history-chart').waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
    await page.waitForTimeout(500);
    await page.screenshot({ path: SCREENSHOT });
    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 60_000);

  it('asks for a note before 处置完成 and drops the resolved alert from the list', async () => {
    const row = page.locator(`.alert-row[data-device="${gas.id}"]`);
    await row.locator('[data-action=resolve]').click();
    const dialog = page.locator('dialog.resolve-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.dialog-error').textContent()).toBe('处置情况不能为空');
    await dialog.locator('textarea').fill('燃气公司抢修人员到场，关阀检修，复测正常。');
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.locator(`.alert-row[data-device="${gas.id}"]`).count()).toBe(0);
  });

  it('switches to English and keeps the choice after a reload', async () => {
    await page.click('#lang-toggle');
    expect(await page.textContent('#conn')).toContain('Live');
    await page.reload();
    await waitFor(() => page.evaluate(() => window.__lifeline?.connection() === 'connected'), { what: 'the reloaded dashboard' });
    expect(await page.textContent('.panel-title')).toContain('Open alerts');
    await waitFor(() => page.evaluate((n) => window.__lifeline!.renderedDeviceCount() === n, registry.devices.length), {
      timeoutMs: 20_000,
      what: 'devices drawn after the reload',
    });
    await page.waitForTimeout(500);
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-en.png') });
    await page.click('#lang-toggle');
    expect(await page.textContent('.panel-title')).toContain('当前告警');
    expect(pageErrors).toEqual([]);
  });
});
