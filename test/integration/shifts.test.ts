import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { Alert, AuditEntry, Handover, Hazard, Shift, ShiftCurrent } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { login, startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const gas = registry.byId.get('gas-0001')!;
const NEXT = { username: 'duty2', password: 'test-password-duty2' };

describe('duty shifts: one officer on duty, handed over with what is still open, changing hands only on acceptance', () => {
  const influxUrl = inject('influxUrl');
  const mqttUrl = inject('mqttUrl');
  let t: TestPlatform;
  let device: MqttClient;
  let duty: ApiClient;
  let next: ApiClient;
  let sup: ApiClient;
  let auditor: ApiClient;
  let ent: ApiClient;

  beforeAll(async () => {
    t = await startTestPlatform({ mqttUrl, influxUrl, influxDb: uniqueDbName('shifts') });
    [duty, sup, auditor, ent] = await Promise.all([t.login('duty'), t.login('supervisor'), t.login('auditor'), t.login('enterprise')]);
    expect((await sup.post('/users', { ...NEXT, role: 'duty', displayName: '李四' })).status).toBe(201);
    next = await login(t.url, NEXT.username, NEXT.password);
    device = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('gas') });
    await device.publishAsync(`lifeline/v1/${gas.tenant}/${gas.id}/telemetry`, JSON.stringify({ values: { ch4: 62 } }), { qos: 1 });
    await waitFor(async () => (await duty.get<Alert[]>('/alerts?state=open')).body.some((a) => a.device === gas.id), { what: 'the open red alert' });
    const overdue = await duty.post<Hazard>('/hazards', {
      source: 'inspection',
      tenant: 'ent-01',
      town: gas.town,
      level: 'major',
      description: '消防通道堵塞',
      deadline: Date.now() - 1000,
    });
    expect(overdue.status).toBe(201);
  });

  afterAll(async () => {
    await device?.endAsync();
    await t?.stop();
  });

  it('starts a shift when nobody is on duty, and refuses a second one', async () => {
    expect((await duty.get<ShiftCurrent>('/shifts/current')).body).toEqual({ shift: null, handover: null });
    const s = await duty.post<Shift>('/shifts/start', { note: '早班' });
    expect(s.status).toBe(201);
    expect(s.body).toMatchObject({ officer: 'duty', officerName: 'test duty', endedAt: null, note: '早班' });
    const again = await next.post<{ error: string }>('/shifts/start', {});
    expect(again.status).toBe(409);
    expect(again.body.error).toContain('test duty (duty) is on duty');
    expect((await ent.post('/shifts/start', {})).status).toBe(403);
    expect((await auditor.post('/shifts/start', {})).status).toBe(403);
    expect((await auditor.get<ShiftCurrent>('/shifts/current')).body.shift?.officer).toBe('duty');
  });

  it('hands over listing the open alerts by level and the open and overdue hazards; the shift changes hands only when the next officer accepts', async () => {
    expect((await next.post('/shifts/handover', {})).status).toBe(400); // only the officer on duty hands over
    expect((await duty.post('/shifts/handover', { to: 'duty' })).status).toBe(400);
    expect((await duty.post('/shifts/handover', { note: 'x', who: 'me' })).status).toBe(400);
    const ho = await duty.post<Handover>('/shifts/handover', { note: '燃气红色预警一条未结，宏达化工消防通道隐患已超期' });
    expect(ho.status).toBe(201);
    expect(ho.body).toMatchObject({ from: 'duty', to: null, state: 'pending', summary: { hazards: { open: 1, overdue: 1, major: 1 } } });
    expect(ho.body.summary.alerts.total).toBeGreaterThanOrEqual(1);
    expect(ho.body.summary.alerts.byLevel.red).toBeGreaterThanOrEqual(1);
    expect(ho.body.summary.alertIds.length).toBe(ho.body.summary.alerts.total);
    expect((await duty.post('/shifts/handover', {})).status).toBe(409); // one pending at a time

    // Until accepted, the officer on duty is still the one handing over.
    expect((await sup.get<ShiftCurrent>('/shifts/current')).body).toMatchObject({ shift: { officer: 'duty' }, handover: { id: ho.body.id, state: 'pending' } });
    expect((await duty.post('/shifts/accept', {})).status).toBe(400); // not one's own
    const before = Date.now();
    const acc = await next.post<{ handover: Handover; ended: Shift; started: Shift }>('/shifts/accept', { note: '已接班，继续跟进' });
    expect(acc.status).toBe(200);
    expect(acc.body.handover).toMatchObject({ state: 'accepted', acceptedBy: 'duty2', acceptNote: '已接班，继续跟进', nextShift: acc.body.started.id });
    expect(acc.body.ended).toMatchObject({ officer: 'duty' });
    expect(acc.body.started).toMatchObject({ officer: 'duty2', officerName: '李四', endedAt: null });
    expect(acc.body.ended.endedAt).toBe(acc.body.started.startedAt);
    expect((await sup.get<ShiftCurrent>('/shifts/current')).body).toMatchObject({ shift: { officer: 'duty2' }, handover: null });
    expect((await next.post('/shifts/accept', {})).status).toBe(409);

    // Who was on duty when: for statistics and reports.
    const shifts = t.platform.store.shifts;
    expect((await shifts.dutyOfficerAt(acc.body.ended.startedAt))?.officer).toBe('duty');
    expect((await shifts.dutyOfficerAt(acc.body.started.startedAt))?.officer).toBe('duty2');
    expect((await shifts.dutyOfficerAt(acc.body.ended.startedAt - 1))?.officer).toBeUndefined();
    expect((await shifts.inPeriod(acc.body.ended.startedAt, before + 60_000)).map((s) => s.officer)).toEqual(['duty', 'duty2']);
    const history = (await auditor.get<{ shifts: Shift[]; handovers: Handover[] }>('/shifts')).body;
    expect(history.shifts.map((s) => s.officer)).toEqual(['duty2', 'duty']);
    expect(history.handovers.map((h) => h.state)).toEqual(['accepted']);
  });

  it('hands over to a named officer only, and records every step in the audit log', async () => {
    await next.post('/shifts/handover', { to: 'supervisor' });
    expect((await duty.post('/shifts/accept', {})).status).toBe(400);
    expect((await sup.post<{ started: Shift }>('/shifts/accept', {})).body.started.officer).toBe('supervisor');
    const steps = (await sup.get<AuditEntry[]>('/audit?limit=50')).body.filter((e) => e.action.startsWith('shift.')).map((e) => [e.action, e.actor]);
    expect(steps.reverse()).toEqual([
      ['shift.start', 'duty'],
      ['shift.handover', 'duty'],
      ['shift.accept', 'duty2'],
      ['shift.handover', 'duty2'],
      ['shift.accept', 'supervisor'],
    ]);
  });
});
