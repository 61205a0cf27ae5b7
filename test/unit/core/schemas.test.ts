import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  acknowledgeBody,
  alertQuery,
  can,
  deviceEvent,
  deviceStatusPayload,
  isPlainReading,
  parseTopic,
  resolveBody,
  ROLES,
  TelemetryReading,
  telemetryPayload,
} from '@lifeline/core';

const NOW = 1_795_000_000_000;

describe('telemetry payload', () => {
  it('accepts one reading with a timestamp in milliseconds', () => {
    expect(telemetryPayload.check({ ts: NOW, values: { ch4: 12.5 } }).ok).toBe(true);
  });

  it('accepts a reading without a timestamp and a batch of readings', () => {
    expect(telemetryPayload.check({ values: { mpa: 0.31 } }).ok).toBe(true);
    expect(
      telemetryPayload.check([
        { ts: NOW, values: { p_kw: 400 } },
        { ts: NOW + 1, values: { p_kw: 410 } },
      ]).ok,
    ).toBe(true);
  });

  it('rejects a telemetry message whose values are not numbers, naming the field', () => {
    const r = telemetryPayload.check({ values: { ch4: 'high' } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join()).toContain('/values/ch4');
  });

  it('rejects a number too large to be finite (1e400 parses to Infinity)', () => {
    expect(telemetryPayload.check(JSON.parse('{"values":{"ch4":1e400}}')).ok).toBe(false);
  });

  it('rejects empty values, a missing values object and unknown properties', () => {
    expect(telemetryPayload.check({ values: {} }).ok).toBe(false);
    expect(telemetryPayload.check({ ts: NOW }).ok).toBe(false);
    expect(telemetryPayload.check({ values: { ch4: 1 }, extra: true }).ok).toBe(false);
  });

  it('rejects a timestamp in seconds and a metric name that is not a short ascii identifier', () => {
    expect(telemetryPayload.check({ ts: Math.round(NOW / 1000), values: { ch4: 1 } }).ok).toBe(false);
    expect(telemetryPayload.check({ values: { 'ch4 level': 1 } }).ok).toBe(false);
    expect(telemetryPayload.check({ values: { 甲烷: 1 } }).ok).toBe(false);
  });

  it('rejects an empty batch and a batch with one bad reading', () => {
    expect(telemetryPayload.check([]).ok).toBe(false);
    expect(telemetryPayload.check([{ values: { ch4: 1 } }, { values: { ch4: null } }]).ok).toBe(false);
  });

  it('takes the fast path for a plain reading only when the schema would accept it too', () => {
    const schema = TypeCompiler.Compile(TelemetryReading);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`m${i}`, i]));
    const payloads = [
      '{"ts":1795000000000,"values":{"ch4":1.25}}',
      '{"values":{"ch4":0,"t_c":-3.5e2}}',
      '{"values":{"a":1},"ts":1795000000000}',
      '{"ts":1795000000000.5,"values":{"ch4":1}}',
      '{"ts":"1795000000000","values":{"ch4":1}}',
      '{"ts":null,"values":{"ch4":1}}',
      '{"ts":946684799999,"values":{"ch4":1}}',
      '{"ts":4102444800001,"values":{"ch4":1}}',
      '{"values":{"ch4":1e400}}',
      '{"values":{"ch4":null}}',
      '{"values":{"ch4":true}}',
      '{"values":{"Ch4":1}}',
      '{"values":{"_x":1}}',
      `{"values":{"${'a'.repeat(33)}":1}}`,
      '{"values":{"__proto__":1}}',
      '{"values":{}}',
      '{"values":[1]}',
      '{"values":null}',
      '{"ts":1795000000000}',
      '{"values":{"ch4":1},"extra":1}',
      '{"__proto__":{"x":1},"values":{"ch4":1}}',
      JSON.stringify({ values: many }),
      '[{"values":{"ch4":1}}]',
      'null',
      '12',
    ];
    const verdicts = payloads.map((text) => {
      const value: unknown = JSON.parse(text);
      return { text, fast: isPlainReading(value), schema: schema.Check(value), checked: telemetryPayload.check(value).ok };
    });
    for (const v of verdicts.filter((v) => !v.text.startsWith('['))) expect(v.checked, v.text).toBe(v.schema);
    for (const v of verdicts.filter((v) => v.fast)) expect(v.schema, v.text).toBe(true);
    expect(verdicts.filter((v) => v.fast).map((v) => v.text)).toEqual(payloads.slice(0, 3));
  });
});

