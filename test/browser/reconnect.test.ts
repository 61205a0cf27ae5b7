/**
 * The dashboard survives a platform restart: it shows 已断开 while the server is
 * gone, reconnects on its own (also after the server's own graceful disconnect,
 * after which Socket.IO does not retry by itself), and resyncs — an alert raised while it was
 * disconnected (from a reading the broker queued for ingest) appears without a reload.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '@lifeline/core/node';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { freePort, uniqueDbName, uniqueName, tempDataDir } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { launchChromium } from './chromium.js';
import { ensureWebBuilt, logInAs, publish, registry, watchPage, type PageWatch } from './dashboard-page.js';

// Not the device the other browser test uses, in case both ever share a database.
const gas = registry.devices.filter((d) => d.kind === 'gas')[1]!;

/** Names the step that hangs, instead of a bare test timeout. */
async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('dashboard across a platform restart', () => {
  /** The first platform; its database (sessions included) is the restarted one's too, and is dropped with it at the end. */
  let first: TestPlatform;
  let platform: TestPlatform | null = null;
  let broker: PrivateBroker;
  let browser: Browser;
  let page: Page;
  let watch: PageWatch;
  let options: Partial<Config>;

  beforeAll(async () => {
    ensureWebBuilt();
    // A fixed port, ingest client id and data dir, so the restarted platform is the same one to the page and to the broker.
    broker = await startPrivateBroker();
    options = {
      port: await freePort(),
      mqttUrl: broker.url,
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('browser_reconnect'),
      mqttClientId: uniqueName('ingest_reconnect'),
      dataDir: tempDataDir('reconnect'),
    };
    platform = first = await startTestPlatform(options);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    // Connection errors are expected here while the platform is down; CSP violations never are.
    watch = await watchPage(page, first.url);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    if (platform !== first) await platform?.platform.stop();
    await first?.stop();
    await broker?.stop();
  });

  it('shows 已断开, reconnects, and resyncs an alert raised while it was away', async () => {
    await page.goto(platform!.url);
    await logInAs(page, 'duty');
    expect(await page.locator(`.alert-row[data-device="${gas.id}"]`).count()).toBe(0);

    // Only the platform: its database, and so the page's session, survives.
    await within('the platform to stop', platform!.platform.stop(), 30_000);
    platform = null;
    await waitFor(() => page.evaluate(() => window.__lifeline!.connection() === 'disconnected'), { timeoutMs: 15_000, what: 'the page to notice' });
    expect(await page.textContent('#conn')).toContain('已断开');

    // The ingest session is persistent: the broker keeps this for it while the platform is down.
    await within('the device to publish', publish(broker.url, gas, JSON.stringify({ values: { ch4: 70 } })), 15_000);

    platform = await within('the platform to start again', startTestPlatform(options, { databaseUrl: first.databaseUrl }), 60_000);
    await waitFor(() => page.evaluate(() => window.__lifeline!.connection() === 'connected'), { timeoutMs: 30_000, what: 'the page to reconnect' });
    const row = page.locator(`.alert-row[data-device="${gas.id}"]`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await row.getAttribute('data-level')).toBe('red');
    expect(await page.textContent('#conn')).toContain('实时连接');
    expect(await page.evaluate(() => window.__lifeline!.deviceCount())).toBe(registry.devices.length);
    // Still the same session: the restart did not send the duty officer back to 登录.
    expect(await page.getByTestId('login-page').count()).toBe(0);
    expect(await page.evaluate(() => window.__lifeline!.me().username)).toBe('duty');
    expect(watch.csp).toEqual([]);
  }, 120_000);
});
