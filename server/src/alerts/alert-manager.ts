import { randomBytes } from 'node:crypto';
import {
  isOpen,
  levelRank,
  moreSevere,
  type Alert,
  type AlertAction,
  type AlertQuery,
  type Device,
  type Level,
  type Signal,
} from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { AlertLog } from './alert-log.js';

const log = logger('alerts');

/** Repeats of an ongoing alert are logged at most this often; level changes at once. */
const UPDATE_LOG_EVERY_MS = 10_000;
/** Closed alerts kept in memory for the API; the full history is in InfluxDB. */
const RECENT_CLOSED_MAX = 2000;
/** Levels whose alerts resolve themselves when the condition clears; red and orange never do. */
const AUTO_RESOLVE: ReadonlySet<Level> = new Set(['blue', 'yellow']);
export const SYSTEM_ACTOR = 'system';

export class AlertError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface AlertChange {
  alert: Alert;
  action: AlertAction;
  /** False for a plain repeat (count/value), which listeners may throttle. */
  important: boolean;
}

export interface AlertManagerOptions {
  lookup: (id: string) => Device | undefined;
  log: AlertLog;
  onChange?: (change: AlertChange) => void;
  now?: () => number;
}

/**
 * One open alert per (device, rule): signals raise it, repeats update it (count,
 * last value, peak, level upgraded), operators acknowledge and resolve it. Every
 * change is appended to the alert log and passed to `onChange`.
 */
export class AlertManager {
  private readonly open = new Map<string, Alert>(); // by id
  private readonly openByKey = new Map<string, Alert>(); // by device|rule
  private readonly recentClosed: Alert[] = [];
  private readonly lastLogged = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: AlertManagerOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Open alerts rebuilt from the log at start-up. */
  restore(alerts: Alert[]): void {
    for (const a of alerts) {
      this.open.set(a.id, a);
      this.openByKey.set(keyOf(a.device, a.rule), a);
    }
    if (alerts.length) log.info({ open: alerts.length }, 'open alerts restored from the alert log');
  }

  onSignal(s: Signal): void {
    const key = keyOf(s.device, s.rule);
    const existing = this.openByKey.get(key);
    if (s.level === null) {
      if (existing && existing.clearedAt === null) this.clear(existing, s);
      return;
    }
    if (existing) this.repeat(existing, s, s.level);
    else this.raise(s, s.level);
  }

  acknowledge(id: string, actor: string, note?: string): Alert {
    const a = this.mustGet(id);
    if (a.state !== 'raised') throw new AlertError(409, `alert ${id} is ${a.state}, not raised`);
    const t = this.now();
    Object.assign(a, { state: 'acknowledged', acknowledgedAt: t, acknowledgedBy: actor, updatedAt: t }, note ? { note } : {});
    this.changed(a, 'acknowledged', { actor, note });
    return a;
  }

  resolve(id: string, actor: string, note: string): Alert {
    const a = this.mustGet(id);
    if (!isOpen(a.state)) throw new AlertError(409, `alert ${id} is already ${a.state}`);
    this.close(a, actor, note);
    return a;
  }

  /** Waits until the log holds every change made so far. */
  flush(): Promise<void> {
    return this.opts.log.flush();
  }

  get(id: string): Alert | undefined {
    return this.open.get(id) ?? this.recentClosed.find((a) => a.id === id);
  }

  /** Most severe first, then newest. */
  list(q: AlertQuery = {}): Alert[] {
    const pool = q.state === 'open' || (q.state && isOpen(q.state)) ? [...this.open.values()] : [...this.open.values(), ...this.recentClosed];
    const out = pool.filter(
      (a) =>
        (!q.state || (q.state === 'open' ? isOpen(a.state) : a.state === q.state)) &&
        (!q.level || a.level === q.level) &&
        (!q.kind || a.kind === q.kind) &&
        (!q.town || a.town === q.town) &&
        (!q.tenant || a.tenant === q.tenant),
    );
    out.sort((a, b) => levelRank(b.level) - levelRank(a.level) || b.raisedAt - a.raisedAt);
    return out.slice(0, q.limit ?? 1000);
  }

  /** The worst level among a device's open alerts. */
  worstLevel(deviceId: string): Level | null {
    let worst: Level | null = null;
    for (const a of this.open.values()) if (a.device === deviceId) worst = worst ? moreSevere(worst, a.level) : a.level;
    return worst;
  }

