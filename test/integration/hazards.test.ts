import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import ExcelJS from 'exceljs';
import pg from 'pg';
import type { Alert, AuditEntry, Hazard, HazardDetail, HazardList } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { receiver } from '../support/receiver.js';
import { tempDataDir, uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
// The seeded enterprise user belongs to ent-01, whose meter this is.
const meter = registry.byId.get('pwr-0001')!;
const HOUR = 3600_000;

describe('the hazard register: from a real alert to signed off, scoped by tenant, escalated when overdue', () => {
  const influxUrl = inject('influxUrl');
  const mqttUrl = inject('mqttUrl');
  const influxDb = uniqueDbName('hazards');
  const dataDir = tempDataDir();
  const hook = receiver();
  let t: TestPlatform;
  /** The first platform, whose stop also drops the database (the restarted one reuses it). */
  let first: TestPlatform;
  let device: MqttClient;
  let duty: ApiClient;
  let ent: ApiClient;
  let sup: ApiClient;
  let alert: Alert;
  let hazard: Hazard;
  const webhooks = () => hook.got.map((g) => g.body as { type?: string; hazard?: Hazard; title?: string });
  const start = async (databaseUrl?: string) =>
    startTestPlatform(
      { mqttUrl, influxUrl, influxDb, dataDir, notifyWebhookUrl: `${hookUrl}/hook`, hazardCheckSeconds: 1, hazardEscalationRepeatMinutes: 60 },
      { databaseUrl },
    );
  let hookUrl = '';
  /** A hazard the duty officer enters from an inspection of ent-01 (the enterprise user's tenant). */
  const inspected = (level: Hazard['level'], description: string, deadline: number) =>
    duty.post<Hazard>('/hazards', { source: 'inspection', tenant: 'ent-01', town: meter.town, level, description, deadline });

  beforeAll(async () => {
    hookUrl = await hook.start();
    t = first = await start();
    [duty, ent, sup] = await Promise.all([t.login('duty'), t.login('enterprise'), t.login('supervisor')]);
    device = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('meter') });
    await device.publishAsync(`lifeline/v1/${meter.tenant}/${meter.id}/telemetry`, JSON.stringify({ values: { p_kw: 1500 } }), { qos: 1 });
    alert = await waitFor(async () => (await duty.get<Alert[]>('/alerts?state=open')).body.find((a) => a.device === meter.id), { what: "the meter's alert" });
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.stop();
    if (first !== t) await first?.stop();
    await hook.stop();
  });

  it('resolves a real alert opening a hazard in the same step, with the judgement and disposition on the alert', async () => {
    const ack = await duty.post<Alert>(`/alerts/${alert.id}/acknowledge`, { judgement: 'real', note: '初判为真实警情' });
    expect(ack.body).toMatchObject({ state: 'acknowledged', judgement: 'real' });

    const deadline = Date.now() + 48 * HOUR;
    // Only a real alert opens a hazard; an unknown field is refused by name; nothing is half-done on refusal.
    const notReal = await duty.post(`/alerts/${alert.id}/resolve`, { note: '误报', disposition: 'false_alarm', hazard: { level: 'general', deadline } });
    expect(notReal.status).toBe(400);
    expect(JSON.stringify(notReal.body)).toContain('/hazard');
    const unknown = await duty.post(`/alerts/${alert.id}/resolve`, { note: 'x', disposition: 'real', hazard: { level: 'major', deadline, owner: 'me' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('/hazard');
    expect((await ent.post(`/alerts/${alert.id}/resolve`, { note: 'x', disposition: 'real', hazard: { level: 'major', deadline } })).status).toBe(403);
    expect((await duty.get<HazardList>('/hazards')).body.total).toBe(0);
    expect((await duty.get<Alert>(`/alerts/${alert.id}`)).body.state).toBe('acknowledged');

    const resolved = await duty.post<Alert>(`/alerts/${alert.id}/resolve`, {
      note: '负荷超限，现场核实为违规增容',
      disposition: 'real',
      hazard: { level: 'major', deadline },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ state: 'resolved', judgement: 'real', disposition: 'real', resolvedBy: 'duty' });
    expect(resolved.body.hazard).toMatch(/^hz-/);

    const detail = (await duty.get<HazardDetail>(`/hazards/${resolved.body.hazard}`)).body;
    hazard = detail.hazard;
    expect(hazard).toMatchObject({
      source: 'alert',
      sourceRef: alert.id,
      tenant: 'ent-01',
      unitName: registry.tenantsById.get('ent-01')!.name,
      town: meter.town,
      industry: '危化品',
      device: meter.id,
      level: 'major',
      state: 'open',
      deadline,
      createdBy: 'duty',
    });
    expect(detail.history.map((e) => [e.action, e.actor, e.to])).toEqual([['created', 'duty', 'open']]);
  });

  it('lets the enterprise add progress and report it rectified, never sign it off; a supervisor rejects, then signs off', async () => {
    const mine = (await ent.get<HazardList>('/hazards')).body;
    expect(mine.items.map((h) => h.id)).toEqual([hazard.id]);

    const progress = await ent.post<{ hazard: Hazard }>(`/hazards/${hazard.id}/progress`, {
      note: '已停用违规增容设备',
      attachments: ['现场照片1.jpg', '整改方案.pdf'],
    });
    expect(progress.status).toBe(200);
    expect(progress.body.hazard.state).toBe('rectifying');
    expect((await ent.post(`/hazards/${hazard.id}/progress`, { note: 'x', by: 'someone' })).status).toBe(400);
    expect((await ent.post(`/hazards/${hazard.id}/report`, { note: '整改完成，申请销号', attachments: ['验收记录.pdf'] })).body).toMatchObject({
      hazard: { state: 'reported' },
    });
    // Never the enterprise, never the duty officer: a government reviewer signs off.
    expect((await ent.post(`/hazards/${hazard.id}/sign-off`, {})).status).toBe(403);
    expect((await duty.post(`/hazards/${hazard.id}/sign-off`, {})).status).toBe(403);
    expect((await sup.post(`/hazards/${hazard.id}/reject`, {})).status).toBe(400); // a reason is required
    expect((await sup.post<{ hazard: Hazard }>(`/hazards/${hazard.id}/reject`, { reason: '缺少电气检测报告' })).body.hazard.state).toBe('rectifying');
    expect((await sup.post(`/hazards/${hazard.id}/sign-off`, {})).status).toBe(409);
    await ent.post(`/hazards/${hazard.id}/report`, { note: '已补充电气检测报告', attachments: ['电气检测报告.pdf'] });
    const signed = await sup.post<{ hazard: Hazard }>(`/hazards/${hazard.id}/sign-off`, { note: '复核合格，同意销号' });
    expect(signed.status).toBe(200);
    expect(signed.body.hazard).toMatchObject({ state: 'signed_off', signedOffBy: 'supervisor' });
    expect((await ent.post(`/hazards/${hazard.id}/progress`, { note: 'late' })).status).toBe(409);

    const history = (await ent.get<HazardDetail>(`/hazards/${hazard.id}`)).body.history;
    expect(history.map((e) => [e.action, e.actor, e.from, e.to])).toEqual([
      ['created', 'duty', null, 'open'],
      ['progress', 'enterprise', 'open', 'rectifying'],
      ['reported', 'enterprise', 'rectifying', 'reported'],
      ['rejected', 'supervisor', 'reported', 'rectifying'],
      ['reported', 'enterprise', 'rectifying', 'reported'],
      ['signed_off', 'supervisor', 'reported', 'signed_off'],
    ]);
    expect(history[1]!.attachments).toEqual(['现场照片1.jpg', '整改方案.pdf']);
    expect(history[3]!.note).toBe('缺少电气检测报告');
  });

  it("keeps another tenant's and a department's hazards from an enterprise user (404), and validates entries", async () => {
    const deadline = Date.now() + 24 * HOUR;
    const other = await duty.post<Hazard>('/hazards', {
      source: 'inspection',
      sourceRef: 'JC-2026-118',
      tenant: 'ent-02',
      town: '太和镇',
      level: 'general',
      description: '气瓶间未设置泄漏报警',
      deadline,
    });
    expect(other.status).toBe(201);
    expect(other.body).toMatchObject({ tenant: 'ent-02', industry: '危化品', state: 'open', createdBy: 'duty' });
    const dept = await duty.post<Hazard>('/hazards', {
      source: 'public',
      department: '区住建局',
      town: '太和镇',
      level: 'general',
      description: '群众举报：路边井盖缺失',
      deadline,
    });
    expect(dept.status).toBe(201);
    for (const id of [other.body.id, dept.body.id]) {
      expect((await ent.get(`/hazards/${id}`)).status).toBe(404);
      expect((await ent.post(`/hazards/${id}/progress`, { note: '?' })).status).toBe(404);
      expect((await ent.post(`/hazards/${id}/report`, { note: '?' })).status).toBe(404);
    }
    // Asking for another tenant's list gives one's own.
    expect((await ent.get<HazardList>('/hazards?tenant=ent-02')).body.items.map((h) => h.id)).toEqual([hazard.id]);
    expect((await ent.post('/hazards', { source: 'inspection', tenant: 'ent-01', town: '太和镇', level: 'general', description: 'x', deadline })).status).toBe(
      403,
    );

    const bad = async (body: unknown, field: string) => {
      const r = await duty.post<{ error: string; details: string[] }>('/hazards', body);
      expect(r.status).toBe(400);
      expect(r.body.details.join(' ')).toContain(field);
    };
    await bad({ source: 'inspection', tenant: 'ent-02', town: '太和镇', level: 'general', description: 'x', deadline, owner: 'me' }, 'owner');
    await bad(
      { source: 'inspection', tenant: 'ent-02', department: '住建局', town: '太和镇', level: 'general', description: 'x', deadline },
      'tenant and department',
    );
    await bad({ source: 'inspection', tenant: 'nobody', town: '太和镇', level: 'general', description: 'x', deadline }, '/tenant');
    await bad({ source: 'inspection', tenant: 'ent-02', town: '火星', level: 'general', description: 'x', deadline }, '/town');
    await bad({ source: 'inspection', tenant: 'ent-02', town: '太和镇', level: 'huge', description: 'x', deadline }, '/level');

    // Lists per unit, town and industry, filtered; exports.
    const byTown = (await duty.get<HazardList>('/hazards?town=太和镇')).body;
    expect(byTown.items.map((h) => h.id).sort()).toEqual([other.body.id, dept.body.id].sort());
    expect((await duty.get<HazardList>('/hazards?industry=危化品&state=open')).body.items.map((h) => h.id)).toEqual([other.body.id]);
    const units = (await duty.get<{ key: string; label: string; open: number; signedOff: number }[]>('/hazards/summary?by=unit')).body;
    expect(units.find((u) => u.key === 'ent-01')).toMatchObject({ open: 0, signedOff: 1 });
    expect(units.find((u) => u.key === '区住建局')).toMatchObject({ label: '区住建局', open: 1 });
    expect((await duty.get('/hazards/summary?by=weather')).status).toBe(400);
    expect((await duty.get('/hazards?colour=red')).status).toBe(400);

    const csv = await fetch(`${t.url}/api/hazards?format=csv&town=${encodeURIComponent('太和镇')}`, { headers: { cookie: duty.cookie } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toContain('责任单位');
    expect(text).toContain('气瓶间未设置泄漏报警');
    expect(text).toContain('区住建局');
    const xlsx = await fetch(`${t.url}/api/hazards?format=xlsx`, { headers: { cookie: ent.cookie } });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    const ws = wb.getWorksheet('隐患清单')!;
    // The enterprise's export is its own register only.
    expect(ws.rowCount).toBe(2);
    expect(ws.getRow(2).getCell(1).value).toBe(hazard.id);
  });

  it('escalates an overdue hazard once per period: a real webhook, its history and the audit log; a signed-off one never', async () => {
    const overdue = await inspected('major', '配电房未设置挡鼠板', Date.now() - 2 * HOUR);
    expect(overdue.status).toBe(201);
    const sent = await waitFor(() => webhooks().find((b) => b.type === 'lifeline.hazard' && b.hazard?.id === overdue.body.id), {
      what: 'the escalation webhook',
    });
    expect(sent.title).toContain('隐患督办');
    expect(sent.hazard).toMatchObject({ escalations: 1, unitName: registry.tenantsById.get('ent-01')!.name });
    const d = await waitFor(async () => {
      const body = (await ent.get<HazardDetail>(`/hazards/${overdue.body.id}`)).body;
      return body.history.some((e) => e.action === 'escalated') ? body : undefined;
    });
    expect(d.hazard.escalations).toBe(1);
    expect(d.history.find((e) => e.action === 'escalated')).toMatchObject({ actor: 'system', from: 'open', to: 'open' });
    expect((await ent.get<HazardList>('/hazards?state=overdue')).body).toMatchObject({ total: 1, overdue: 1 });
    // Not again within the repeat period (an hour here), however many checks run.
    await t.platform.hazardEscalation.check();
    await t.platform.hazardEscalation.check();
    expect(webhooks().filter((b) => b.hazard?.id === overdue.body.id)).toHaveLength(1);
    expect(webhooks().some((b) => b.hazard?.id === hazard.id)).toBe(false);
    const notices = (await duty.get<{ items: { alertId: string; reason: string; status: string }[] }>('/notifications')).body.items;
    expect(notices.find((n) => n.alertId === overdue.body.id)).toMatchObject({ reason: 'hazard_overdue', status: 'delivered' });
  });

  it('extends a deadline (延期) by a reviewer only: later than before, the next 督办 moved with it, in its history and the audit log', async () => {
    const made = await inspected('general', '消防通道堆放杂物', Date.now() + HOUR);
    expect(made.status).toBe(201);
    const id = made.body.id;
    const later = made.body.deadline + 10 * 24 * HOUR;
    expect((await ent.post(`/hazards/${id}/extend`, { deadline: later, reason: '等待配件' })).status).toBe(403);
    const early = await sup.post<{ details: string[] }>(`/hazards/${id}/extend`, { deadline: made.body.deadline - 1000, reason: '提前' });
    expect(early.status).toBe(400);
    expect(early.body.details[0]).toContain('later than the current one');
    expect((await sup.post(`/hazards/${id}/extend`, { deadline: later })).status).toBe(400);
    const ok = await sup.post<{ hazard: Hazard }>(`/hazards/${id}/extend`, { deadline: later, reason: '整改需更换设备，等待采购' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.hazard).toMatchObject({ id, deadline: later, state: 'open' });
    const d = (await ent.get<HazardDetail>(`/hazards/${id}`)).body;
    expect(d.hazard.deadline).toBe(later);
    const line = d.history.find((e) => e.action === 'extended')!;
    expect(line).toMatchObject({ actor: 'supervisor', from: 'open', to: 'open' });
    expect(line.note).toMatch(/^期限延至 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（原 .+）：整改需更换设备，等待采购$/);
    const pool = new pg.Pool({ connectionString: t.databaseUrl, max: 1 });
    const row = await pool.query<{ escalate_at: string }>('SELECT escalate_at FROM hazards WHERE id = $1', [id]);
    await pool.end();
    expect(Number(row.rows[0]!.escalate_at)).toBe(later);
    const audit = (await sup.get<AuditEntry[]>(`/audit?target=${id}&action=hazard.extend`)).body;
    expect(audit[0]).toMatchObject({ actor: 'supervisor', before: { deadline: made.body.deadline }, after: { deadline: later } });
    // Two reviewers extending to the same deadline at once: the second is checked against the first's, inside the transaction.
    const again = later + 24 * HOUR;
    const both = await Promise.all([1, 2].map(() => sup.post<{ details?: string[] }>(`/hazards/${id}/extend`, { deadline: again, reason: '同时延期' })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(both.find((r) => r.status === 400)!.body.details![0]).toContain('later than the current one');
    const lines = (await ent.get<HazardDetail>(`/hazards/${id}`)).body.history.filter((e) => e.action === 'extended');
    expect(lines).toHaveLength(2);
    // A signed-off hazard's deadline no longer applies.
    expect((await sup.post(`/hazards/${hazard.id}/extend`, { deadline: Date.now() + 30 * 24 * HOUR, reason: '补' })).status).toBe(409);
  });

  it('has every step in /api/audit with the logged-in user (or the system) as actor', async () => {
    const audit = async (target: string) => (await sup.get<AuditEntry[]>(`/audit?target=${target}`)).body.map((e) => [e.action, e.actor]).reverse();
    expect(await audit(hazard.id)).toEqual([
      ['hazard.create', 'duty'],
      ['hazard.progress', 'enterprise'],
      ['hazard.report', 'enterprise'],
      ['hazard.reject', 'supervisor'],
      ['hazard.report', 'enterprise'],
      ['hazard.sign-off', 'supervisor'],
    ]);
    const resolve = (await sup.get<AuditEntry[]>(`/audit?target=${alert.id}&action=alert.resolve`)).body;
    expect(resolve[0]).toMatchObject({ actor: 'duty', after: { disposition: 'real', hazard: hazard.id } });
    const esc = (await sup.get<AuditEntry[]>('/audit?action=hazard.escalate')).body;
    expect(esc).toHaveLength(1);
    expect(esc[0]).toMatchObject({ actor: 'system', tenant: 'ent-01' });
  });

  it('keeps the judgement, the disposition and the hazard across a restart', async () => {
    const databaseUrl = t.databaseUrl;
    await t.platform.stop();
    t = await start(databaseUrl);
    const again = await t.login('duty');
    expect((await again.get<Alert>(`/alerts/${alert.id}`)).body).toMatchObject({
      state: 'resolved',
      judgement: 'real',
      disposition: 'real',
      hazard: hazard.id,
    });
    expect((await again.get<HazardDetail>(`/hazards/${hazard.id}`)).body.hazard.state).toBe('signed_off');
  });
});
