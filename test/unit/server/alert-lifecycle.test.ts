import { describe, expect, it } from 'vitest';
import { ALERT_COMMANDS, ALERT_STATES, alertSchema, type Alert, type AlertCommand, type AlertState, type Device, type Signal } from '@lifeline/core';
import { AlertManager, escalationDueAt, type SilenceMatcher } from '../../../server/src/index.js';
import { alertHarness, MIN, rebuilt, statusOf, T0, type AlertHarnessOptions } from '../../support/alert-harness.js';

const gas: Device = { id: 'gas-1', tenant: 'qx-gas', kind: 'gas', name: '太和镇某酒家 厨房燃气探测器', town: '太和镇', lon: 113, lat: 23.7, site: 'site-a' };
const gas2: Device = { ...gas, id: 'gas-2', name: '太和镇某酒家 大堂燃气探测器' };
const devices = new Map([gas, gas2].map((d) => [d.id, d]));
const limits = { minutes: { red: 5, orange: 15, yellow: 60, blue: 240 }, dispatchOverdueMinutes: 120 };

const manager = (o: Partial<AlertHarnessOptions> = {}) =>
  alertHarness({ devices: [gas, gas2], escalation: limits, flap: { maxTransitions: 4, windowMs: 10 * MIN }, ...o });

const sig = (level: Signal['level'], extra: Partial<Signal> = {}): Signal => ({
  device: 'gas-1',
  rule: 'ch4_high',
  ruleType: 'threshold',
  level,
  ts: T0,
  metric: 'ch4',
  direction: 'above',
  value: level ? 60 : 1,
  threshold: level ? 50 : undefined,
  ...extra,
});

