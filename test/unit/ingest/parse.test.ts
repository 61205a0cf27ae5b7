import { describe, expect, it } from 'vitest';
import type { Device } from '@lifeline/core';
import { parseMessage } from '@lifeline/ingest';

const NOW = 1_795_000_000_000;
const gas: Device = { id: 'gas-1', tenant: 'qx-gas', kind: 'gas', name: '太和镇某酒家 厨房燃气探测器', town: '太和镇', lon: 113.0, lat: 23.7 };
const lookup = (id: string) => (id === gas.id ? gas : undefined);
const parse = (topic: string, payload: string) => parseMessage(topic, Buffer.from(payload), lookup, NOW);

describe('parsing an MQTT message', () => {
  it('accepts a registered device on its own tenant and stamps receipt time when ts is missing', () => {
    const p = parse('lifeline/v1/qx-gas/gas-1/telemetry', '{"values":{"ch4":3.5}}');
    expect(p).toMatchObject({ ok: true, channel: 'telemetry', readings: [{ ts: NOW, values: { ch4: 3.5 } }] });
  });

  it('splits a batch into readings with their own timestamps', () => {
    const p = parse(
      'lifeline/v1/qx-gas/gas-1/telemetry',
      JSON.stringify([
        { ts: NOW - 2000, values: { ch4: 1 } },
        { ts: NOW - 1000, values: { ch4: 2 } },
      ]),
    );
    expect(p.ok && p.channel === 'telemetry' && p.readings.map((r) => r.ts)).toEqual([NOW - 2000, NOW - 1000]);
  });

  it.each([
    ['a topic outside the contract', 'lifeline/v1/qx-gas/gas-1', '{}', 'bad_topic'],
    ['an unknown device', 'lifeline/v1/qx-gas/gas-9/telemetry', '{"values":{"ch4":1}}', 'unknown_device'],
    ['a device of another tenant', 'lifeline/v1/city/gas-1/telemetry', '{"values":{"ch4":1}}', 'tenant_mismatch'],
    ['a payload that is not JSON', 'lifeline/v1/qx-gas/gas-1/telemetry', '{"values":', 'bad_json'],
    ['values that are not numbers', 'lifeline/v1/qx-gas/gas-1/telemetry', '{"values":{"ch4":"12"}}', 'invalid_payload'],
    ['a reading from the future', 'lifeline/v1/qx-gas/gas-1/telemetry', `{"ts":${NOW + 3_600_000},"values":{"ch4":1}}`, 'bad_timestamp'],
    ['an unknown event type', 'lifeline/v1/qx-gas/gas-1/event', '{"type":"boom"}', 'invalid_payload'],
    ['a status that is not online/offline', 'lifeline/v1/qx-gas/gas-1/status', 'maybe', 'invalid_payload'],
  ])('rejects %s with code %s and a reason', (_what, topic, payload, code) => {
    const p = parse(topic, payload);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.code).toBe(code);
      expect(p.reason.length).toBeGreaterThan(10);
    }
  });

  it('names the bad field in the reason', () => {
    const p = parse('lifeline/v1/qx-gas/gas-1/telemetry', '{"values":{"ch4":"12"}}');
    expect(!p.ok && p.reason).toContain('/values/ch4');
  });

  it('accepts events and a plain-text status', () => {
    expect(parse('lifeline/v1/qx-gas/gas-1/event', '{"type":"fault","detail":"传感器故障"}')).toMatchObject({
      ok: true,
      channel: 'event',
      event: { type: 'fault', ts: NOW },
    });
    expect(parse('lifeline/v1/qx-gas/gas-1/status', 'offline')).toMatchObject({ ok: true, channel: 'status', status: 'offline' });
  });
});
