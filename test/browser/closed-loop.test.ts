/**
 * The closed loop (闭环) in real Chromium against the whole platform: a red gas
 * alert escalates while nobody acknowledges it, is acknowledged (确认) and
 * dispatched (派单) to a unit by the logged-in duty officer, resolved
 * (处置完成) with a note, waits in 待销号 — where only a supervisor may sign it
 * off (销号) — and its timeline shows every step with the person who took it.
 * Then a maintenance silence set from the device popup marks a new alert as
 * 静默 and is ended (it stays listed, ended by its user), and the admin's
 * 数据异常 view shows rejected messages with their reasons.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Silence, TimelineEntry } from '@lifeline/core';
import type { TestPlatform } from '../support/platform.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { clickDevicePoint, logInAs, logOut, publish as publishFrom, registry, screenshot, type PageWatch } from './dashboard-page.js';

/** An unacknowledged red alert escalates after this long (the default is 5 minutes). */
const RED_ESCALATION_MIN = 0.05;
/** The seeded test accounts: the duty officer works the alert, the supervisor signs it off. */
const OPERATOR = 'duty';
const SUPERVISOR = 'supervisor';
const UNIT = '燃气公司抢修队';
const DISPATCH_NOTE = '请 30 分钟内到场核查';
const RESOLVE_NOTE = '抢修队到场关阀检修，复测 0 %LEL。';
const CLOSE_NOTE = '复查合格，同意销号。';
const SILENCE_REASON = '调压箱检修';

// Not the devices the other browser tests use.
const gas = registry.devices.filter((d) => d.kind === 'gas')[2]!;

