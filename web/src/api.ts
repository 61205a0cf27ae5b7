/**
 * The REST contract of the platform, typed with core's definitions. Same origin:
 * the session rides in an HttpOnly cookie the page never sees. Every 401 of a
 * call that needs a session is reported to one handler (the session module),
 * which brings the login page back.
 */
import { ROLES } from '@lifeline/core';
import type {
  AcknowledgeBody,
  Alert,
  AlertQuery,
  ResolveBody,
  AuditEntry,
  AuditQuery,
  DeadLetterList,
  DeviceHistory,
  DeviceListCompact,
  DeviceView,
  DistrictMeta,
  Me,
  NotificationList,
  Silence,
  SilenceInput,
  TimelineEntry,
} from '@lifeline/core';

export type Meta = DistrictMeta;
export type History = DeviceHistory;

export type { TimelineEntry, Silence, SilenceInput, NotificationView, NotificationList, DeadLetterList, AuditEntry, Me } from '@lifeline/core';

/** A failed request, carrying the server's `{error, details}` when it sent one. */
export class ApiError extends Error {
  constructor(
    /** 0 when the server could not be reached or did not answer in time. */
    readonly status: number,
    message: string,
    readonly details: string[] = [],
    /** From `Retry-After` (429, 503), in seconds. */
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isUnauthorized = (err: unknown): boolean => err instanceof ApiError && err.status === 401;
export const isForbidden = (err: unknown): boolean => err instanceof ApiError && err.status === 403;

const REQUEST_TIMEOUT_MS = 15_000;

/** Called with the time (`performance.now()`) the refused request was sent. */
let onUnauthorized: (sentAt: number) => void = () => {};

/**
 * Told of every 401 from a call that needs a session (not from login or me,
 * whose 401 is an answer). The send time lets a request that left before a
 * fresh login be told apart from one the new session got refused.
 */
export function setUnauthorizedHandler(handler: (sentAt: number) => void): void {
  onUnauthorized = handler;
}

/** `Retry-After` as seconds (the header may also be an HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const at = Date.parse(s);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - now) / 1000)) : null;
}

interface RequestOptions {
  /** A 401 is this call's answer (login, me), not a lost session. */
  anonymous?: boolean;
}

export async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  const sentAt = performance.now();
  try {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: ctl.signal,
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: reported below */
    }
    if (!res.ok) {
      const e = json as { error?: unknown; details?: unknown } | undefined;
      const msg = typeof e?.error === 'string' ? e.error : `HTTP ${res.status}`;
      const details = Array.isArray(e?.details) ? e.details.map(String) : [];
      const err = new ApiError(res.status, details.length ? `${msg} (${details.join('; ')})` : msg, details, parseRetryAfter(res.headers.get('retry-after')));
      if (res.status === 401 && !opts.anonymous) {
        try {
          onUnauthorized(sentAt);
        } catch (handlerErr) {
          console.error('unauthorized handler failed', handlerErr);
        }
      }
      throw err;
    }
    // A DELETE or a logout may answer 204 with no body.
    if (json === undefined && (res.status === 204 || method === 'DELETE')) return undefined as T;
    if (json === undefined) throw new ApiError(res.status, `${method} ${path}: response is not JSON`);
    return json as T;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (ctl.signal.aborted) throw new ApiError(0, `${method} ${path}: timed out`);
    throw new ApiError(0, `${method} ${path}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const alertAction = <B extends object>(id: string, action: string, body: B) => request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/${action}`, body);

export const api = {
  /** The person behind the session cookie, or null when there is none (401). */
  me: (): Promise<Me | null> =>
    request<unknown>('GET', '/api/me', undefined, { anonymous: true }).then(asMe, (err: unknown) => {
      if (isUnauthorized(err)) return null;
      throw err;
    }),
  /** 401: wrong pair; 429: too many failures (`retryAfterS`); 400: malformed body. */
  login: (username: string, password: string): Promise<Me> => request<unknown>('POST', '/api/login', { username, password }, { anonymous: true }).then(asMe),
  logout: () => request<void>('POST', '/api/logout', undefined, { anonymous: true }),
  meta: () => request<Meta>('GET', '/api/meta'),
  /** Every device the person may see, in columns (a city's worth in a few MB). */
  devices: () => request<DeviceListCompact>('GET', '/api/devices?format=compact'),
  /** One device's whole view: name, place, status, latest values. */
  device: (id: string) => request<DeviceView>('GET', `/api/devices/${encodeURIComponent(id)}`),
  history: (id: string, minutes = 60, points = 120) => request<History>('GET', `/api/devices/${encodeURIComponent(id)}/history${query({ minutes, points })}`),
  alerts: (q: AlertQuery = { state: 'open' }) => request<Alert[]>('GET', `/api/alerts${query(q as Record<string, string | number | undefined>)}`),
  // The actor of every action is the logged-in person, taken by the server from the session.
  acknowledge: (id: string, b: AcknowledgeBody = {}) => alertAction(id, 'acknowledge', b),
  dispatch: (id: string, unit: string, note?: string) => alertAction(id, 'dispatch', note ? { unit, note } : { unit }),
  /** With the disposition; a real one may open a hazard in the same step. */
  resolve: (id: string, b: ResolveBody) => alertAction(id, 'resolve', b),
  close: (id: string, note?: string) => alertAction(id, 'close', note ? { note } : {}),
  timeline: (id: string) => request<TimelineEntry[]>('GET', `/api/alerts/${encodeURIComponent(id)}/timeline`),
  silences: () => request<Silence[]>('GET', '/api/silences'),
  silence: (s: SilenceInput) => request<Silence>('POST', '/api/silences', s),
  /** Ends a silence now; it stays in the list, ended. */
  endSilence: (id: string) => request<Silence | undefined>('DELETE', `/api/silences/${encodeURIComponent(id)}`),
  notifications: (limit = 200) => request<NotificationList>('GET', `/api/notifications${query({ limit })}`),
  deadLetters: (limit = 200) => request<DeadLetterList>('GET', `/api/dead-letters${query({ limit })}`),
  audit: (q: AuditQuery) => request<AuditEntry[]>('GET', `/api/audit${query(q as Record<string, string | number | undefined>)}`),
};

/** The JSON of `GET /api/me` and `POST /api/login`, checked by hand: a compiled validator needs eval, which the CSP forbids. */
function asMe(value: unknown): Me {
  const v = value as Partial<Record<keyof Me, unknown>> | null;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    typeof v.username === 'string' &&
    typeof v.displayName === 'string' &&
    typeof v.role === 'string' &&
    (ROLES as readonly string[]).includes(v.role) &&
    (v.tenant === null || v.tenant === undefined || typeof v.tenant === 'string');
  if (!ok) throw new ApiError(502, 'the server answered with an unexpected person record');
  const me = v as Me;
  return { id: me.id, username: me.username, displayName: me.displayName, role: me.role, tenant: me.tenant ?? null };
}
