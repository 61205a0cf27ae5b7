import type { Device, DeviceEvent } from '@lifeline/core';
import { toLine } from '@lifeline/core/node';
import type { Reading } from './parse.js';

/** Registry tags every point carries; all bounded (no values, times or free text). */
export function deviceTags(device: Device, district: string): Record<string, string> {
  return { tenant: device.tenant, device: device.id, kind: device.kind, district, town: device.town };
}

export function telemetryLine(tags: Record<string, string>, reading: Reading): string {
  return toLine('telemetry', tags, reading.values, reading.ts);
}

export function eventLine(tags: Record<string, string>, event: DeviceEvent & { ts: number }): string {
  return toLine('device_event', { ...tags, type: event.type }, { count: { int: 1 }, point: event.point, detail: event.detail }, event.ts);
}

export function statusLine(tags: Record<string, string>, status: string, ts: number): string {
  return toLine('device_status', tags, { state: status, online: status === 'online' }, ts);
}
