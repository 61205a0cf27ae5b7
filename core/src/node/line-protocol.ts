/**
 * InfluxDB line protocol. Measurement names escape commas and spaces; tag keys,
 * tag values and field keys escape commas, equals signs and spaces; string field
 * values are double-quoted with `"` and `\` escaped. Newlines cannot appear in
 * any of them, so they become spaces. UTF-8 (Chinese text) needs no escaping.
 */
export function escapeMeasurement(s: string): string {
  return s.replace(/[\r\n]/g, ' ').replace(/([, \\])/g, '\\$1');
}

export function escapeKey(s: string): string {
  return s.replace(/[\r\n]/g, ' ').replace(/([,= \\])/g, '\\$1');
}

export function escapeStringField(s: string): string {
  return `"${s.replace(/[\r\n]/g, ' ').replace(/(["\\])/g, '\\$1')}"`;
}

export type FieldValue = number | string | boolean | { int: number };

export class LineProtocolError extends Error {}

function fieldValue(key: string, v: FieldValue): string {
  if (typeof v === 'number') {
    // NaN and Infinity have no line-protocol form: refuse at the point, not at the server.
    if (!Number.isFinite(v)) throw new LineProtocolError(`field "${key}" is not a finite number`);
    return String(v);
  }
  if (typeof v === 'string') return escapeStringField(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (!Number.isInteger(v.int)) throw new LineProtocolError(`field "${key}" is not an integer`);
  return `${v.int}i`;
}

/** `measurement,tag=value,…` with tags sorted and escaped: build once per series, reuse per point. */
export function seriesKey(measurement: string, tags: Record<string, string | undefined>): string {
  let key = escapeMeasurement(measurement);
  for (const k of Object.keys(tags).sort()) {
    const v = tags[k];
    if (v === undefined || v === '') continue;
    key += `,${escapeKey(k)}=${escapeKey(v)}`;
  }
  return key;
}

/**
 * Numeric fields after a prebuilt series key. Field names must already be safe
 * (telemetry metric names are checked against METRIC_NAME at the boundary).
 */
export function numericLine(series: string, fields: Record<string, number>, timeMs: number): string {
  let line = series;
  let sep = ' ';
  for (const k in fields) {
    const v = fields[k]!;
    if (!Number.isFinite(v)) throw new LineProtocolError(`field "${k}" is not a finite number`);
    line += `${sep}${k}=${v}`;
    sep = ',';
  }
  if (sep === ' ') throw new LineProtocolError(`point in "${series}" has no fields`);
  return `${line} ${Math.trunc(timeMs)}`;
}

/**
 * One point as a line. Tags are sorted (InfluxDB's preferred order); empty tag
 * values are left out, since the protocol cannot carry them. Time is in ms.
 */
export function toLine(measurement: string, tags: Record<string, string | undefined>, fields: Record<string, FieldValue | undefined>, timeMs?: number): string {
  let line = seriesKey(measurement, tags);
  let sep = ' ';
  let n = 0;
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    line += `${sep}${escapeKey(k)}=${fieldValue(k, v)}`;
    sep = ',';
    n++;
  }
  if (n === 0) throw new LineProtocolError(`point in "${measurement}" has no fields`);
  if (timeMs !== undefined) line += ` ${Math.trunc(timeMs)}`;
  return line;
}
