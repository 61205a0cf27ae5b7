import {
  deviceEvent,
  deviceStatusPayload,
  parseTopic,
  telemetryPayload,
  type DeadLetterCode,
  type Device,
  type DeviceEvent,
  type DeviceStatusPayload,
  type TelemetryReading,
} from '@lifeline/core';

/** A reading with its time settled (the payload's, or receipt time). */
export interface Reading {
  ts: number;
  values: Record<string, number>;
}

export type Parsed =
  | { ok: true; channel: 'telemetry'; device: Device; readings: Reading[] }
  | { ok: true; channel: 'event'; device: Device; event: DeviceEvent & { ts: number } }
  | { ok: true; channel: 'status'; device: Device; status: DeviceStatusPayload; ts: number }
  | { ok: false; code: DeadLetterCode; reason: string; tenant?: string; device?: string };

/** Readings may come from buffered devices, but not from the far future. */
const MAX_FUTURE_MS = 5 * 60_000;

/**
 * Turns one MQTT message into a validated, registry-checked message, or a
 * rejection with a specific reason. Never throws.
 */
export function parseMessage(topic: string, payload: Buffer, lookup: (id: string) => Device | undefined, now: number): Parsed {
  const t = parseTopic(topic);
  if (!t.ok) return { ok: false, code: 'bad_topic', reason: t.reason };
  const who = { tenant: t.tenant, device: t.device };
  const device = lookup(t.device);
  if (!device) return { ok: false, code: 'unknown_device', reason: `device "${t.device}" is not registered`, ...who };
  if (device.tenant !== t.tenant) {
    return {
      ok: false,
      code: 'tenant_mismatch',
      reason: `device "${t.device}" belongs to tenant "${device.tenant}", not "${t.tenant}"`,
      ...who,
    };
  }

  if (t.channel === 'status') {
    const text = payload.toString('utf8').trim();
    const s = deviceStatusPayload.check(text);
    if (!s.ok) return { ok: false, code: 'invalid_payload', reason: `status must be "online" or "offline", got "${text.slice(0, 40)}"`, ...who };
    return { ok: true, channel: 'status', device, status: s.value, ts: now };
  }

  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return { ok: false, code: 'bad_json', reason: `payload is not JSON: ${(err as Error).message}`, ...who };
  }

  if (t.channel === 'event') {
    const e = deviceEvent.check(json);
    if (!e.ok) return { ok: false, code: 'invalid_payload', reason: `event: ${e.errors.join('; ')}`, ...who };
    const ts = e.value.ts ?? now;
    if (ts > now + MAX_FUTURE_MS) return { ok: false, code: 'bad_timestamp', reason: `event ts ${ts} is in the future`, ...who };
    return { ok: true, channel: 'event', device, event: { ...e.value, ts } };
  }

  const v = telemetryPayload.check(json);
  if (!v.ok) return { ok: false, code: 'invalid_payload', reason: `telemetry: ${v.errors.join('; ')}`, ...who };
  const list: TelemetryReading[] = Array.isArray(v.value) ? v.value : [v.value];
  const readings: Reading[] = [];
  for (const r of list) {
    const ts = r.ts ?? now;
    if (ts > now + MAX_FUTURE_MS) return { ok: false, code: 'bad_timestamp', reason: `telemetry ts ${ts} is in the future`, ...who };
    readings.push({ ts, values: r.values });
  }
  return { ok: true, channel: 'telemetry', device, readings };
}
