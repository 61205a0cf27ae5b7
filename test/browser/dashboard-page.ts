/**
 * What every browser test does around the dashboard: the built web app, a page
 * whose errors are recorded (CSP violations included), logging in through the
 * 登录 page or with a session cookie, logging out, the map's device points, and
 * a device's reading over MQTT.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import type { BrowserContext, Page } from 'playwright-core';
import { deviceTopic, type Role } from '@lifeline/core';
import { testPassword, type TestPlatform } from '../support/platform.js';
import { REPO_ROOT, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import './hook.js';

export interface RegistryDevice {
  id: string;
  tenant: string;
  kind: string;
  name: string;
  lon: number;
  lat: number;
}
export const registry = JSON.parse(readFileSync(path.join(REPO_ROOT, 'data/qingxin-registry.json'), 'utf8')) as {
  devices: RegistryDevice[];
  tenants: { id: string; name: string }[];
};

const SHOTS = path.join(REPO_ROOT, 'test-results');

/** Normally built beforehand (`npm run build -w web`); built here when missing, so a test stands alone. */
export function ensureWebBuilt(): void {
  if (!existsSync(path.join(REPO_ROOT, 'web/dist/index.html'))) {
    execFileSync('npm', ['run', 'build', '-w', 'web'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 180_000 });
  }
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name) });
}

/** The only 401s that are not errors: `/api/me` while nobody is logged in, and `/api/login` refusing a wrong password. */
const LOGIN_401 = /\/api\/(me|login)(\?|$)/;
const isLogin401 = (status: number, url: string) => status === 401 && LOGIN_401.test(url);

export interface PageWatch {
  /** Page errors, console errors, failed-looking warnings, CSP violations and HTTP errors, as text. */
  errors: string[];
  /** Requests that left `origin`: the duty-room intranet has no internet. */
  foreign: string[];
  /** The CSP violations among `errors`: a bug in the page (or in the policy), never a test's noise. */
  csp: string[];
}

/**
 * Records what goes wrong on `page`. A CSP violation is reported by the page
 * itself (a `securitypolicyviolation` listener added before any script runs)
 * as well as by Chromium's console error, so it names the directive.
 */
export async function watchPage(page: Page, origin: string, warnings = /failed/): Promise<PageWatch> {
  const w: PageWatch = { errors: [], foreign: [], csp: [] };
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('pageerror', (err) => w.errors.push(err.message));
  page.on('console', (msg) => {
    const url = msg.location().url;
    if (/^CSP violation|Content Security Policy/.test(msg.text())) w.csp.push(`${msg.text()} ${url}`);
    // Chromium's own line for a 401 the login flow expects.
    if (/^Failed to load resource: .*status of 401/.test(msg.text()) && LOGIN_401.test(url)) return;
    if (msg.type() === 'error' || (msg.type() === 'warning' && warnings.test(msg.text()))) w.errors.push(`${msg.text()} ${url}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !isLogin401(res.status(), res.url())) w.errors.push(`HTTP ${res.status()} ${res.url()}`);
  });
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(origin) && !/^(data|blob):/.test(url)) w.foreign.push(url);
  });
  return w;
}

/** Fills the 登录 page's fields and submits; does not wait for the outcome. */
export async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.getByTestId('login-page').waitFor({ state: 'visible', timeout: 20_000 });
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** Waits for the dashboard to be built for someone, connected, and its map's layers there (a query before then is an error). */
export async function dashboardConnected(page: Page, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => page.evaluate(() => window.__lifeline?.connection() === 'connected'), { timeoutMs, what: 'the dashboard to load and connect' });
  await page.evaluate(() => window.__lifeline!.ready());
}

/** Logs `role`'s test account in through the 登录 page, and waits for its dashboard. */
export async function logInAs(page: Page, role: Role): Promise<void> {
  await submitLogin(page, role, testPassword(role));
  await page.getByTestId('login-page').waitFor({ state: 'detached', timeout: 10_000 });
  await dashboardConnected(page);
  const me = await page.evaluate(() => window.__lifeline!.me());
  if (me.username !== role) throw new Error(`logged in as ${role}, but the dashboard is ${me.username}'s`);
}

/** 退出: the page reloads to the 登录 page, with nothing of the dashboard left. */
export async function logOut(page: Page): Promise<void> {
  await page.getByTestId('logout').click();
  await page.getByTestId('login-page').waitFor({ state: 'visible', timeout: 15_000 });
  await waitFor(() => page.evaluate(() => window.__lifeline === undefined), { what: 'the dashboard to be gone after 退出' });
}

/** For a test that only needs to be logged in: `role`'s session cookie, from a login over the API. */
export async function addSessionCookie(context: BrowserContext, t: TestPlatform, role: Role): Promise<void> {
  const { cookie } = await t.login(role);
  const value = cookie.slice(cookie.indexOf('=') + 1);
  await context.addCookies([{ name: 'lifeline_session', value, url: t.url, httpOnly: true, sameSite: 'Strict' }]);
}

type MapHook = {
  jumpTo(o: { center: [number, number]; zoom: number }): void;
  queryRenderedFeatures(o: { layers: string[] }): { properties: Record<string, unknown> }[];
  project(p: [number, number]): { x: number; y: number };
  getCanvas(): HTMLCanvasElement;
};

/** Whether `id` is drawn as a point of its own (in `color`, if given), not inside a cluster. */
export function drawnAsPoint(page: Page, id: string, color?: string): Promise<boolean> {
  return page.evaluate(
    ({ id, color }) =>
      (window.__lifeline!.map as MapHook)
        .queryRenderedFeatures({ layers: ['device-points'] })
        .some((f) => f.properties.id === id && (color === undefined || f.properties.color === color)),
    { id, color },
  );
}

/** Zooms the map in on `device` and clicks its point, as a person opening its popup would. */
export async function clickDevicePoint(page: Page, device: Pick<RegistryDevice, 'id' | 'lon' | 'lat'>): Promise<void> {
  await page.evaluate(({ lon, lat }) => (window.__lifeline!.map as MapHook).jumpTo({ center: [lon, lat], zoom: 16 }), device);
  await waitFor(() => drawnAsPoint(page, device.id), { what: `${device.id} drawn as its own point` });
  const at = await page.evaluate(({ lon, lat }) => {
    const map = window.__lifeline!.map as MapHook;
    const p = map.project([lon, lat]);
    const r = map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, device);
  await page.mouse.click(at.x, at.y);
}

/** One message from `device` on its own topic (QoS 1), as a device on the anonymous private broker sends it. */
export async function publish(
  mqttUrl: string,
  device: Pick<RegistryDevice, 'id' | 'tenant'>,
  payload: string,
  channel: 'telemetry' | 'event' | 'status' = 'telemetry',
): Promise<void> {
  const client = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('dev'), username: device.tenant });
  try {
    await client.publishAsync(deviceTopic(device.tenant, device.id, channel), payload, { qos: 1 });
  } finally {
    await client.endAsync();
  }
}