describe('the closed loop of an alert', () => {
  it('goes raised → acknowledged → dispatched → resolved → closed, each step logged with actor and note', () => {
    const { m, entries, advance } = manager();
    m.onSignal(sig('red'));
    const id = m.list()[0]!.id;
    advance(1000);
    m.acknowledge(id, '值班员张三');
    advance(1000);
    expect(m.dispatch(id, '值班员张三', '清新区燃气公司', '请10分钟内到场')).toMatchObject({
      state: 'dispatched',
      dispatchedTo: '清新区燃气公司',
      dispatchedBy: '值班员张三',
      dispatchedAt: T0 + 2000,
    });
    advance(1000);
    m.resolve(id, '燃气公司李四', '已关阀，复测 0 %LEL');
    // Resolved but not signed off: still listed (待销号), no longer open.
    expect(m.list({ state: 'open' })).toEqual([]);
    expect(m.list({ state: 'resolved' }).map((a) => a.id)).toEqual([id]);
    advance(1000);
    expect(m.close(id, '带班领导赵六', '核查属实，销号')).toMatchObject({ state: 'closed', closedBy: '带班领导赵六', closedAt: T0 + 4000 });
    expect(m.list({ state: 'resolved' })).toEqual([]);
    expect(m.list({ state: 'closed' }).map((a) => a.id)).toEqual([id]);
    expect(entries.map((e) => [e.action, e.actor ?? null])).toEqual([
      ['raised', null],
      ['acknowledged', '值班员张三'],
      ['dispatched', '值班员张三'],
      ['resolved', '燃气公司李四'],
      ['closed', '带班领导赵六'],
    ]);
    expect(entries[2]!.note).toBe('清新区燃气公司: 请10分钟内到场');
  });

  it('dispatches straight from raised', () => {
    const { m } = manager();
    m.onSignal(sig('orange'));
    const id = m.list()[0]!.id;
    expect(m.dispatch(id, 'a', '供水公司').state).toBe('dispatched');
  });

  it('refuses steps from the wrong state with 409 and unknown ids with 404', () => {
    const { m } = manager();
    m.onSignal(sig('red'));
    const id = m.list()[0]!.id;
    expect(statusOf(() => m.close(id, 'a'))).toBe(409); // not resolved yet
    m.dispatch(id, 'a', 'unit');
    expect(statusOf(() => m.acknowledge(id, 'a'))).toBe(409);
    expect(statusOf(() => m.dispatch(id, 'a', 'unit'))).toBe(409);
    m.resolve(id, 'a', 'done');
    expect(statusOf(() => m.dispatch(id, 'a', 'unit'))).toBe(409);
    expect(statusOf(() => m.resolve(id, 'a', 'again'))).toBe(409);
    m.close(id, 'a');
    expect(statusOf(() => m.close(id, 'a'))).toBe(409);
    expect(statusOf(() => m.dispatch('nope', 'a', 'unit'))).toBe(404);
    expect(statusOf(() => m.close('nope', 'a'))).toBe(404);
  });

  it('refuses every action the loop forbids from each state with 409, and leaves the alert as it was', () => {
    // Written out, not read from core's table: changing the loop must change this test too.
    const allowed: Record<AlertState, Partial<Record<AlertCommand, AlertState>>> = {
      raised: { acknowledge: 'acknowledged', dispatch: 'dispatched', resolve: 'resolved' },
      acknowledged: { dispatch: 'dispatched', resolve: 'resolved' },
      dispatched: { resolve: 'resolved' },
      resolved: { close: 'closed' },
      closed: {},
    };
    const path: Record<AlertState, AlertCommand[]> = {
      raised: [],
      acknowledged: ['acknowledge'],
      dispatched: ['acknowledge', 'dispatch'],
      resolved: ['resolve'],
      closed: ['resolve', 'close'],
    };
    const step: Record<AlertCommand, (m: AlertManager, id: string) => Alert> = {
      acknowledge: (m, id) => m.acknowledge(id, 'a'),
      dispatch: (m, id) => m.dispatch(id, 'a', '燃气公司'),
      resolve: (m, id) => m.resolve(id, 'a', '已处置'),
      close: (m, id) => m.close(id, 'a'),
    };
    const alertIn = (state: AlertState) => {
      const { m } = manager();
      m.onSignal(sig('red'));
      const id = m.list()[0]!.id;
      for (const c of path[state]) step[c](m, id);
      expect(m.get(id)!.state).toBe(state);
      return { m, id };
    };
    for (const state of ALERT_STATES) {
      for (const c of ALERT_COMMANDS) {
        const { m, id } = alertIn(state);
        const to = allowed[state][c];
        if (to) {
          expect(step[c](m, id).state, `${c} from ${state}`).toBe(to);
          continue;
        }
        expect(
          statusOf(() => step[c](m, id)),
          `${c} from ${state}`,
        ).toBe(409);
        expect(m.get(id)!.state).toBe(state);
      }
    }
    const dispatched = alertIn('dispatched');
    expect(() => step.acknowledge(dispatched.m, dispatched.id)).toThrowError(`alert ${dispatched.id} is already dispatched; acknowledge starts from raised`);
    const raised = alertIn('raised');
    expect(() => step.close(raised.m, raised.id)).toThrowError(`alert ${raised.id} is raised; close starts from resolved`);
  });

  it('keys a site-level alert by site and rule, whichever device of the site signals', () => {
    const { m } = manager();
    m.onSignal(sig('orange', { rule: 'gas_spread', ruleType: 'correlation', site: 'site-a' }));
    m.onSignal(sig('red', { rule: 'gas_spread', ruleType: 'correlation', site: 'site-a', device: 'gas-2' }));
    m.onSignal(sig('red', { device: 'gas-2' })); // a device-level alert of the same rule family stays apart
    const open = m.list({ state: 'open' });
    expect(open).toHaveLength(2);
    expect(open.find((a) => a.rule === 'gas_spread')).toMatchObject({ site: 'site-a', count: 2, level: 'red' });
  });

  it('a new breach after resolution raises a new alert while the resolved one awaits sign-off', () => {
    const { m } = manager();
    m.onSignal(sig('red'));
    const first = m.list()[0]!.id;
    m.resolve(first, 'a', 'fixed');
    m.onSignal(sig('red'));
    expect(m.list({ state: 'open' })).toHaveLength(1);
    expect(m.list({ state: 'open' })[0]!.id).not.toBe(first);
    expect(m.get(first)!.state).toBe('resolved');
  });

  it('restores resolved alerts awaiting sign-off, so they can be closed after a restart', () => {
    const a = manager();
    a.m.onSignal(sig('red'));
    const id = a.m.list()[0]!.id;
    a.m.resolve(id, 'x', 'fixed');
    const b = manager({ restore: rebuilt(a.entries) });
    expect(b.m.list({ state: 'resolved' })).toHaveLength(1);
    expect(b.m.close(id, 'leader').state).toBe('closed');
    expect(b.m.openCount).toBe(0);
  });

  it('asks for a notification on raise and on a level upgrade, not on plain repeats', () => {
    const { m, changes } = manager();
    m.onSignal(sig('blue', { value: 6, threshold: 5 }));
    m.onSignal(sig('blue', { value: 7, threshold: 5 }));
    m.onSignal(sig('red', { value: 60, threshold: 50 }));
    expect(changes.filter((c) => c.notify).map((c) => [c.notify, c.alert.level])).toEqual([
      ['raised', 'blue'],
      ['upgraded', 'red'],
    ]);
  });
});