  /** The worst open level of every device that has one, in one pass. */
  worstLevels(): Map<string, Level> {
    const out = new Map<string, Level>();
    for (const a of this.open.values()) {
      const w = out.get(a.device);
      out.set(a.device, w ? moreSevere(w, a.level) : a.level);
    }
    return out;
  }

  get openCount(): number {
    return this.open.size;
  }

  private raise(s: Signal, level: Level): void {
    const d = this.opts.lookup(s.device);
    if (!d) {
      log.warn({ device: s.device }, 'signal for a device not in the registry ignored');
      return;
    }
    const t = this.now();
    const a: Alert = {
      id: `${t.toString(36)}-${randomBytes(3).toString('hex')}`,
      device: d.id,
      tenant: d.tenant,
      kind: d.kind,
      name: d.name,
      town: d.town,
      lon: d.lon,
      lat: d.lat,
      rule: s.rule,
      ruleType: s.ruleType,
      level,
      state: 'raised',
      count: 1,
      raisedAt: t,
      updatedAt: t,
      clearedAt: null,
      ...signalFacts(s),
      ...(s.value !== undefined ? { peak: s.value } : {}),
    };
    this.open.set(a.id, a);
    this.openByKey.set(keyOf(a.device, a.rule), a);
    this.changed(a, 'raised');
  }

  private repeat(a: Alert, s: Signal, level: Level): void {
    const upgraded = levelRank(level) > levelRank(a.level);
    const wasCleared = a.clearedAt !== null;
    a.count++;
    a.updatedAt = this.now();
    a.clearedAt = null;
    if (upgraded) a.level = level;
    Object.assign(a, signalFacts(s, upgraded ? undefined : a.threshold));
    if (s.value !== undefined) a.peak = a.peak === undefined ? s.value : s.direction === 'below' ? Math.min(a.peak, s.value) : Math.max(a.peak, s.value);
    const due = a.updatedAt - (this.lastLogged.get(a.id) ?? 0) >= UPDATE_LOG_EVERY_MS;
    this.changed(a, 'updated', { important: upgraded || wasCleared, logged: upgraded || wasCleared || due });
  }

  private clear(a: Alert, s: Signal): void {
    a.clearedAt = s.ts;
    a.updatedAt = this.now();
    if (s.value !== undefined) a.value = s.value;
    this.changed(a, 'cleared');
    if (AUTO_RESOLVE.has(a.level)) this.close(a, SYSTEM_ACTOR, '条件已恢复，自动解除 (condition cleared)');
  }

  private close(a: Alert, actor: string, note: string): void {
    const t = this.now();
    Object.assign(a, { state: 'resolved', resolvedAt: t, resolvedBy: actor, note, updatedAt: t });
    this.open.delete(a.id);
    if (this.openByKey.get(keyOf(a.device, a.rule)) === a) this.openByKey.delete(keyOf(a.device, a.rule));
    this.lastLogged.delete(a.id);
    this.recentClosed.unshift(a);
    if (this.recentClosed.length > RECENT_CLOSED_MAX) this.recentClosed.pop();
    this.changed(a, 'resolved', { actor, note });
  }

  private changed(a: Alert, action: AlertAction, o: { actor?: string; note?: string; important?: boolean; logged?: boolean } = {}): void {
    if (o.logged ?? true) {
      this.opts.log.append({ alert: { ...a }, action, actor: o.actor, note: o.note });
      this.lastLogged.set(a.id, a.updatedAt);
    }
    try {
      this.opts.onChange?.({ alert: a, action, important: o.important ?? true });
    } catch (err) {
      log.error({ err }, 'alert change listener failed');
    }
  }

  private mustGet(id: string): Alert {
    const a = this.open.get(id) ?? this.recentClosed.find((x) => x.id === id);
    if (!a) throw new AlertError(404, `no alert with id ${id}`);
    return a;
  }
}

function keyOf(device: string, rule: string): string {
  return `${device}|${rule}`;
}

/** The facts of a signal that an alert shows; `keepThreshold` keeps the bound of a higher level already reached. */
function signalFacts(s: Signal, keepThreshold?: number): Partial<Alert> {
  const f: Partial<Alert> = {};
  if (s.metric !== undefined) f.metric = s.metric;
  if (s.event !== undefined) f.event = s.event;
  if (s.value !== undefined) f.value = s.value;
  const th = keepThreshold ?? s.threshold;
  if (th !== undefined) f.threshold = th;
  return f;
}
