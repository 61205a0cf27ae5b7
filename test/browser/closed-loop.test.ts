/**
 * The closed loop (闭环) in real Chromium against the whole platform: a red gas
 * alert escalates while nobody acknowledges it, is dispatched (派单) to a unit,
 * resolved (处置完成) with a note, waits in 待销号, and is signed off (销号); its
 * timeline shows every step with the person who took it. Then a maintenance
 * silence set from the device popup marks a new alert as 静默 and is lifted
 * again, and the 数据异常 view shows rejected messages with their reasons.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deviceTopic } from '@lifeline/core';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { REPO_ROOT, uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import './hook.js';
import { launchChromium } from './chromium.js';

const SHOTS = path.join(REPO_ROOT, 'test-results');
/** An unacknowledged red alert escalates after this long (the default is 5 minutes). */
const RED_ESCALATION_MIN = 0.05;
const OPERATOR = '张三';
const UNIT = '燃气公司抢修队';
const DISPATCH_NOTE = '请 30 分钟内到场核查';
const RESOLVE_NOTE = '抢修队到场关阀检修，复测 0 %LEL。';
const CLOSE_NOTE = '复查合格，同意销号。';
const SILENCE_REASON = '调压箱检修';

interface RegistryDevice {
  id: string;
  tenant: string;
  kind: string;
  name: string;
  lon: number;
  lat: number;
}
const registry = JSON.parse(readFileSync(path.join(REPO_ROOT, 'data/qingxin-registry.json'), 'utf8')) as { devices: RegistryDevice[] };
// Not the devices the other browser tests use.
const gas = registry.devices.filter((d) => d.kind === 'gas')[2]!;

interface TimelineLine {
  at: number;
  action: string;
  actor?: string;
  note?: string;
}

