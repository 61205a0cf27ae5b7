/**
 * The hazard register's whole loop from the dashboard in real Chromium, in
 * Chinese and then in English: a red alert raised over MQTT is acknowledged
 * with a first judgement and resolved as 真实警情 opening a 重大隐患; the
 * enterprise adds progress with attachments and reports it rectified (no
 * 销号 offered); a supervisor rejects it back; in English the enterprise
 * reports again and the supervisor signs it off, the history reading every
 * step; a new hazard entered from the form; and the 交接班 panel: start a
 * shift, hand over, and the next officer accepts.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, HazardDetail, ShiftCurrent } from '@lifeline/core';
import { DEFAULT_ENTERPRISE_TENANT, type ApiClient, type TestPlatform } from '../support/platform.js';
import { waitFor } from '../support/wait.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { logInAs, logOut, publish, registry, screenshot, type PageWatch } from './dashboard-page.js';

const meter = registry.devices.find((d) => d.id === 'pwr-0001')!;
const unitName = registry.tenants.find((x) => x.id === DEFAULT_ENTERPRISE_TENANT)!.name;

describe('the hazard register and duty shifts on the dashboard', () => {
  let b: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;
  let supervisor: ApiClient;
  let hazardId = '';

  const register = () => page.getByTestId('hazard-dialog');
  const openRegister = async (): Promise<Locator> => {
    await page.getByTestId('hazards-open').click();
    await register().waitFor({ state: 'visible' });
    return register();
  };
  const openHazard = async () => {
    const row = register().locator(`.hazard-row[data-hazard-id="${hazardId}"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    const detail = register().locator(`.hazard-detail[data-hazard-id="${hazardId}"]`);
    await detail.waitFor({ state: 'visible' });
    return detail;
  };
  const detail = () => register().locator(`.hazard-detail[data-hazard-id="${hazardId}"]`);
  const stateOf = () => detail().locator('[data-role=state]').textContent();
  const offered = () =>
    detail()
      .locator('.hazard-actions [data-action]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.action));
  const fillForm = async (cls: string, fields: Record<string, string>) => {
    const d = page.locator(`dialog.${cls}`);
    await d.waitFor({ state: 'visible' });
    for (const [name, value] of Object.entries(fields)) {
      const c = d.locator(`[name=${name}]`);
      if ((await c.evaluate((e) => e.tagName)) === 'SELECT') await c.selectOption(value);
      else await c.fill(value);
    }
    await d.locator('button[type=submit]').click();
    await d.waitFor({ state: 'detached' });
  };
  const historyActions = () =>
    detail()
      .locator('[data-testid=hazard-history] li')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.action));
  const closeRegister = async () => {
    await page.keyboard.press('Escape');
    await register().waitFor({ state: 'detached' });
  };

  beforeAll(async () => {
    b = await startBrowserPlatform({ db: 'browser_hazards' });
    ({ t, page, watch } = b);
    supervisor = await t.login('supervisor');
  }, 240_000);

  afterAll(async () => {
    await b?.stop();
  });

  it('resolves a red alert as 真实警情 opening a 重大隐患 from the dialogs, and starts a shift and a handover in 交接班', async () => {
    await page.goto(t.url);
    await logInAs(page, 'duty');
    await publish(t.platform.mqttUrl, meter, JSON.stringify({ values: { p_kw: 1500 } }));
    const row = page.locator(`.alert-list .alert-row[data-device="${meter.id}"]:not([data-site])`);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const alertId = (await row.getAttribute('data-alert-id'))!;

    await row.locator('[data-action=acknowledge]').click();
    await fillForm('ack-dialog', { judgement: 'real', note: '已电话核实' });
    await expect.poll(() => row.locator('[data-role=state]').textContent(), { timeout: 10_000 }).toBe('已确认');

    await row.locator('[data-action=resolve]').click();
    const resolve = page.locator('dialog.resolve-dialog');
    await resolve.waitFor({ state: 'visible' });
    expect(await resolve.locator('select[name=disposition] option').allTextContents()).toEqual([
      '请选择处置结果',
      '真实警情',
      '误报',
      '设备故障',
      '测试/演练',
      '其他',
    ]);
    expect(await resolve.locator('select[name=hazard] option').allTextContents()).toEqual(['不转隐患', '重大隐患', '一般隐患']);
    await fillForm('resolve-dialog', { note: '违规增容，责令整改', hazard: 'major', days: '7' });
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    const alert = (await supervisor.get<Alert>(`/alerts/${alertId}`)).body;
    expect(alert).toMatchObject({ state: 'resolved', judgement: 'real', disposition: 'real', resolvedBy: 'duty' });
    hazardId = alert.hazard!;
    expect(hazardId).toMatch(/^hz-/);

    // The alert's detail shows the judgement, the disposition and its hazard, which opens in the register.
    await page.click('[data-tab=resolved]');
    await page.locator(`.alert-list .alert-row[data-alert-id="${alertId}"] [data-action=details]`).click();
    const alertDetail = page.locator(`dialog.detail-dialog[data-alert-id="${alertId}"]`);
    await alertDetail.waitFor({ state: 'visible' });
    expect(await alertDetail.locator('[data-role=disposition]').textContent()).toBe('真实警情');
    await alertDetail.locator('[data-action=open-hazard]').click();
    await detail().waitFor({ state: 'visible', timeout: 10_000 });
    expect(await alertDetail.count()).toBe(0);
    await closeRegister();

    await openRegister();
    const listed = register().locator(`.hazard-row[data-hazard-id="${hazardId}"]`);
    await listed.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await listed.textContent()).toContain('重大隐患');
    expect(await listed.textContent()).toContain(unitName);
    expect(await register().locator('[data-action=export-csv]').getAttribute('href')).toBe('/api/hazards?state=open&format=csv');
    await openHazard();
    expect(await stateOf()).toBe('待整改');
    expect(await historyActions()).toEqual(['created']);
    // A duty officer may record progress, never sign off.
    expect(await offered()).toEqual(['back', 'hazard-progress', 'hazard-report']);
    await screenshot(page, 'hazards-detail-zh.png');
    await closeRegister();

    await page.getByTestId('shifts-open').click();
    const shifts = page.getByTestId('shift-dialog');
    await expect.poll(() => shifts.locator('[data-role=officer]').textContent(), { timeout: 10_000 }).toBe('当前无人值班');
    await shifts.locator('[data-action=start-shift]').click();
    await expect.poll(() => shifts.locator('[data-role=officer]').getAttribute('data-officer'), { timeout: 10_000 }).toBe('duty');
    expect(await shifts.getByTestId('open-items').textContent()).toContain('未销号隐患 1 条');
    await shifts.locator('[data-action=start-handover]').click();
    await fillForm('handover-dialog', { note: '宏达化工重大隐患待整改' });
    await shifts.getByTestId('handover-pending').waitFor({ state: 'visible', timeout: 10_000 });
    // Handed over but not accepted: still on duty.
    expect(await shifts.locator('[data-role=officer]').getAttribute('data-officer')).toBe('duty');
    expect(await shifts.locator('[data-action=accept-handover]').count()).toBe(0);
    await page.keyboard.press('Escape');
    await logOut(page);
  }, 120_000);

  it('lets the enterprise add progress with attachments and report it rectified, without 销号; a supervisor rejects it and takes over the shift', async () => {
    await logInAs(page, 'enterprise');
    await openRegister();
    await openHazard();
    expect(await offered()).toEqual(['back', 'hazard-progress', 'hazard-report']);
    await detail().locator('[data-action=hazard-progress]').click();
    await fillForm('hazard-progress-dialog', { note: '已拆除违规增容设备', attachments: '现场照片.jpg, 整改方案.pdf' });
    await expect.poll(stateOf, { timeout: 10_000 }).toBe('整改中');
    expect(await detail().locator('[data-role=attachments]').textContent()).toContain('现场照片.jpg、整改方案.pdf');
    await detail().locator('[data-action=hazard-report]').click();
    await fillForm('hazard-report-dialog', { note: '整改完成，申请销号' });
    await expect.poll(stateOf, { timeout: 10_000 }).toBe('已报整改');
    expect(await offered()).toEqual(['back']);
    await closeRegister();
    // No shift panel for an enterprise.
    expect(await page.getByTestId('shifts-open').count()).toBe(0);
    await logOut(page);

    await logInAs(page, 'supervisor');
    await openRegister();
    await openHazard();
    expect(await offered()).toEqual(['back', 'hazard-sign_off', 'hazard-reject', 'hazard-extend']);
    await detail().locator('[data-action=hazard-reject]').click();
    const reject = page.locator('dialog.hazard-reject-dialog');
    await reject.waitFor({ state: 'visible' });
    await reject.locator('button[type=submit]').click();
    expect(await reject.locator('.dialog-error').textContent()).toBe('请填写驳回原因');
    await fillForm('hazard-reject-dialog', { reason: '缺少电气检测报告' });
    await expect.poll(stateOf, { timeout: 10_000 }).toBe('整改中');
    // 延期: ten more days from the current deadline, with the reason.
    const before = (await supervisor.get<HazardDetail>(`/hazards/${hazardId}`)).body.hazard.deadline;
    await detail().locator('[data-action=hazard-extend]').click();
    await fillForm('hazard-extend-dialog', { days: '10', reason: '等待电气检测机构出具报告' });
    await expect.poll(async () => (await historyActions()).at(-1), { timeout: 10_000 }).toBe('extended');
    expect(await detail().locator('[data-testid=hazard-history] li[data-action=extended] [data-role=note]').textContent()).toContain(
      '等待电气检测机构出具报告',
    );
    expect((await supervisor.get<HazardDetail>(`/hazards/${hazardId}`)).body.hazard.deadline).toBe(before + 10 * 24 * 3600_000);
    await closeRegister();

    await page.getByTestId('shifts-open').click();
    const shifts = page.getByTestId('shift-dialog');
    await shifts.locator('[data-action=accept-handover]').click();
    await fillForm('accept-dialog', { note: '接班' });
    await expect.poll(() => shifts.locator('[data-role=officer]').getAttribute('data-officer'), { timeout: 10_000 }).toBe('supervisor');
    expect((await supervisor.get<ShiftCurrent>('/shifts/current')).body).toMatchObject({ shift: { officer: 'supervisor' }, handover: null });
    await page.keyboard.press('Escape');
    await logOut(page);
  }, 120_000);

  it('in English: the enterprise reports again, the supervisor signs it off and enters a new hazard', async () => {
    await page.getByTestId('login-lang').click();
    await logInAs(page, 'enterprise');
    expect(await page.getByTestId('hazards-open').textContent()).toBe('Hazards');
    await openRegister();
    expect(await register().locator('h3').first().textContent()).toBe('Hazard register');
    await openHazard();
    expect(await stateOf()).toBe('Rectifying');
    await detail().locator('[data-action=hazard-report]').click();
    await fillForm('hazard-report-dialog', { note: 'Electrical test report attached', attachments: 'test-report.pdf' });
    await expect.poll(stateOf, { timeout: 10_000 }).toBe('Reported rectified');
    await closeRegister();
    await logOut(page);

    await logInAs(page, 'supervisor');
    await openRegister();
    await openHazard();
    await detail().locator('[data-action=hazard-sign_off]').click();
    await fillForm('hazard-sign_off-dialog', { note: 'Reviewed on site' });
    await expect.poll(stateOf, { timeout: 10_000 }).toBe('Signed off');
    expect(await offered()).toEqual(['back']);
    expect(await historyActions()).toEqual(['created', 'progress', 'reported', 'rejected', 'extended', 'reported', 'signed_off']);
    expect(await detail().locator('[data-testid=hazard-history] .tl-action').allTextContents()).toEqual([
      'Entered',
      'Progress',
      'Reported rectified',
      'Rejected',
      'Deadline extended',
      'Reported rectified',
      'Signed off',
    ]);
    await screenshot(page, 'hazards-signed-off-en.png');
    const server = (await supervisor.get<HazardDetail>(`/hazards/${hazardId}`)).body;
    expect(server.hazard).toMatchObject({ state: 'signed_off', signedOffBy: 'supervisor' });
    expect(server.history.map((e) => e.actor)).toEqual(['duty', 'enterprise', 'enterprise', 'supervisor', 'supervisor', 'enterprise', 'supervisor']);

    // A hazard from an inspection, for a department.
    await detail().locator('[data-action=back]').click();
    await register().locator('[data-action=new-hazard]').click();
    const form = page.locator('dialog.hazard-new-dialog');
    await form.waitFor({ state: 'visible' });
    await form.locator('textarea[name=description]').fill('Manhole cover missing on the main road');
    await form.locator('button[type=submit]').click();
    expect(await form.locator('.dialog-error').textContent()).toBe('Choose an enterprise or name a department (one of the two)');
    await fillForm('hazard-new-dialog', { department: 'District housing bureau', level: 'general', days: '3' });
    const created = register().locator('.hazard-detail');
    await created.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await created.locator('[data-role=state]').textContent()).toBe('Open');
    expect(await created.textContent()).toContain('District housing bureau');

    // Per unit: the summary, and a unit's row opens its list.
    await created.locator('[data-action=back]').click();
    await register().getByTestId('hazard-group').selectOption('unit');
    const summary = register().getByTestId('hazard-summary');
    await summary.waitFor({ state: 'visible', timeout: 10_000 });
    const bureau = summary.locator('tr[data-group-key="District housing bureau"]');
    expect(await bureau.locator('td').allTextContents()).toEqual(['District housing bureau', '1', '0', '0', '0', '1']);
    expect(await summary.locator(`tr[data-group-key="${DEFAULT_ENTERPRISE_TENANT}"] td`).allTextContents()).toEqual([unitName, '0', '0', '0', '1', '1']);
    await bureau.click();
    await expect.poll(() => register().locator('.hazard-row[data-hazard-id]').count(), { timeout: 10_000 }).toBe(1);
    expect(await register().locator('[data-action=export-csv]').getAttribute('href')).toBe(
      `/api/hazards?state=open&department=${encodeURIComponent('District housing bureau').replace(/%20/g, '+')}&format=csv`,
    );
    await closeRegister();

    // Every step is in the audit log, named in the reader's language.
    await page.getByTestId('audit-open').click();
    const audit = page.getByTestId('audit-dialog');
    const signOff = audit.locator(`tr[data-audit-action="hazard.sign-off"]`);
    await signOff.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await signOff.textContent()).toContain('Sign hazard off');
    expect(await signOff.textContent()).toContain(hazardId);
    expect(await audit.locator('tr[data-audit-action="shift.accept"]').count()).toBe(1);
    await page.keyboard.press('Escape');
    expect(watch.errors).toEqual([]);
    expect(watch.csp).toEqual([]);
    expect(watch.foreign).toEqual([]);
    await waitFor(async () => (await supervisor.get<{ total: number }>('/hazards?state=open')).body.total === 1, { what: 'the new hazard on the server' });
  }, 120_000);
});
