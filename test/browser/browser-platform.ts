/**
 * One start-up for every browser test: the web build, a private broker (the
 * topic contract is global, so each file gets its own) unless the platform's
 * embedded one is wanted, a platform with its own database and accounts,
 * Chromium with one page, and the page's watch for errors and CSP violations.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inject } from 'vitest';
import type { Config } from '@lifeline/core/node';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { uniqueDbName } from '../support/services.js';
import { launchChromium } from './chromium.js';
import { ensureWebBuilt, watchPage, type PageWatch } from './dashboard-page.js';

export interface BrowserPlatform {
  t: TestPlatform;
  broker: PrivateBroker | null;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  watch: PageWatch;
  stop(): Promise<void>;
}

export interface BrowserPlatformOptions {
  /** Prefix of the InfluxDB database name. */
  db: string;
  overrides?: Partial<Config>;
  /** The platform's own Aedes broker (device credentials enforced) instead of a private Mosquitto. */
  embeddedBroker?: boolean;
  /** Warnings in the console that count as errors. */
  warnings?: RegExp;
}

export async function startBrowserPlatform(o: BrowserPlatformOptions): Promise<BrowserPlatform> {
  ensureWebBuilt();
  const broker = o.embeddedBroker ? null : await startPrivateBroker();
  const mqtt: Partial<Config> = broker ? { mqttUrl: broker.url } : { mqttUrl: null, mqttPort: 0 };
  const t = await startTestPlatform({ ...mqtt, influxUrl: inject('influxUrl'), influxDb: uniqueDbName(o.db), ...o.overrides });
  const browser = await launchChromium({ lang: 'zh-CN' });
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const watch = await watchPage(page, t.url, o.warnings);
  return {
    t,
    broker,
    browser,
    context,
    page,
    watch,
    async stop() {
      await browser.close();
      await t.stop();
      await broker?.stop();
    },
  };
}