describe('the closed loop on the dashboard', () => {
  let b: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;
  let alertId = '';

  const publish = (channel: 'telemetry', payload: string) => publishFrom(t.platform.mqttUrl, gas, payload, channel);
  const shot = (name: string) => screenshot(page, name);

  beforeAll(async () => {
    b = await startBrowserPlatform({
      db: 'browser_loop',
      overrides: { escalationMinutes: { red: RED_ESCALATION_MIN, orange: 60, yellow: 60, blue: 240 } },
      warnings: /failed|unavailable/,
    });
    ({ t, page, watch } = b);
    await page.goto(t.url);
    // The duty officer on duty signs every step: the server takes the actor from the session.
    await logInAs(page, OPERATOR);
  }, 240_000);

  afterAll(async () => {
    await b?.stop();
  });

  // Device rows only: a site (correlation) alert of the same place may join, and is not what these steps follow.
  it('escalates an unacknowledged red alert; the duty officer acknowledges it, dispatches it to a unit and it shows as 已派单', async () => {
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

    // 待确认 offers 确认, 派单 and 处置完成; the duty officer acknowledges first.
    const offered = await row.locator('[data-action]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.action));
    expect(offered.sort()).toEqual(['acknowledge', 'details', 'dispatch', 'resolve']);
    await row.locator('[data-action=acknowledge]').click();
    // 确认 asks for an optional first judgement (研判) from the disposition list.
    const ack = page.locator('dialog.ack-dialog');
    await ack.waitFor({ state: 'visible' });
    expect(await ack.locator('select[name=judgement] option').allTextContents()).toEqual(['暂不研判', '真实警情', '误报', '设备故障', '测试/演练', '其他']);
    await ack.locator('select[name=judgement]').selectOption('real');
    await ack.locator('button[type=submit]').click();
    await ack.waitFor({ state: 'detached' });
    await expect.poll(() => row.locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已确认');
    expect(await row.locator('[data-role=people]').textContent()).toContain(`确认人 ${OPERATOR}`);

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

  it('moves the alert to 待销号 once resolved with a note, where a duty officer is offered no 销号', async () => {
    const row = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await row.locator('[data-action=resolve]').click();
    const dialog = page.locator('dialog.resolve-dialog');
    await dialog.waitFor({ state: 'visible' });
    // The disposition starts at the judgement made at 确认.
    expect(await dialog.locator('select[name=disposition]').inputValue()).toBe('real');
    await dialog.locator('textarea').fill(RESOLVE_NOTE);
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });

    await expect.poll(() => page.textContent('[data-tab=resolved] .tab-n'), { timeout: 10_000 }).toBe('1');
    await page.click('[data-tab=resolved]');
    const resolved = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await resolved.waitFor({ state: 'visible' });
    expect(await resolved.locator('[data-role=state]').textContent()).toBe('已处置');
    expect(await resolved.locator('[data-role=note]').textContent()).toContain(RESOLVE_NOTE);
    // 销号 is a supervisor's ('alerts:close'): not offered to the duty officer.
    expect(await resolved.locator('[data-action=close]').count()).toBe(0);
    expect(await resolved.locator('[data-action=resolve]').count()).toBe(0);
    expect(await resolved.locator('[data-action=details]').count()).toBe(1);
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
    // In order: raised first, then escalated before the person acted, then acknowledged, dispatched and resolved.
    expect(actions[0]).toBe('raised');
    expect(actions.indexOf('escalated')).toBeGreaterThan(0);
    expect(actions.indexOf('acknowledged')).toBeGreaterThan(actions.indexOf('escalated'));
    expect(actions.indexOf('dispatched')).toBeGreaterThan(actions.indexOf('acknowledged'));
    expect(actions.indexOf('resolved')).toBeGreaterThan(actions.indexOf('dispatched'));
    const step = (a: string) => steps.find((s) => s.action === a)!;
    expect(step('escalated').actor).toBe('system');
    expect(step('escalated').actorShown).toBe('系统');
    expect(step('acknowledged').actor).toBe(OPERATOR);
    expect(step('acknowledged').actorShown).toBe(OPERATOR);
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

  it('is signed off (销号) by a supervisor after 退出 and a new 登录: it leaves 待销号 and its timeline ends with the sign-off', async () => {
    await logOut(page);
    await logInAs(page, SUPERVISOR);
    await expect.poll(() => page.textContent('[data-tab=resolved] .tab-n'), { timeout: 10_000 }).toBe('1');
    await page.click('[data-tab=resolved]');
    const row = page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await row.locator('[data-action=close]').textContent()).toBe('销号');
    await row.locator('[data-action=close]').click();
    const dialog = page.locator('dialog.close-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('textarea').fill(CLOSE_NOTE);
    await dialog.locator('button[type=submit]').click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => page.textContent('[data-tab=resolved] .tab-n')).toBe('0');
    expect(await page.locator('.alert-list .empty').textContent()).toBe('暂无待销号告警');
    expect(await page.evaluate((id) => window.__lifeline!.alerts().some((a) => (a as { id: string }).id === id), alertId)).toBe(false);

    // The server's record: each step signed by the person who was logged in when it was taken.
    const timeline = (await page.evaluate(async (id) => (await fetch(`/api/alerts/${encodeURIComponent(id)}/timeline`)).json(), alertId)) as TimelineEntry[];
    const actorOf = (action: string) => timeline.find((l) => l.action === action)?.actor;
    expect([actorOf('acknowledged'), actorOf('dispatched'), actorOf('resolved')]).toEqual([OPERATOR, OPERATOR, OPERATOR]);
    expect(timeline[timeline.length - 1]).toMatchObject({ action: 'closed', actor: SUPERVISOR, note: CLOSE_NOTE });
    await page.click('[data-tab=open]');
  }, 45_000);

  it('silences a device for maintenance from its popup, marks its new alert 静默, and ends the silence, which stays listed as ended', async () => {
    // The duty officer again, with a duty officer's silences (one device, at most 24 h).
    await logOut(page);
    await logInAs(page, OPERATOR);
    // The map flew to the device when its row was clicked? Not necessarily: go there and click the point itself.
    await clickDevicePoint(page, gas);
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

    const silences = (await page.evaluate(async () => (await fetch('/api/silences')).json())) as Silence[];
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
    const id = (await entry.getAttribute('data-silence-id'))!;
    await entry.locator('[data-action=end-silence]').click();
    await list.locator('.empty').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await list.locator('.empty').textContent()).toBe('当前没有生效的静默');
    // Ended, not deleted: it stays listed, with who ended it.
    const ended = list.locator(`.silences-past tr[data-silence-id="${id}"]`);
    await ended.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await ended.getAttribute('data-state')).toBe('ended');
    expect(await ended.locator('[data-role=ended]').textContent()).toMatch(new RegExp(`^${OPERATOR} 于 \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} 结束$`));
    expect(await ended.locator('[data-action=end-silence]').count()).toBe(0);
    await shot('closed-loop-silence-ended.png');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'detached' });
    expect(await page.textContent('#silences-open .tool-n')).toBe('0');
    const after = (await page.evaluate(async () => (await fetch('/api/silences')).json())) as Silence[];
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id, device: gas.id, actor: OPERATOR, reason: SILENCE_REASON, endedBy: OPERATOR });
    expect(after[0]!.endedAt).toBeGreaterThan(after[0]!.from);
    expect(after[0]!.to).toBeLessThanOrEqual(after[0]!.endedAt!);
  }, 60_000);

  it("lists rejected messages in 数据异常 (an admin's) with counts by code and their reasons", async () => {
    // Only an admin reads dead letters ('deadletters:read'): a duty officer has no 数据异常 button.
    expect(await page.locator('#dead-letters-open').count()).toBe(0);
    await logOut(page);
    await logInAs(page, 'admin');
    await publish('telemetry', '{"values": {"ch4": 1');
    await publish('telemetry', JSON.stringify({ values: { ch4: 'high' } }));
    await page.click('#dead-letters-open');
    const dialog = page.locator('dialog.dead-letters-dialog');
    await dialog.waitFor({ state: 'visible' });
    await expect
      .poll(
        async () => {
          await dialog.locator('[data-action=refresh]').click();
          return dialog.locator('.dl-table tbody tr').count();
        },
        { timeout: 10_000 },
      )
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
    expect(watch.errors).toEqual([]);
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
    expect(watch.errors).toEqual([]);
  }, 30_000);
});
