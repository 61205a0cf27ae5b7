import type { Device, DeviceEvent } from '@lifeline/core';
import { numericLine, seriesKey, toLine } from '@lifeline/core/node';
import type { Reading } from './parse.js';

/** Registry tags every point carries; all bounded (no values, times or free text). */
export function deviceTags(device: Device, district: string): Record<string, string> {
  return { tenant: device.tenant, device: device.id, kind: device.kind, district, town: device.town };
}

/** The series key of a device's telemetry, built once per device. */
export function telemetrySeries(tags: Record<string, string>): string {
  return seriesKey('telemetry', tags);
}

export function telemetryLine(series: string, reading: Reading): string {
  return numericLine(series, reading.values, reading.ts);
}

export function eventLine(tags: Record<string, string>, event: DeviceEvent & { ts: number }): string {
  return toLine('device_event', { ...tags, type: event.type }, { count: { int: 1 }, point: event.point, detail: event.detail }, event.ts);
}

export function statusLine(tags: Record<string, string>, status: string, ts: number): string {
  return toLine('device_status', tags, { state: status, online: status === 'online' }, ts);
}
