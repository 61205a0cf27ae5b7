/**
 * The device popup's chart draws the bounds the rules run at, not the built-in
 * defaults: pwr-0001's registry override (1080/1200/1440 kW) against the rules
 * file's 900/1000/1200 kW for a meter of its kind. Real Chromium against the
 * whole platform (real broker, InfluxDB, PostgreSQL).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceHistorySchema, type DeviceHistory } from '@lifeline/core';
import type { ApiClient, TestPlatform } from '../support/platform.js';
import { waitFor } from '../support/wait.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { addSessionCookie, dashboardConnected, publish, registry, screenshot, type PageWatch } from './dashboard-page.js';

const meter = registry.devices.find((d) => d.id === 'pwr-0001')!;
const OVERRIDE = { yellow: 1080, orange: 1200, red: 1440 };

describe('the device chart’s threshold lines', () => {
  let b: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;
  let duty: ApiClient;

  beforeAll(async () => {
    b = await startBrowserPlatform({ db: 'chartbounds' });
    ({ t, page, watch } = b);
    duty = await t.login('duty');
    // Logged in over the API: the session cookie the 登录 page would have set.
    await addSessionCookie(b.context, t, 'duty');
  }, 240_000);

  afterAll(async () => {
    await b?.stop();
  });

  it('draws pwr-0001’s overridden bounds, 1080/1200/1440 kW, sent with its history', async () => {
    // 1300 kW: orange by the override (red by the defaults). The current is sent too: a metric without bounds must not take the axis.
    await publish(t.platform.mqttUrl, meter, JSON.stringify({ values: { p_kw: 1300, i_a: 1900 } }));
    const path = `/devices/${meter.id}/history?minutes=60&points=120`;
    let history: DeviceHistory | undefined;
    await waitFor(
      async () => {
        const res = await duty.get<DeviceHistory>(path);
        history = res.body;
        return res.status === 200 && res.body.points.length > 0;
      },
      { timeoutMs: 20_000, what: `${meter.id}'s reading in its history` },
    );
    expect(deviceHistorySchema.check(history).ok).toBe(true);
    expect(history!.bounds).toEqual([{ rule: 'p_kw_high', metric: 'p_kw', direction: 'above', levels: OVERRIDE }]);

    await page.goto(t.url);
    await dashboardConnected(page);
    const row = page.locator(`.alert-row[data-device="${meter.id}"]`).filter({ hasText: '超过阈值 1200kW' });
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await row.getAttribute('data-level')).toBe('orange');
    await row.click({ position: { x: 200, y: 10 } });
    const chart = page.locator(`.device-popup .popup[data-device="${meter.id}"] .history-chart`);
    await chart.waitFor({ state: 'visible', timeout: 15_000 });

    const lines = await chart.locator('line.bound').evaluateAll((els) =>
      els.map((e) => ({
        rule: e.getAttribute('data-rule'),
        level: e.getAttribute('data-level'),
        value: Number(e.getAttribute('data-value')),
        y: Number(e.getAttribute('y1')),
      })),
    );
    const byValue = [...lines].sort((a, b) => a.value - b.value);
    expect(byValue.map(({ rule, level, value }) => ({ rule, level, value }))).toEqual([
      { rule: 'p_kw_high', level: 'yellow', value: 1080 },
      { rule: 'p_kw_high', level: 'orange', value: 1200 },
      { rule: 'p_kw_high', level: 'red', value: 1440 },
    ]);
    // Drawn where their values are: a higher bound higher up the plot.
    expect(byValue[0]!.y).toBeGreaterThan(byValue[1]!.y);
    expect(byValue[1]!.y).toBeGreaterThan(byValue[2]!.y);
    // The axis is the bounded metric's.
    expect(await chart.locator('text.legend').first().textContent()).toBe('有功功率 (kW)');
    await screenshot(page, 'chart-bounds.png');
    expect(watch.errors).toEqual([]);
  }, 90_000);
});
