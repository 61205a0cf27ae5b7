/** The REST contract of the platform, typed with core's definitions. Same origin. */
import type {
  Alert,
  AlertQuery,
  DeadLetter,
  DeadLetterCode,
  DeviceHistory,
  DeviceView,
  DistrictMeta,
  Health,
  NotificationView,
  Silence,
  TimelineEntry,
} from '@lifeline/core';

export type Meta = DistrictMeta;
export type History = DeviceHistory;

export type { TimelineEntry, Silence, NotificationView } from '@lifeline/core';

export type SilenceScope = { device: string } | { site: string } | { tenant: string };
export type NewSilence = SilenceScope & { from: number; to: number; reason: string; actor: string };

/** `GET /api/dead-letters`. */
export interface DeadLetters {
  total: number;
  byCode: Partial<Record<DeadLetterCode, number>>;
  items: DeadLetter[];
}

/** `GET /api/notifications`: counters by delivery state, and the newest messages. */
export type Notifications = Record<string, unknown> & { items: NotificationView[] };

/** A failed request, carrying the server's `{error, details}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const REQUEST_TIMEOUT_MS = 15_000;

async function request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
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
      throw new ApiError(res.status, details.length ? `${msg} (${details.join('; ')})` : msg, details);
    }
    // A DELETE may answer 204 with no body.
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

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  meta: () => request<Meta>('GET', '/api/meta'),
  devices: () => request<DeviceView[]>('GET', '/api/devices'),
  history: (id: string, minutes = 60, points = 120) =>
    request<History>('GET', `/api/devices/${encodeURIComponent(id)}/history${query({ minutes, points })}`),
  alerts: (q: AlertQuery = { state: 'open' }) =>
    request<Alert[]>('GET', `/api/alerts${query(q as Record<string, string | number | undefined>)}`),
  acknowledge: (id: string, actor: string, note?: string) =>
    request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/acknowledge`, note ? { actor, note } : { actor }),
  dispatch: (id: string, actor: string, unit: string, note?: string) =>
    request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/dispatch`, note ? { actor, unit, note } : { actor, unit }),
  resolve: (id: string, actor: string, note: string) =>
    request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/resolve`, { actor, note }),
  close: (id: string, actor: string, note?: string) =>
    request<Alert>('POST', `/api/alerts/${encodeURIComponent(id)}/close`, note ? { actor, note } : { actor }),
  timeline: (id: string) => request<TimelineEntry[]>('GET', `/api/alerts/${encodeURIComponent(id)}/timeline`),
  silences: () => request<Silence[]>('GET', '/api/silences'),
  silence: (s: NewSilence) => request<Silence>('POST', '/api/silences', s),
  unsilence: (id: string) => request<unknown>('DELETE', `/api/silences/${encodeURIComponent(id)}`),
  notifications: (limit = 200) => request<Notifications>('GET', `/api/notifications${query({ limit })}`),
  deadLetters: (limit = 200) => request<DeadLetters>('GET', `/api/dead-letters${query({ limit })}`),
};
