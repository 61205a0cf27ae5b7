/**
 * The one path to InfluxDB's v1 HTTP API besides the batch writer: queries,
 * direct writes of derived points, database creation and ping, with the credentials in an `Authorization`
 * header (never `u=`/`p=` in a URL, where proxies and logs keep them), and the
 * quoting of whatever a query interpolates.
 */

export interface InfluxTarget {
  url: string;
  db: string;
  username?: string;
  password?: string;
}

/** One series of a query result; with `epoch=ms`, `time` is a number of ms. */
export interface InfluxSeries {
  name?: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

const QUERY_TIMEOUT_MS = 30_000;
const CREATE_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 2000;

/** Headers for a request to `t`: Basic auth when a username is set (InfluxDB 1.x takes it on /write and /query). */
export function influxHeaders(t: InfluxTarget, extra: Record<string, string> = {}): Record<string, string> {
  if (!t.username) return extra;
  const basic = Buffer.from(`${t.username}:${t.password ?? ''}`, 'utf8').toString('base64');
  return { ...extra, authorization: `Basic ${basic}` };
}

/**
 * An InfluxQL string literal: `'…'` with backslash, quote and new line escaped
 * (InfluxQL refuses a raw new line, and reads `\\`, `\'` and `\n` back).
 */
export function influxString(s: string): string {
  return `'${escapeQuoted(s, "'")}'`;
}

/** An InfluxQL identifier (database, measurement, field or tag key): `"…"`, escaped like a string. */
export function influxIdent(s: string): string {
  return `"${escapeQuoted(s, '"')}"`;
}

function escapeQuoted(s: string, quote: string): string {
  return s.replace(/\\/g, '\\\\').replaceAll(quote, `\\${quote}`).replace(/\n/g, '\\n');
}

/** Runs InfluxQL and returns the series of the first statement (times in ms). */
export async function influxQuery(t: InfluxTarget, q: string): Promise<InfluxSeries[]> {
  const url = `${t.url}/query?db=${encodeURIComponent(t.db)}&epoch=ms&q=${encodeURIComponent(q)}`;
  const res = await fetch(url, { headers: influxHeaders(t), signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) });
  const body = await jsonBody<{ results?: { series?: InfluxSeries[]; error?: string }[]; error?: string }>(res);
  const error = body?.error ?? body?.results?.[0]?.error;
  if (!res.ok || error || !body) throw new Error(`InfluxDB query failed: ${error ?? `HTTP ${res.status}`}`);
  return body.results?.[0]?.series ?? [];
}

/**
 * Writes lines at once, in one request (ms precision), throwing on anything
 * but 204: for derived points that can be made again (the statistics
 * rollups), which need no spool and must be readable when this resolves.
 */
export async function influxWrite(t: InfluxTarget, lines: string[]): Promise<void> {
  if (!lines.length) return;
  const res = await fetch(`${t.url}/write?db=${encodeURIComponent(t.db)}&precision=ms`, {
    method: 'POST',
    headers: influxHeaders(t, { 'content-type': 'text/plain; charset=utf-8' }),
    body: lines.join('\n'),
    signal: AbortSignal.timeout(QUERY_TIMEOUT_MS),
  });
  if (res.status !== 204) throw new Error(`InfluxDB write failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
}

/** Creates the database if it does not exist (idempotent in InfluxDB 1.x). */
export async function ensureDatabase(t: InfluxTarget): Promise<void> {
  const res = await fetch(`${t.url}/query`, {
    method: 'POST',
    headers: influxHeaders(t, { 'content-type': 'application/x-www-form-urlencoded' }),
    body: new URLSearchParams({ q: `CREATE DATABASE ${influxIdent(t.db)}` }),
    signal: AbortSignal.timeout(CREATE_TIMEOUT_MS),
  });
  const text = await res.text();
  if (!res.ok || text.includes('"error"')) throw new Error(`could not create InfluxDB database ${t.db}: ${res.status} ${text.slice(0, 300)}`);
}

export async function pingInflux(t: InfluxTarget): Promise<{ ok: boolean; detail?: string }> {
  try {
    const res = await fetch(`${t.url}/ping`, { headers: influxHeaders(t), signal: AbortSignal.timeout(PING_TIMEOUT_MS) });
    await res.arrayBuffer();
    return res.status === 204 ? { ok: true, detail: res.headers.get('x-influxdb-version') ?? undefined } : { ok: false, detail: `ping ${res.status}` };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** The JSON of a response, or null when it has none (a proxy's HTML error page, an empty 401). */
async function jsonBody<T>(res: Response): Promise<T | null> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
