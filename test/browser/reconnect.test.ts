/**
 * The dashboard survives a platform restart: it shows 已断开 while the server is
 * gone, reconnects on its own (also after the server's own graceful disconnect,
 * after which Socket.IO does not retry by itself), and resyncs — an alert raised while it was
 * disconnected (from a reading the broker queued for ingest) appears without a reload.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deviceTopic } from '@lifeline/core';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { freePort, REPO_ROOT, uniqueDbName, uniqueName, tempDataDir } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import './hook.js';
import { launchChromium } from './chromium.js';


const registry = JSON.parse(readFileSync(path.join(REPO_ROOT, 'data/qingxin-registry.json'), 'utf8')) as {
  devices: { id: string; tenant: string; kind: string }[];
};
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
  let platform: Platform | null = null;
  let broker: PrivateBroker;
  let browser: Browser;
  let page: Page;
  let options: NonNullable<Parameters<typeof startPlatform>[0]>;

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'web/dist/index.html'))) {
      execFileSync('npm', ['run', 'build', '-w', 'web'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 180_000 });
    }
    // A fixed port and a fixed ingest client id, so the restarted platform is the same one to the page and to the broker.
    broker = await startPrivateBroker();
    options = {
      port: await freePort(),
      host: '127.0.0.1',
      mqttUrl: broker.url,
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('browser_reconnect'),
      mqttClientId: uniqueName('ingest_reconnect'),
      dataDir: tempDataDir('reconnect'),
      logLevel: 'warn',
    };
    platform = await startPlatform(options);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await broker?.stop();
  });

  it('shows 已断开, reconnects, and resyncs an alert raised while it was away', async () => {
    await page.goto(platform!.httpUrl);
    await waitFor(() => page.evaluate(() => window.__lifeline?.connection() === 'connected'), { timeoutMs: 20_000, what: 'the dashboard to connect' });
    expect(await page.locator(`.alert-row[data-device="${gas.id}"]`).count()).toBe(0);

    await within('the platform to stop', platform!.stop(), 30_000);
    platform = null;
    await waitFor(() => page.evaluate(() => window.__lifeline!.connection() === 'disconnected'), { timeoutMs: 15_000, what: 'the page to notice' });
    expect(await page.textContent('#conn')).toContain('已断开');

    // The ingest session is persistent: the broker keeps this for it while the platform is down.
    const client = await within('the device to connect', mqtt.connectAsync(options.mqttUrl!, { clientId: uniqueName('gas'), username: gas.tenant }), 15_000);
    try {
      await client.publishAsync(deviceTopic(gas.tenant, gas.id, 'telemetry'), JSON.stringify({ values: { ch4: 70 } }), { qos: 1 });
    } finally {
      await client.endAsync();
    }

    platform = await within('the platform to start again', startPlatform(options), 60_000);
    await waitFor(() => page.evaluate(() => window.__lifeline!.connection() === 'connected'), { timeoutMs: 30_000, what: 'the page to reconnect' });
    const row = page.locator(`.alert-row[data-device="${gas.id}"]`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await row.getAttribute('data-level')).toBe('red');
    expect(await page.textContent('#conn')).toContain('实时连接');
    expect(await page.evaluate(() => window.__lifeline!.deviceCount())).toBe(registry.devices.length);
  }, 120_000);
});
