/**
 * The dashboard in real Chromium against the whole platform (real broker, real
 * InfluxDB): devices on the map, a red gas reading published over MQTT shows up
 * as a red alert row, and 确认 acknowledges it.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deviceTopic } from '@lifeline/core';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { REPO_ROOT, uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const WEB_DIST = path.join(REPO_ROOT, 'web/dist');
const SCREENSHOT = path.join(REPO_ROOT, 'test-results/dashboard.png');
/** SwiftShader gives headless Chromium WebGL without a GPU. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--lang=zh-CN',
];

interface RegistryDevice {
  id: string;
  tenant: string;
  kind: string;
  name: string;
}
const registry = JSON.parse(readFileSync(path.join(REPO_ROOT, 'data/qingxin-registry.json'), 'utf8')) as { devices: RegistryDevice[] };
const gas = registry.devices.find((d) => d.kind === 'gas')!;

type Hook = {
  deviceCount(): number;
  renderedDeviceCount(): number;
  connection(): string;
  map: { loaded(): boolean };
};
declare global {
  interface Window {
    __lifeline?: Hook;
  }
}

describe('dashboard', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** Requests that left the platform's origin: the duty-room intranet has no internet. */
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
      throw new Error('web/dist is missing: build the dashboard first with `npm run build -w web`');
    }
    platform = await startPlatform({
      port: 0,
      host: '127.0.0.1',
      mqttUrl: inject('mqttUrl'),
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('browser'),
      mqttClientId: uniqueName('ingest_browser'),
      logLevel: 'warn',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(`${msg.text()} ${msg.location().url}`);
    });
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`HTTP ${res.status()} ${res.url()}`);
    });
    page.on('request', (req) => {
      const url = req.url();
      if (!url.startsWith(platform.httpUrl) && !/^(data|blob):/.test(url)) foreignRequests.push(url);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('renders every registered device on the map and counts them in the header', async () => {
    await page.goto(platform.httpUrl);
    await waitFor(() => page.evaluate(() => window.__lifeline?.connection() === 'connected'), {
      timeoutMs: 20_000,
      what: 'the dashboard to load and connect',
    });
    expect(await page.evaluate(() => window.__lifeline!.deviceCount())).toBe(registry.devices.length);
    await waitFor(() => page.evaluate((n) => window.__lifeline!.renderedDeviceCount() === n, registry.devices.length), {
      timeoutMs: 20_000,
      what: `${registry.devices.length} devices drawn on the map`,
    });
    await expect.poll(() => page.textContent('[data-testid=device-count]')).toBe(String(registry.devices.length));
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.replace('.png', '-overview.png') });
    expect(await page.textContent('#conn')).toContain('实时连接');
  });

  it('shows a red gas reading as a red alert row, and acknowledges it with 确认', async () => {
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
  });
});