describe('device event payload', () => {
  it('accepts a fire-panel fire with its point and detail', () => {
    expect(deviceEvent.check({ ts: NOW, type: 'fire', point: '1-2-031', detail: '三楼走廊感烟' }).ok).toBe(true);
  });

  it('rejects an event type that is not in the contract', () => {
    const r = deviceEvent.check({ type: 'explosion' });
    expect(r.ok).toBe(false);
  });
});

describe('status payload', () => {
  it('is exactly online or offline', () => {
    expect(deviceStatusPayload.check('online').ok).toBe(true);
    expect(deviceStatusPayload.check('offline').ok).toBe(true);
    expect(deviceStatusPayload.check('up').ok).toBe(false);
  });
});

describe('topics', () => {
  it('parses tenant, device and channel', () => {
    expect(parseTopic('lifeline/v1/qx-gas/gas-0001/telemetry')).toEqual({ ok: true, tenant: 'qx-gas', device: 'gas-0001', channel: 'telemetry' });
  });

  it('rejects another version, a missing level and an unknown channel with a reason', () => {
    expect(parseTopic('lifeline/v2/a/b/telemetry').ok).toBe(false);
    expect(parseTopic('lifeline/v1/a/telemetry').ok).toBe(false);
    const r = parseTopic('lifeline/v1/a/b/metrics');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain('metrics');
  });
});

describe('API bodies and queries', () => {
  it('requires a note and a disposition to resolve an alert', () => {
    expect(resolveBody.check({}).ok).toBe(false);
    expect(resolveBody.check({ note: '' }).ok).toBe(false);
    // …and the disposition from the fixed list; a hazard only with its level and deadline.
    expect(resolveBody.check({ note: '已关阀通风，复测正常' }).ok).toBe(false);
    expect(resolveBody.check({ note: '已关阀通风，复测正常', disposition: 'real' }).ok).toBe(true);
    expect(resolveBody.check({ note: '已关阀通风，复测正常', disposition: 'unsure' }).ok).toBe(false);
    expect(resolveBody.check({ note: 'x', disposition: 'real', hazard: { level: 'major', deadline: 1 } }).ok).toBe(true);
    expect(resolveBody.check({ note: 'x', disposition: 'real', hazard: { level: 'major' } }).ok).toBe(false);
  });

  it('refuses an actor in an action body: the actor is the logged-in user', () => {
    expect(resolveBody.check({ actor: 'system', note: '已处置' }).ok).toBe(false);
    expect(acknowledgeBody.check({ actor: '张三' }).ok).toBe(false);
    expect(acknowledgeBody.check({}).ok).toBe(true);
  });

  it('accepts known alert filters and rejects unknown ones', () => {
    expect(alertQuery.check({ state: 'open', level: 'red', kind: 'gas', town: '太和镇' }).ok).toBe(true);
    expect(alertQuery.check({ level: 'purple' }).ok).toBe(false);
    expect(alertQuery.check({ colour: 'red' }).ok).toBe(false);
  });
});

describe('roles', () => {
  it('lets only a supervisor or admin sign off, and keeps auditors and enterprises from dispatching', () => {
    expect(ROLES.filter((r) => can(r, 'alerts:close'))).toEqual(['admin', 'supervisor']);
    expect(ROLES.filter((r) => can(r, 'alerts:dispatch'))).toEqual(['admin', 'supervisor', 'duty']);
    expect(ROLES.filter((r) => can(r, 'alerts:acknowledge'))).toEqual(['admin', 'supervisor', 'duty', 'enterprise']);
    expect(ROLES.filter((r) => can(r, 'audit:read'))).toEqual(['admin', 'supervisor', 'auditor']);
    expect(ROLES.filter((r) => can(r, 'deadletters:read'))).toEqual(['admin']);
    expect(ROLES.filter((r) => can(r, 'silences:any'))).toEqual(['admin', 'supervisor']);
  });
});
