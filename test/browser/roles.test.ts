/**
 * Logins and roles in real Chromium against the whole platform: the 登录 page
 * (Chinese by default, English from its toggle) refuses a wrong password; the
 * duty officer acknowledges (确认) and dispatches (派单) a red alert raised over
 * MQTT, signed as themselves on the server, and is offered no 销号; an
 * enterprise user sees only its own tenant's devices and alerts, and is offered
 * neither 派单 nor 销号.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@lifeline/core';
import { DEFAULT_ENTERPRISE_TENANT, type ApiClient, type TestPlatform } from '../support/platform.js';
import { waitFor } from '../support/wait.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { logInAs, logOut, publish, registry, screenshot, submitLogin, type PageWatch } from './dashboard-page.js';

const TENANT = DEFAULT_ENTERPRISE_TENANT;
const own = registry.devices.filter((d) => d.tenant === TENANT);
const meter = own.find((d) => d.id === 'pwr-0001')!;
const tenantName = registry.tenants.find((x) => x.id === TENANT)!.name;
const gases = registry.devices.filter((d) => d.kind === 'gas' && d.tenant !== TENANT);
const UNIT = '燃气公司抢修队';

describe('logins and roles on the dashboard', () => {
  let b: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;
  /** Someone who sees the whole city, to ask the server what the page should (not) show. */
  let supervisor: ApiClient;

  const row = (device: string) => page.locator(`.alert-list .alert-row[data-device="${device}"]:not([data-site])`);
  const openAlertOf = async (device: string) =>
    waitFor(async () => (await supervisor.get<Alert[]>('/alerts?state=open')).body.find((a) => a.device === device && !a.site), {
      what: `an open alert of ${device} on the server`,
    });
  const text = (testId: string) => page.getByTestId(testId).textContent();

  beforeAll(async () => {
    expect(own.map((d) => d.id)).toEqual(['pwr-0001', 'pwr-0002', 'pwr-0003']);
    b = await startBrowserPlatform({ db: 'browser_roles' });
    ({ t, page, watch } = b);
    supervisor = await t.login('supervisor');
  }, 240_000);

  afterAll(async () => {
    await b?.stop();
  });

  it('starts on a Chinese 登录 page, and a wrong password gets login-error and no dashboard', async () => {
    await page.goto(t.url);
    await page.getByTestId('login-page').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('.login-page h2').textContent()).toBe('值班登录');
    expect(await page.locator('.login-page .field-label').allTextContents()).toEqual(['用户名', '密码']);
    expect(await text('login-submit')).toBe('登录');
    expect(await text('login-lang')).toBe('English');
    expect(await text('login-error')).toBe('');
    expect(await page.evaluate(() => window.__lifeline)).toBeUndefined();

    await submitLogin(page, 'duty', 'not-the-password');
    await expect.poll(() => text('login-error'), { timeout: 10_000 }).toBe('用户名或密码错误');
    expect(await page.getByTestId('login-password').inputValue()).toBe('');
    expect(await page.getByTestId('login-page').isVisible()).toBe(true);
    expect(await page.evaluate(() => window.__lifeline)).toBeUndefined();
    await screenshot(page, 'roles-login-error.png');
  });

  it('lets the duty officer 确认 and 派单 a red alert raised over MQTT, signed as duty on the server, and offers no 销号', async () => {
    await logInAs(page, 'duty');
    expect(await text('user-name')).toBe('test duty');
    expect(await text('user-role')).toBe('值班员');
    expect(await page.getByTestId('user-tenant').count()).toBe(0);
    expect(await page.getByTestId('audit-open').count()).toBe(0);

    const gas = gases[0]!;
    await publish(t.platform.mqttUrl, gas, JSON.stringify({ values: { ch4: 62 } }));
    await row(gas.id).waitFor({ state: 'visible', timeout: 15_000 });
    expect(await row(gas.id).getAttribute('data-level')).toBe('red');
    const id = (await row(gas.id).getAttribute('data-alert-id'))!;

    await row(gas.id).locator('[data-action=acknowledge]').click();
    await page.locator('dialog.ack-dialog button[type=submit]').click();
    await expect.poll(() => row(gas.id).locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已确认');
    await row(gas.id).locator('[data-action=dispatch]').click();
    const dialog = page.locator('dialog.dispatch-dialog');
    await dialog.locator(`.chip[data-suggestion="${UNIT}"]`).click();
    await dialog.locator('button[type=submit]').click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row(gas.id).locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已派单');

    // The actor is the session's person, not anything the page sent.
    const alert = (await supervisor.get<Alert>(`/alerts/${id}`)).body;
    expect(alert).toMatchObject({ state: 'dispatched', acknowledgedBy: 'duty', dispatchedBy: 'duty', dispatchedTo: UNIT });

    // Resolved, it waits in 待销号, where a duty officer may look but not sign off.
    await row(gas.id).locator('[data-action=resolve]').click();
    const resolve = page.locator('dialog.resolve-dialog');
    await resolve.locator('select[name=disposition]').selectOption('real');
    await resolve.locator('textarea').fill('抢修队到场处置完毕。');
    await resolve.locator('button[type=submit]').click();
    await row(gas.id).waitFor({ state: 'detached', timeout: 10_000 });
    await page.click('[data-tab=resolved]');
    const resolved = page.locator(`.alert-list .alert-row[data-alert-id="${id}"]`);
    await resolved.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await resolved.locator('[data-role=state]').textContent()).toBe('已处置');
    expect(await resolved.locator('[data-action=details]').count()).toBe(1);
    expect(await resolved.locator('[data-action=close]').count()).toBe(0);
    expect((await supervisor.get<Alert>(`/alerts/${id}`)).body).toMatchObject({ state: 'resolved', resolvedBy: 'duty' });
    await page.click('[data-tab=open]');
    expect(watch.errors).toEqual([]);
  }, 60_000);

  it("after 退出, in English from the 登录 page's toggle, shows an enterprise user only its own devices and alerts, without 派单 or 销号", async () => {
    await logOut(page);
    expect(await page.locator('.login-page h2').textContent()).toBe('值班登录');
    await page.getByTestId('login-lang').click();
    expect(await page.locator('.login-page h2').textContent()).toBe('Duty sign-in');
    expect(await page.locator('.login-page .field-label').allTextContents()).toEqual(['Username', 'Password']);
    expect(await text('login-submit')).toBe('Log in');
    expect(await text('login-lang')).toBe('中文');
    await screenshot(page, 'roles-login-en.png');

    await logInAs(page, 'enterprise');
    expect(await page.textContent('[data-tab=open]')).toContain('Open alerts');
    expect(await text('user-role')).toBe('Enterprise user');
    expect(await text('user-tenant')).toBe(tenantName);
    expect(await page.evaluate(() => window.__lifeline!.me())).toMatchObject({ username: 'enterprise', role: 'enterprise', tenant: TENANT });

    // Its own three meters, on the map and in the header; none of the city's other devices.
    expect(await page.evaluate(() => window.__lifeline!.deviceCount())).toBe(own.length);
    await waitFor(() => page.evaluate((n) => window.__lifeline!.renderedDeviceCount() === n, own.length), {
      timeoutMs: 20_000,
      what: `${own.length} devices drawn`,
    });
    expect(await text('device-count')).toBe(String(own.length));

    // Another tenant's red alert, raised while the enterprise user watches, reaches the server but not this page…
    const other = gases[1]!;
    await publish(t.platform.mqttUrl, other, JSON.stringify({ values: { ch4: 62 } }));
    await openAlertOf(other.id);
    // …and its own does, after it (one socket, in order): had the other been sent, it would be here by now.
    await publish(t.platform.mqttUrl, meter, JSON.stringify({ values: { p_kw: 1500 } }));
    const mine = row(meter.id);
    await mine.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await mine.getAttribute('data-level')).toBe('red');
    expect(await row(other.id).count()).toBe(0);
    expect(await row(gases[0]!.id).count()).toBe(0);
    const tenants = await page.evaluate(() => [...window.__lifeline!.alerts(), ...window.__lifeline!.resolvedAlerts()].map((a) => (a as Alert).tenant));
    expect(new Set(tenants)).toEqual(new Set([TENANT]));
    expect(await page.textContent('[data-tab=resolved] .tab-n')).toBe('0');
    expect(await page.evaluate(() => window.__lifeline!.deviceCount())).toBe(own.length);

    // An enterprise acknowledges and reports rectification; it neither dispatches nor signs off.
    expect(await mine.locator('[data-action=dispatch]').count()).toBe(0);
    expect(await mine.locator('[data-action=resolve]').count()).toBe(1);
    await mine.locator('[data-action=acknowledge]').click();
    await page.locator('dialog.ack-dialog button[type=submit]').click();
    await expect.poll(() => mine.locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('Acknowledged');
    expect(await mine.locator('[data-action=dispatch]').count()).toBe(0);
    await screenshot(page, 'roles-enterprise.png');
    await mine.locator('[data-action=resolve]').click();
    const resolve = page.locator('dialog.resolve-dialog');
    await resolve.locator('select[name=disposition]').selectOption('real');
    await resolve.locator('textarea').fill('Load shed; the reactor line is back under its rated power.');
    await resolve.locator('button[type=submit]').click();
    await mine.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => page.textContent('[data-tab=resolved] .tab-n'), { timeout: 10_000 }).toBe('1');
    await page.click('[data-tab=resolved]');
    const waiting = page.locator(`.alert-list .alert-row[data-device="${meter.id}"]`);
    await waiting.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await waiting.locator('[data-action=details]').count()).toBe(1);
    expect(await waiting.locator('[data-action=close]').count()).toBe(0);
    expect(await openAlertOf(other.id)).toMatchObject({ state: 'raised' });

    expect(watch.errors).toEqual([]);
    expect(watch.csp).toEqual([]);
    expect(watch.foreign).toEqual([]);
  }, 60_000);
});