describe('the closed loop on the dashboard', () => {
  let platform: Platform;
  let broker: PrivateBroker;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let alertId = '';
  const pageErrors: string[] = [];

  async function publish(topicKind: 'telemetry', payload: string, device = gas): Promise<void> {
    const client = await mqtt.connectAsync(platform.mqttUrl, { clientId: uniqueName('gas'), username: device.tenant });
    try {
      await client.publishAsync(deviceTopic(device.tenant, device.id, topicKind), payload, { qos: 1 });
    } finally {
      await client.endAsync();
    }
  }

  const shot = async (name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, name) });
  };

  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'web/dist/index.html'))) {
      execFileSync('npm', ['run', 'build', '-w', 'web'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 180_000 });
    }
    broker = await startPrivateBroker();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-closed-loop-'));
    platform = await startPlatform({
      port: 0,
      host: '127.0.0.1',
      mqttUrl: broker.url,
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('browser_loop'),
      mqttClientId: uniqueName('ingest_loop'),
      dataDir,
      escalationMinutes: { red: RED_ESCALATION_MIN, orange: 60, yellow: 60, blue: 240 },
      logLevel: 'warn',
    });
    browser = await launchChromium({ lang: 'zh-CN' });
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || (msg.type() === 'warning' && /failed|unavailable/.test(msg.text()))) pageErrors.push(msg.text());
    });
    page.on('response', (res) => {
      if (res.status() >= 400) pageErrors.push(`HTTP ${res.status()} ${res.url()}`);
    });
    await page.goto(platform.httpUrl);
    await waitFor(() => page.evaluate(() => window.__lifeline?.connection() === 'connected'), { timeoutMs: 20_000, what: 'the dashboard to connect' });
    // The operator on duty signs every step.
    await page.fill('#actor', OPERATOR);
    await page.press('#actor', 'Enter');
    await page.locator('#actor').blur();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
    await broker?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // Device rows only: a site (correlation) alert of the same place may join, and is not what these steps follow.
  it('escalates an unacknowledged red alert, dispatches it to a unit and shows it as 已派单', async () => {
    await publish('telemetry', JSON.stringify({ values: { ch4: 62 } }));
    const row = page.locator(`.alert-list .alert-row[data-device="${gas.id}"]:not([data-site])`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    alertId = (await row.getAttribute('data-alert-id'))!;
    expect(await row.getAttribute('data-level')).toBe('red');
    expect(await row.locator('[data-role=state]').textContent()).toBe('待确认');

    // Nobody acknowledges it: it escalates, and the row says so.
    await row.locator('[data-role=escalated]').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await row.locator('[data-role=escalated]').textContent()).toMatch(/^已升级 ×\d+$/);
    expect(await row.getAttribute('class')).toContain('escalated');
    await shot('closed-loop-escalated.png');

    await row.locator('[data-action=dispatch]').click();
    const dialog = page.locator('dialog.dispatch-dialog');
    await dialog.waitFor({ state: 'visible' });
    // A unit is required.
    await dialog.locator('button[type=submit]').click();
    expect(await dialog.locator('.dialog-error').textContent()).toBe('请填写责任单位');
    // The suggestions are one click each.
    expect(await dialog.locator('.chip').allTextContents()).toEqual(['燃气公司抢修队', '消防救援站', '供水公司', '属地镇街', '企业安全负责人']);
    await dialog.locator(`.chip[data-suggestion="${UNIT}"]`).click();
    expect(await dialog.locator('input[name=unit]').inputValue()).toBe(UNIT);
    await dialog.locator('textarea[name=note]').fill(DISPATCH_NOTE);
    await shot('closed-loop-dispatch-dialog.png');
    await dialog.locator('button[type=submit]').click();
    await dialog.waitFor({ state: 'detached' });

    await expect.poll(() => row.locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已派单');
    expect(await row.locator('[data-role=people]').textContent()).toContain(`派往 ${UNIT}（${OPERATOR}）`);
    // Dispatched: no more 确认 or 派单, 处置完成 remains.
    expect(await row.locator('[data-action=acknowledge]').count()).toBe(0);
    expect(await row.locator('[data-action=dispatch]').count()).toBe(0);
    expect(await row.locator('[data-action=resolve]').count()).toBe(1);
    // The pulsing ring is for unacknowledged red alerts only.
    expect(await page.locator(`.pulse-ring[data-device="${gas.id}"]`).count()).toBe(0);
  }, 60_000);

  it('moves the alert to 待销号 once resolved with a note', async () => {
    const row = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await row.locator('[data-action=resolve]').click();
    const dialog = page.locator('dialog.resolve-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('textarea').fill(RESOLVE_NOTE);
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });

    await expect.poll(() => page.textContent('[data-tab=resolved] .tab-n'), { timeout: 10_000 }).toBe('1');
    await page.click('[data-tab=resolved]');
    const resolved = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await resolved.waitFor({ state: 'visible' });
    expect(await resolved.locator('[data-role=state]').textContent()).toBe('已处置');
    expect(await resolved.locator('[data-role=note]').textContent()).toContain(RESOLVE_NOTE);
    expect(await resolved.locator('[data-action=close]').textContent()).toBe('销号');
    expect(await resolved.locator('[data-action=resolve]').count()).toBe(0);
    await shot('closed-loop-resolved.png');
  }, 30_000);

  it('shows the timeline of every step with its actor in the 详情 view', async () => {
    const row = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await row.locator('[data-action=details]').click();
    const detail = page.locator(`dialog.detail-dialog[data-alert-id="${alertId}"]`);
    await detail.waitFor({ state: 'visible' });
    const items = detail.locator('.timeline .tl-item');
    await items.first().waitFor({ state: 'visible', timeout: 10_000 });
    const steps = await items.evaluateAll((els) =>
      els.map((el) => ({
        action: (el as HTMLElement).dataset.action,
        actor: (el.querySelector('[data-role=actor]') as HTMLElement | null)?.dataset.actor ?? null,
        actorShown: el.querySelector('[data-role=actor]')?.textContent ?? null,
        note: el.querySelector('[data-role=note]')?.textContent ?? null,
        time: el.querySelector('time')?.textContent ?? null,
      })),
    );
    const actions = steps.map((s) => s.action);
    // In order: raised first, then escalated before the person acted, then dispatched and resolved.
    expect(actions[0]).toBe('raised');
    expect(actions.indexOf('escalated')).toBeGreaterThan(0);
    expect(actions.indexOf('dispatched')).toBeGreaterThan(actions.indexOf('escalated'));
    expect(actions.indexOf('resolved')).toBeGreaterThan(actions.indexOf('dispatched'));
    const step = (a: string) => steps.find((s) => s.action === a)!;
    expect(step('escalated').actor).toBe('system');
    expect(step('escalated').actorShown).toBe('系统');
    expect(step('dispatched').actorShown).toBe(OPERATOR);
    expect(step('dispatched').actor).toBe(OPERATOR);
    expect(step('dispatched').note).toContain(UNIT);
    expect(step('dispatched').note).toContain(DISPATCH_NOTE);
    expect(step('resolved').actor).toBe(OPERATOR);
    expect(step('resolved').note).toBe(RESOLVE_NOTE);
    for (const s of steps) expect(s.time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(await detail.locator('.detail-summary [data-role=state]').textContent()).toBe('已处置');
    expect(await detail.textContent()).toContain(UNIT);
    await page.waitForTimeout(300);
    await shot('closed-loop-timeline.png');
    await detail.locator('[data-action=close-detail]').click();
    await detail.waitFor({ state: 'detached' });
  }, 30_000);

  it('signs the alert off with 销号: it leaves 待销号 and its timeline ends with the sign-off', async () => {
    const row = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await row.locator('[data-action=close]').click();
    const dialog = page.locator('dialog.close-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('textarea').fill(CLOSE_NOTE);
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => page.textContent('[data-tab=resolved] .tab-n')).toBe('0');
    expect(await page.locator('.alert-list .empty').textContent()).toBe('暂无待销号告警');
    expect(await page.evaluate((id) => window.__lifeline!.alerts().some((a) => (a as { id: string }).id === id), alertId)).toBe(false);

    const timeline = await page.evaluate(async (id) => (await fetch(`/api/alerts/${encodeURIComponent(id)}/timeline`)).json(), alertId) as TimelineLine[];
    const last = timeline[timeline.length - 1]!;
    expect(last).toMatchObject({ action: 'closed', actor: OPERATOR, note: CLOSE_NOTE });
    await page.click('[data-tab=open]');
  }, 30_000);

  it('silences a device for maintenance from its popup, marks its new alert 静默, and lifts the silence', async () => {
    // The map flew to the device when its row was clicked? Not necessarily: go there and click the point itself.
    await page.evaluate(({ lon, lat }) => {
      const map = window.__lifeline!.map as { jumpTo(o: { center: [number, number]; zoom: number }): void };
      map.jumpTo({ center: [lon, lat], zoom: 16 });
    }, gas);
    await waitFor(
      () =>
        page.evaluate((id) => {
          const map = window.__lifeline!.map as unknown as { queryRenderedFeatures(o: { layers: string[] }): { properties: Record<string, unknown> }[] };
          return map.queryRenderedFeatures({ layers: ['device-points'] }).some((f) => f.properties.id === id);
        }, gas.id),
      { what: `${gas.id} drawn as its own point` },
    );
    const at = await page.evaluate(({ lon, lat }) => {
      const map = window.__lifeline!.map as { project(p: [number, number]): { x: number; y: number }; getCanvas(): HTMLCanvasElement };
      const p = map.project([lon, lat]);
      const r = map.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    }, gas);
    await page.mouse.click(at.x, at.y);
    const popup = page.locator(`.device-popup .popup[data-device="${gas.id}"]`);
    await popup.waitFor({ state: 'visible', timeout: 10_000 });

    await popup.locator('[data-action=silence]').click();
    const form = popup.locator('form.silence-form');
    await form.locator('button[type=submit]').click();
    expect(await form.locator('.dialog-error').textContent()).toBe('请填写静默原因');
    expect(await form.locator('select[name=hours] option').allTextContents()).toEqual(['1 小时', '4 小时', '24 小时']);
    await form.locator('select[name=hours]').selectOption('4');
    await form.locator('input[name=reason]').fill(SILENCE_REASON);
    await shot('closed-loop-silence-form.png');
    await form.locator('button[type=submit]').click();
    await popup.locator('.silence-badge').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await popup.locator('.popup-silence').textContent()).toContain(SILENCE_REASON);
    await expect.poll(() => page.textContent('#silences-open .tool-n')).toBe('1');

    const silences = await page.evaluate(async () => (await fetch('/api/silences')).json()) as { device?: string; to: number; from: number; actor: string; reason: string }[];
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ device: gas.id, actor: OPERATOR, reason: SILENCE_REASON });
    expect(silences[0]!.to - silences[0]!.from).toBe(4 * 3_600_000);

    // A reading inside the silence still raises an alert, recorded and marked, not notified.
    await publish('telemetry', JSON.stringify({ values: { ch4: 30 } }));
    const row = page.locator(`.alert-list .alert-row[data-device="${gas.id}"]:not([data-site])`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await row.locator('[data-role=silenced]').textContent()).toBe('静默');
    await page.waitForTimeout(300);
    await shot('closed-loop-silenced.png');

    await page.click('#silences-open');
    const list = page.locator('dialog.silences-dialog');
    await list.waitFor({ state: 'visible' });
    const entry = list.locator('tr[data-silence-id]');
    await entry.waitFor({ state: 'visible' });
    expect(await entry.textContent()).toContain(gas.name);
    expect(await entry.textContent()).toContain(SILENCE_REASON);
    await shot('closed-loop-silences.png');
    await entry.locator('[data-action=unsilence]').click();
    await list.locator('.empty').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await list.locator('.empty').textContent()).toBe('当前没有生效的静默');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'detached' });
    expect(await page.textContent('#silences-open .tool-n')).toBe('0');
    expect(await page.evaluate(async () => (await fetch('/api/silences')).json())).toEqual([]);
  }, 60_000);

  it('lists rejected messages in 数据异常 with counts by code and their reasons', async () => {
    await publish('telemetry', '{"values": {"ch4": 1');
    await publish('telemetry', JSON.stringify({ values: { ch4: 'high' } }));
    await page.click('#dead-letters-open');
    const dialog = page.locator('dialog.dead-letters-dialog');
    await dialog.waitFor({ state: 'visible' });
    await expect
      .poll(async () => {
        await dialog.locator('[data-action=refresh]').click();
        return dialog.locator('.dl-table tbody tr').count();
      }, { timeout: 10_000 })
      .toBe(2);
    expect(await dialog.locator('.dl-code[data-code=bad_json] .dl-n').textContent()).toBe('1');
    expect(await dialog.locator('.dl-code[data-code=invalid_payload] .dl-n').textContent()).toBe('1');
    expect(await dialog.locator('.dl-code[data-code=unknown_device] .dl-n').textContent()).toBe('0');
    const invalid = dialog.locator('.dl-table tr[data-code=invalid_payload]');
    expect(await invalid.textContent()).toContain('/values/ch4');
    expect(await invalid.textContent()).toContain(gas.id);
    expect(await dialog.locator('.dl-table tr[data-code=bad_json] .payload').textContent()).toContain('{"values": {"ch4": 1');
    await shot('closed-loop-dead-letters.png');
    await page.keyboard.press('Escape');
    expect(await page.textContent('#dead-letters-open .tool-n')).toBe('2');
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('speaks English too: tabs, actions, markers and the timeline', async () => {
    await page.click('#lang-toggle');
    expect(await page.textContent('[data-tab=open]')).toContain('Open alerts');
    expect(await page.textContent('[data-tab=resolved]')).toContain('To sign off');
    const row = page.locator(`.alert-list .alert-row[data-device="${gas.id}"]:not([data-site])`);
    expect(await row.locator('[data-action=dispatch]').textContent()).toBe('Dispatch');
    expect(await row.locator('[data-role=silenced]').textContent()).toBe('Silenced');
    await row.locator('[data-action=details]').click();
    const detail = page.locator('dialog.detail-dialog');
    await detail.locator('.timeline .tl-item').first().waitFor({ state: 'visible', timeout: 10_000 });
    expect(await detail.locator('.tl-item[data-action=raised] .tl-action').textContent()).toBe('Raised');
    await page.waitForTimeout(300);
    await shot('closed-loop-en.png');
    await detail.locator('[data-action=close-detail]').click();
    await page.click('#lang-toggle');
    expect(await page.textContent('[data-tab=open]')).toContain('当前告警');
    expect(pageErrors).toEqual([]);
  }, 30_000);
});