describe('escalation', () => {
  it('escalates an unacknowledged red alert after 5 minutes, then every further 5 minutes', () => {
    const { m, advance, changes, entries } = manager();
    m.onSignal(sig('red'));
    advance(5 * MIN - 1);
    m.tick();
    expect(changes.filter((c) => c.action === 'escalated')).toEqual([]);
    advance(1);
    m.tick();
    m.tick(); // a second tick at the same time does nothing more
    expect(m.list()[0]).toMatchObject({ escalations: 1, escalatedAt: T0 + 5 * MIN });
    advance(5 * MIN);
    m.tick();
    expect(m.list()[0]).toMatchObject({ escalations: 2, escalatedAt: T0 + 10 * MIN });
    const esc = changes.filter((c) => c.action === 'escalated');
    expect(esc.map((c) => c.notify)).toEqual(['escalated', 'escalated']);
    expect(entries.filter((e) => e.action === 'escalated').map((e) => e.actor)).toEqual(['system', 'system']);
    expect(entries.find((e) => e.action === 'escalated')!.note).toMatch(/带班领导/);
  });

  it('stops escalating once acknowledged, and escalates a dispatched alert left unresolved past the overdue limit', () => {
    const { m, advance } = manager();
    m.onSignal(sig('red'));
    const id = m.list()[0]!.id;
    advance(MIN);
    m.acknowledge(id, 'a');
    advance(60 * MIN);
    m.tick();
    expect(m.get(id)!.escalations).toBe(0);
    m.dispatch(id, 'a', '燃气公司');
    advance(120 * MIN - 1);
    m.tick();
    expect(m.get(id)!.escalations).toBe(0);
    advance(1);
    m.tick();
    expect(m.get(id)).toMatchObject({ escalations: 1, state: 'dispatched' });
    m.resolve(id, 'a', 'fixed');
    advance(500 * MIN);
    m.tick();
    expect(m.get(id)!.escalations).toBe(1);
  });

  it('uses the limit of each level (orange 15 minutes)', () => {
    const a = { ...(sigAlert('orange') as Alert) };
    expect(escalationDueAt(a, limits)).toBe(T0 + 15 * MIN);
    expect(escalationDueAt({ ...a, escalatedAt: T0 + 20 * MIN }, limits)).toBe(T0 + 35 * MIN);
    expect(escalationDueAt({ ...a, state: 'acknowledged' }, limits)).toBeNull();
  });

  it('keeps the deadline across a rebuild from the log: 3 minutes before a restart, 2 after', () => {
    const clock = { t: T0 };
    const before = manager({ clock });
    before.m.onSignal(sig('red'));
    clock.t += 3 * MIN;
    before.m.tick();
    // The process dies; a new one rebuilds from the log at the same clock.
    const after = manager({ clock, restore: rebuilt(before.entries) });
    clock.t += 2 * MIN - 1;
    after.m.tick();
    expect(after.m.list()[0]!.escalations).toBe(0);
    clock.t += 1;
    after.m.tick();
    expect(after.m.list()[0]).toMatchObject({ escalations: 1, escalatedAt: T0 + 5 * MIN });
    // A second restart after the escalation: the next one is 5 minutes after it, not after raising.
    const again = manager({ clock, restore: rebuilt(after.entries) });
    clock.t += 5 * MIN - 1;
    again.m.tick();
    expect(again.m.list()[0]!.escalations).toBe(1);
    clock.t += 1;
    again.m.tick();
    expect(again.m.list()[0]!.escalations).toBe(2);
  });

  it('escalates at once after a restart that outlasted the deadline, once', () => {
    const clock = { t: T0 };
    const before = manager({ clock });
    before.m.onSignal(sig('red'));
    clock.t += 30 * MIN;
    const after = manager({ clock, restore: rebuilt(before.entries) });
    after.m.tick();
    after.m.tick();
    expect(after.m.list()[0]!.escalations).toBe(1);
  });

  it('runs on its own timer with fake time', async () => {
    const { vi } = await import('vitest');
    vi.useFakeTimers({ now: T0 });
    try {
      const m = new AlertManager({ lookup: (id) => devices.get(id), log: { append: () => {}, flush: async () => {} }, escalation: limits });
      m.start();
      m.onSignal(sig('red'));
      await vi.advanceTimersByTimeAsync(5 * MIN + 1000);
      expect(m.list()[0]!.escalations).toBe(1);
      m.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('silences and flapping', () => {
  it('records an alert raised inside a maintenance silence as silenced, without notification or escalation', () => {
    const silences: SilenceMatcher = { match: (a, at) => (a.site === 'site-a' && at < T0 + 60 * MIN ? { id: 's-1' } : undefined) };
    const { m, changes, advance } = manager({ silences });
    m.onSignal(sig('red'));
    expect(m.list()[0]!.silence).toEqual({ kind: 'maintenance', id: 's-1' });
    advance(30 * MIN);
    m.tick();
    expect(m.list()[0]!.escalations).toBe(0);
    expect(changes.filter((c) => c.notify)).toEqual([]);
    // Once the silence is over, the unacknowledged alert is overdue and escalates.
    advance(31 * MIN);
    m.tick();
    expect(m.list()[0]!.escalations).toBe(1);
  });

  it('marks a (device, rule) that raises and clears too often as flapping, silenced until it settles', () => {
    const { m, changes, advance } = manager();
    // blue auto-resolves on clear, so each breach is a new alert: raise, clear, raise, clear, raise (5 transitions > 4)
    for (let i = 0; i < 3; i++) {
      m.onSignal(sig('blue', { value: 6, threshold: 5 }));
      advance(10_000);
      if (i < 2) m.onSignal(sig(null));
      advance(10_000);
    }
    const open = m.list({ state: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]!.silence).toEqual({ kind: 'flapping' });
    expect(changes.filter((c) => c.notify === 'raised')).toHaveLength(2);
    advance(9 * MIN);
    m.tick();
    expect(m.list({ state: 'open' })[0]!.silence).toEqual({ kind: 'flapping' });
    advance(2 * MIN);
    m.tick();
    expect(m.list({ state: 'open' })[0]!.silence).toBeUndefined();
  });

  it('counts clear and re-breach of a red alert that stays open as flapping too', () => {
    const { m, advance } = manager();
    m.onSignal(sig('red'));
    for (let i = 0; i < 3; i++) {
      advance(1000);
      m.onSignal(sig(null));
      advance(1000);
      m.onSignal(sig('red'));
    }
    expect(m.list()[0]).toMatchObject({ silence: { kind: 'flapping' }, count: 4 });
  });
});

describe('alerts logged before the silence tag', () => {
  /** An alert as the log kept it then (`silenced`, `silenceReason`), read back through the schema as a restart reads it. */
  const logged = (old: { silenced?: boolean; silenceReason?: string }, over: Partial<Alert> = {}): Alert => {
    const json = JSON.stringify({
      id: 'old-1',
      device: 'gas-1',
      tenant: 'qx-gas',
      kind: 'gas',
      name: gas.name,
      town: gas.town,
      lon: 113,
      lat: 23.7,
      rule: 'ch4_high',
      ruleType: 'threshold',
      level: 'orange',
      state: 'raised',
      metric: 'ch4',
      value: 30,
      threshold: 25,
      count: 1,
      raisedAt: T0,
      updatedAt: T0,
      clearedAt: null,
      escalations: 0,
      ...over,
      ...old,
    });
    return alertSchema.parse(JSON.parse(json), 'logged alert');
  };

  it('restores one raised inside a maintenance silence as silenced by it: no notification, no escalation while it lasts', () => {
    const silences: SilenceMatcher = { match: (a, at) => (a.site === 'site-a' && at < T0 + 60 * MIN ? { id: 's-1' } : undefined) };
    const { m, changes, advance } = manager({ silences, restore: [logged({ silenced: true, silenceReason: 's-1' })] });
    const a = m.get('old-1')!;
    expect(a.silence).toEqual({ kind: 'maintenance', id: 's-1' });
    expect(Object.keys(a)).not.toContain('silenced');
    expect(Object.keys(a)).not.toContain('silenceReason');
    advance(30 * MIN);
    m.tick();
    m.onSignal(sig('red')); // an upgrade of a silenced alert is recorded, not notified
    expect(m.get('old-1')).toMatchObject({ level: 'red', escalations: 0 });
    expect(changes.filter((c) => c.notify || c.action === 'escalated')).toEqual([]);
  });

  it('restores a flapping one as flapping, and one whose flapping had settled as not silenced', () => {
    const { m } = manager({
      restore: [logged({ silenced: true, silenceReason: 'flapping' }), logged({ silenced: false }, { id: 'old-2', rule: 'ch4_other' })],
    });
    expect(m.get('old-1')!.silence).toEqual({ kind: 'flapping' });
    expect(m.get('old-2')!.silence).toBeUndefined();
    expect(Object.keys(m.get('old-2')!)).not.toContain('silenced');
  });

  it('restores a device alert folded into its site alert as correlated with the site its device stands at; the site alert alone escalates', () => {
    const siteAlert = logged({}, { id: 'old-site', rule: 'gas_spread', ruleType: 'correlation', site: 'site-a', level: 'red' });
    const { m, changes, advance } = manager({
      restore: [siteAlert, logged({ silenced: true, silenceReason: 'correlated' }, { device: 'gas-2', level: 'red' })],
    });
    expect(m.get('old-1')!.silence).toEqual({ kind: 'correlated', site: 'site-a' });
    advance(6 * MIN);
    m.tick();
    expect(changes.filter((c) => c.action === 'escalated').map((c) => c.alert.id)).toEqual(['old-site']);
  });

  it('restores a correlated one whose device stands at no site (any more) as not silenced', () => {
    const { site: _site, ...alone } = gas;
    const { m } = alertHarness({ devices: [alone], restore: [logged({ silenced: true, silenceReason: 'correlated' })] });
    expect(m.get('old-1')!.silence).toBeUndefined();
  });
});

function sigAlert(level: Alert['level']): Partial<Alert> {
  return { id: 'x', device: 'gas-1', rule: 'r', level, state: 'raised', raisedAt: T0, updatedAt: T0, count: 1, clearedAt: null };
}
