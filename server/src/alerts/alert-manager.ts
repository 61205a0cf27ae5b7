import { randomBytes } from 'node:crypto';
import {
  ALERT_TRANSITIONS,
  AREA_OFFLINE_SITE,
  DeadlineQueue,
  isOpen,
  levelRank,
  moreSevere,
  SYSTEM_ACTOR,
  transitionRefusal,
  upgradeLegacySilence,
  type Alert,
  type AlertAction,
  type AlertCommand,
  type AlertQuery,
  type Device,
  type LegacySilenceFields,
  type Level,
  type NotifyReason,
  type Signal,
} from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { AlertLog } from './alert-log.js';
import { escalationDueAt, type EscalationLimits } from './escalation.js';
import { FlapDetector, type FlapOptions } from './flap.js';

const log = logger('alerts');

/** Repeats of an ongoing alert are logged at most this often; level changes at once. */
const UPDATE_LOG_EVERY_MS = 10_000;
/** Closed (signed-off) alerts kept in memory for the API; the full history is in InfluxDB. */
const RECENT_CLOSED_MAX = 2000;
/** Levels whose alerts resolve themselves when the condition clears; red and orange never do. */
const AUTO_RESOLVE: ReadonlySet<Level> = new Set(['blue', 'yellow']);
/** How often deadlines (escalation) and flapping are checked. */
const TICK_MS = 1000;
/** An alert due while in a maintenance silence is looked at again this much later. */
const SILENCE_RECHECK_MS = 5000;
/** Alerts escalated per tick at most; the rest the next tick (a mass event never stalls the loop). */
const ESCALATIONS_PER_TICK = 2000;

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
  /** Set when the change is worth a message to people: a new alert, a higher level, an escalation. */
  notify?: NotifyReason;
}

/** Which maintenance silence, if any, covers an alert at a time. */
export interface SilenceMatcher {
  match(alert: Pick<Alert, 'device' | 'tenant' | 'site'>, at: number): { id: string } | undefined;
}

export interface AlertManagerOptions {
  lookup: (id: string) => Device | undefined;
  log: AlertLog;
  onChange?: (change: AlertChange) => void;
  /** The clock; fake in tests. Every deadline is computed from it and the alert's persisted times. */
  now?: () => number;
  escalation?: EscalationLimits;
  silences?: SilenceMatcher;
  flap?: Partial<FlapOptions>;
  tickMs?: number;
}

export const DEFAULT_ESCALATION: EscalationLimits = { minutes: { red: 5, orange: 15, yellow: 60, blue: 240 }, dispatchOverdueMinutes: 120 };

/**
 * One alert per (device, rule) — or (site, rule) for a site-level condition —
 * while it is open: signals raise it, repeats update it (count, last value,
 * peak, level upgraded). People acknowledge, dispatch, resolve and close (销号)
 * it; unacted alerts escalate. Every change is appended to the alert log and
 * passed to `onChange`. Resolved alerts stay in memory until signed off.
 */
export class AlertManager {
  /** Open and resolved-but-not-closed alerts, by id. */
  private readonly active = new Map<string, Alert>();
  /** Open alerts by key. */
  private readonly openByKey = new Map<string, Alert>();
  /**
   * Indexes kept with openByKey and active, so that raising, updating and
   * finding an alert cost the same with ten open alerts or ten thousand:
   * a device's open alerts, a site's open correlation alert, a site's device alerts.
   */
  private readonly openByDevice = new Map<string, Set<Alert>>();
  private readonly openSiteAlert = new Map<string, Alert>();
  private readonly activeAtSite = new Map<string, Set<Alert>>();
  private readonly closedById = new Map<string, Alert>();
  private readonly recentClosed: Alert[] = [];
  private readonly lastLogged = new Map<string, number>();
  /** When each open alert escalates next (lazy: re-checked when it comes due), so a tick costs what is due. */
  private readonly due = new DeadlineQueue();
  /** Open alerts silenced as flapping: the only ones a tick looks at to lift the silence. */
  private readonly flapSilenced = new Set<Alert>();
  /** Open offline alerts (for the area-wide offline alert to fold and unfold), and the open area alert. */
  private readonly openOffline = new Set<Alert>();
  private areaAlert: Alert | null = null;
  private readonly now: () => number;
  private readonly limits: EscalationLimits;
  private readonly flaps: FlapDetector;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: AlertManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.limits = opts.escalation ?? DEFAULT_ESCALATION;
    this.flaps = new FlapDetector(opts.flap);
  }

  /**
   * Open and awaiting-sign-off alerts rebuilt from the log at start-up; their
   * deadlines follow from their times. Alerts logged in the old silence format
   * are read in today's.
   */
  restore(alerts: readonly (Alert & LegacySilenceFields)[]): void {
    for (const logged of alerts) {
      if (logged.state === 'closed') continue;
      const a = upgradeLegacySilence(logged, (id) => this.opts.lookup(id)?.site);
      this.addActive(a);
      if (isOpen(a.state)) this.addOpen(keyOf(a), a);
    }
    if (alerts.length) log.info({ active: alerts.length, open: this.openByKey.size }, 'alerts restored from the alert log');
  }

  /** Starts the deadline checks (escalation, flapping settled). */
  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.opts.tickMs ?? TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Escalates the alerts past their deadline and lifts flapping silences that
   * settled; run by the timer, or by tests. Looks only at what is due (a
   * deadline queue) and at the flapping ones, not at every open alert.
   */
  tick(): void {
    const t = this.now();
    for (const a of [...this.flapSilenced]) {
      if (!isOpen(a.state) || a.silence?.kind !== 'flapping') {
        this.flapSilenced.delete(a);
        continue;
      }
      if (this.flaps.isFlapping(keyOf(a), t)) continue;
      this.flapSilenced.delete(a);
      delete a.silence;
      a.updatedAt = t;
      this.changed(a, 'updated', { note: '抖动已平息 (flapping settled)' });
    }
    for (const id of this.due.popDue(t, ESCALATIONS_PER_TICK)) {
      const a = this.active.get(id);
      if (!a || !isOpen(a.state)) continue;
      // Flapping: scheduled again once the silence lifts (changed() does it).
      if (a.silence?.kind === 'flapping') continue;
      // A maintenance silence holds escalation only while it lasts; the alert stays marked as raised inside it.
      if (a.silence?.kind === 'maintenance' && this.inSilence(a, t)) {
        this.due.schedule(id, t + SILENCE_RECHECK_MS);
        continue;
      }
      // The site (or area) alert escalates for the devices folded into it; they are scheduled again when it goes.
      if (a.silence?.kind === 'correlated' && this.foldedInto(a)) continue;
      const due = escalationDueAt(a, this.limits);
      if (due === null) continue;
      if (t >= due) this.escalate(a, t);
      else this.due.schedule(id, due);
    }
    this.flaps.prune(t);
  }

  onSignal(s: Signal): void {
    const key = signalKey(s);
    const existing = this.openByKey.get(key);
    if (s.level === null) {
      if (existing && existing.clearedAt === null) {
        this.flaps.transition(key, this.now());
        this.clear(existing, s);
      }
      return;
    }
    if (existing) this.repeat(existing, s, s.level);
    else this.raise(s, s.level, key);
  }

  acknowledge(id: string, actor: string, note?: string, judgement?: Alert['judgement']): Alert {
    const a = this.mustAllow(id, 'acknowledge');
    if (judgement) a.judgement = judgement;
    const t = this.now();
    Object.assign(a, { state: ALERT_TRANSITIONS.acknowledge.to, acknowledgedAt: t, acknowledgedBy: actor, updatedAt: t }, note ? { note } : {});
    this.changed(a, 'acknowledged', { actor, note });
    return a;
  }

  /** Hands the alert to the responsible unit (派单). */
  dispatch(id: string, actor: string, unit: string, note?: string): Alert {
    const a = this.mustAllow(id, 'dispatch');
    const t = this.now();
    Object.assign(a, { state: ALERT_TRANSITIONS.dispatch.to, dispatchedAt: t, dispatchedBy: actor, dispatchedTo: unit, updatedAt: t }, note ? { note } : {});
    this.changed(a, 'dispatched', { actor, note: note ? `${unit}: ${note}` : unit });
    return a;
  }

  /** `outcome`: the disposition, and the hazard a real alert opened. */
  resolve(id: string, actor: string, note: string, outcome: Pick<Alert, 'disposition' | 'hazard'> = {}): Alert {
    const a = this.mustAllow(id, 'resolve');
    Object.assign(a, outcome);
    this.resolveNow(a, actor, note);
    return a;
  }

  /** Signs a resolved alert off (销号): the loop is closed. */
  close(id: string, actor: string, note?: string): Alert {
    const a = this.mustAllow(id, 'close');
    const t = this.now();
    Object.assign(a, { state: ALERT_TRANSITIONS.close.to, closedAt: t, closedBy: actor, updatedAt: t }, note ? { note } : {});
    this.removeActive(a);
    this.lastLogged.delete(a.id);
    this.recentClosed.unshift(a);
    this.closedById.set(a.id, a);
    if (this.recentClosed.length > RECENT_CLOSED_MAX) this.closedById.delete(this.recentClosed.pop()!.id);
    this.changed(a, 'closed', { actor, note });
    return a;
  }

  /** Waits until the log holds every change made so far. */
  flush(): Promise<void> {
    return this.opts.log.flush();
  }

  get(id: string): Alert | undefined {
    return this.active.get(id) ?? this.closedById.get(id);
  }

  /** Every alert not closed, each a copy of this instant (alerts change in place; a snapshot is written over several turns). */
  activeCopies(): Alert[] {
    return Array.from(this.active.values(), (a) => ({ ...a }));
  }

  /** Most severe first, then newest. `state=resolved` lists those awaiting sign-off (待销号). */
  list(q: AlertQuery = {}): Alert[] {
    const pool = !q.state || q.state === 'closed' ? [...this.active.values(), ...this.recentClosed] : [...this.active.values()];
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
    for (const a of this.openByDevice.get(deviceId) ?? []) worst = worst ? moreSevere(worst, a.level) : a.level;
    return worst;
  }

  /** The worst open level of every device that has one, in one pass. */
  worstLevels(): Map<string, Level> {
    const out = new Map<string, Level>();
    for (const a of this.openByKey.values()) {
      const w = out.get(a.device);
      out.set(a.device, w ? moreSevere(w, a.level) : a.level);
    }
    return out;
  }

  get openCount(): number {
    return this.openByKey.size;
  }

  private raise(s: Signal, level: Level, key: string): void {
    const d = this.opts.lookup(s.device);
    if (!d) {
      log.warn({ device: s.device }, 'signal for a device not in the registry ignored');
      return;
    }
    const t = this.now();
    const site = s.site ?? undefined;
    const a: Alert = {
      id: `${t.toString(36)}-${randomHex3()}`,
      device: d.id,
      tenant: d.tenant,
      kind: d.kind,
      name: d.name,
      town: d.town,
      lon: d.lon,
      lat: d.lat,
      ...(site ? { site } : {}),
      rule: s.rule,
      ruleType: s.ruleType,
      level,
      state: 'raised',
      count: 1,
      raisedAt: t,
      updatedAt: t,
      clearedAt: null,
      escalations: 0,
      ...signalFacts(s),
      ...(s.value !== undefined ? { peak: s.value } : {}),
    };
    const flapping = this.flaps.transition(key, t);
    const silence = this.inSilence(a, t);
    const siteAlert = silence || flapping ? undefined : (this.siteAlertOf(a) ?? this.areaAlertFor(a));
    if (silence) a.silence = { kind: 'maintenance', id: silence.id };
    else if (flapping) a.silence = { kind: 'flapping' };
    else if (siteAlert?.site) a.silence = { kind: 'correlated', site: siteAlert.site };
    this.addActive(a);
    this.addOpen(key, a);
    this.changed(a, 'raised', { notify: a.silence ? undefined : 'raised' });
    if (isAreaAlert(a)) this.foldOffline(a, t);
    else if (a.ruleType === 'correlation' && a.site) this.foldInto(a, a.site, t);
  }

  /** The open, uncleared area-wide offline alert an offline alert belongs to, if any. */
  private areaAlertFor(a: Alert): Alert | undefined {
    const area = this.areaAlert;
    return a.ruleType === 'offline' && area && area.clearedAt === null && isOpen(area.state) ? area : undefined;
  }

  /** The open site or area alert a folded alert is folded into, if it is still open. */
  private foldedInto(a: Alert): Alert | undefined {
    if (a.silence?.kind !== 'correlated') return undefined;
    if (a.silence.site === AREA_OFFLINE_SITE) return this.areaAlertFor(a);
    return this.siteAlertOf(a);
  }

  /** 大面积离线: the open offline alerts of the devices are folded into the one area alert (once, when it opens). */
  private foldOffline(area: Alert, t: number): void {
    for (const a of this.openOffline) {
      if (a.silence) continue;
      a.silence = { kind: 'correlated', site: AREA_OFFLINE_SITE };
      a.updatedAt = t;
      this.changed(a, 'updated', { note: `并入大面积离线告警 (folded into the area alert ${area.id})` });
    }
  }

  /**
   * The area alert cleared or was resolved: the offline alerts still folded
   * into it are the devices' own again (they notify and escalate from now).
   */
  private unfoldOffline(area: Alert, t: number): void {
    for (const a of [...this.openOffline]) {
      if (a.silence?.kind !== 'correlated' || a.silence.site !== AREA_OFFLINE_SITE) continue;
      delete a.silence;
      a.updatedAt = t;
      this.changed(a, 'updated', { note: `大面积离线已结束，设备仍离线 (the area alert ${area.id} ended; this device is still offline)` });
    }
  }

  /** The open site (correlation) alert that a device alert belongs to, if any. */
  private siteAlertOf(a: Alert): Alert | undefined {
    if (a.ruleType === 'correlation') return undefined;
    const site = this.opts.lookup(a.device)?.site;
    return site ? this.openSiteAlert.get(site) : undefined;
  }

  /** One site alert rather than many: the open device alerts of its site are folded into it. */
  private foldInto(site: Alert, name: string, t: number): void {
    for (const a of this.activeAtSite.get(name) ?? []) {
      if (a === site || a.silence || !isOpen(a.state) || a.ruleType === 'correlation') continue;
      a.silence = { kind: 'correlated', site: name };
      a.updatedAt = t;
      this.changed(a, 'updated', { note: `并入场所告警 ${name} (folded into the site alert ${site.id})` });
    }
  }

  private repeat(a: Alert, s: Signal, level: Level): void {
    const upgraded = levelRank(level) > levelRank(a.level);
    const wasCleared = a.clearedAt !== null;
    a.count++;
    a.updatedAt = this.now();
    a.clearedAt = null;
    if (upgraded) a.level = level;
    if (wasCleared && this.flaps.transition(keyOf(a), a.updatedAt) && !a.silence) a.silence = { kind: 'flapping' };
    Object.assign(a, signalFacts(s, upgraded ? undefined : a.threshold));
    if (s.value !== undefined) a.peak = a.peak === undefined ? s.value : s.direction === 'below' ? Math.min(a.peak, s.value) : Math.max(a.peak, s.value);
    const due = a.updatedAt - (this.lastLogged.get(a.id) ?? 0) >= UPDATE_LOG_EVERY_MS;
    this.changed(a, 'updated', {
      important: upgraded || wasCleared,
      logged: upgraded || wasCleared || due,
      notify: upgraded && !a.silence ? 'upgraded' : undefined,
    });
    // The area condition back on: the offline alerts raised meanwhile are folded into it again.
    if (wasCleared && isAreaAlert(a)) this.foldOffline(a, a.updatedAt);
  }

  private clear(a: Alert, s: Signal): void {
    a.clearedAt = s.ts;
    a.updatedAt = this.now();
    if (s.value !== undefined) a.value = s.value;
    if (s.detail !== undefined && isAreaAlert(a)) a.detail = s.detail;
    this.changed(a, 'cleared');
    if (AUTO_RESOLVE.has(a.level)) this.resolveNow(a, SYSTEM_ACTOR, '条件已恢复，自动解除 (condition cleared)');
    // A device back from an area-wide outage: the area alert stands for it, its own alert goes whatever its level.
    else if (a.ruleType === 'offline' && this.foldedInto(a) && isAreaAlert(this.foldedInto(a)!)) {
      this.resolveNow(a, SYSTEM_ACTOR, '随大面积离线恢复，自动解除 (back online with the area)');
    }
    if (isAreaAlert(a)) this.unfoldOffline(a, a.updatedAt);
  }

  private escalate(a: Alert, t: number): void {
    a.escalations = (a.escalations ?? 0) + 1;
    a.escalatedAt = t;
    a.updatedAt = t;
    const why = a.state === 'dispatched' ? `派单后超时未办结 (dispatched to ${a.dispatchedTo ?? '?'}, not resolved)` : '超时未确认 (not acknowledged)';
    this.changed(a, 'escalated', { actor: SYSTEM_ACTOR, note: `第${a.escalations}次升级至带班领导: ${why}`, notify: 'escalated' });
  }

  /** Resolved alerts stay listed (待销号) until closed; the key is freed so a new breach raises a new alert. */
  private resolveNow(a: Alert, actor: string, note: string): void {
    const t = this.now();
    Object.assign(a, { state: ALERT_TRANSITIONS.resolve.to, resolvedAt: t, resolvedBy: actor, note, updatedAt: t });
    this.removeOpen(keyOf(a), a);
    this.changed(a, 'resolved', { actor, note });
  }

  private changed(
    a: Alert,
    action: AlertAction,
    o: { actor?: string; note?: string; important?: boolean; logged?: boolean; notify?: NotifyReason } = {},
  ): void {
    if (o.logged ?? true) {
      this.opts.log.append({ alert: { ...a }, action, actor: o.actor, note: o.note });
      this.lastLogged.set(a.id, a.updatedAt);
    }
    this.scheduleDue(a);
    try {
      this.opts.onChange?.({ alert: a, action, important: o.important ?? true, ...(o.notify ? { notify: o.notify } : {}) });
    } catch (err) {
      log.error({ err }, 'alert change listener failed');
    }
  }

  /** Every change may move the alert's deadline earlier (a higher level, a dispatch); later ones are found when due. */
  private scheduleDue(a: Alert): void {
    if (!isOpen(a.state)) return this.due.delete(a.id);
    if (a.silence?.kind === 'flapping') this.flapSilenced.add(a);
    const due = escalationDueAt(a, this.limits);
    if (due !== null) this.due.schedule(a.id, due);
  }

  private addActive(a: Alert): void {
    this.active.set(a.id, a);
    const site = a.ruleType === 'correlation' ? undefined : this.opts.lookup(a.device)?.site;
    if (site) (this.activeAtSite.get(site) ?? this.activeAtSite.set(site, new Set()).get(site)!).add(a);
  }

  private removeActive(a: Alert): void {
    this.active.delete(a.id);
    const site = a.ruleType === 'correlation' ? undefined : this.opts.lookup(a.device)?.site;
    const at = site ? this.activeAtSite.get(site) : undefined;
    if (at?.delete(a) && at.size === 0) this.activeAtSite.delete(site!);
  }

  private addOpen(key: string, a: Alert): void {
    this.openByKey.set(key, a);
    (this.openByDevice.get(a.device) ?? this.openByDevice.set(a.device, new Set()).get(a.device)!).add(a);
    if (isAreaAlert(a)) this.areaAlert = a;
    else if (a.ruleType === 'correlation' && a.site) this.openSiteAlert.set(a.site, a);
    if (a.ruleType === 'offline') this.openOffline.add(a);
    this.scheduleDue(a);
  }

  private removeOpen(key: string, a: Alert): void {
    if (this.openByKey.get(key) !== a) return;
    this.openByKey.delete(key);
    this.due.delete(a.id);
    this.flapSilenced.delete(a);
    this.openOffline.delete(a);
    const mine = this.openByDevice.get(a.device);
    if (mine?.delete(a) && mine.size === 0) this.openByDevice.delete(a.device);
    const t = this.now();
    if (this.areaAlert === a) {
      this.areaAlert = null;
      this.unfoldOffline(a, t);
    } else if (a.site && this.openSiteAlert.get(a.site) === a) {
      this.openSiteAlert.delete(a.site);
      // Its folded device alerts escalate on their own again.
      for (const d of this.activeAtSite.get(a.site) ?? []) if (isOpen(d.state)) this.scheduleDue(d);
    }
  }

  /** A device alert is covered by a silence of its device, its tenant, or the site the device stands at. */
  private inSilence(a: Alert, t: number): { id: string } | undefined {
    return this.opts.silences?.match({ device: a.device, tenant: a.tenant, site: a.site ?? this.opts.lookup(a.device)?.site }, t);
  }

  private mustGet(id: string): Alert {
    const a = this.get(id);
    if (!a) throw new AlertError(404, `no alert with id ${id}`);
    return a;
  }

  /** The alert, if the transition table lets `command` start from its state. */
  private mustAllow(id: string, command: AlertCommand): Alert {
    const a = this.mustGet(id);
    const refusal = transitionRefusal(command, a.state);
    if (refusal) throw new AlertError(409, `alert ${id} ${refusal}`);
    return a;
  }
}

/** Random bytes for alert ids, drawn a pool at a time: one call per alert costs a system call each, felt when 100,000 go offline at once. */
const ID_POOL_BYTES = 3 * 4096;
let idPool = Buffer.alloc(0);
let idAt = 0;
function randomHex3(): string {
  if (idAt + 3 > idPool.length) {
    idPool = randomBytes(ID_POOL_BYTES);
    idAt = 0;
  }
  idAt += 3;
  return idPool.toString('hex', idAt - 3, idAt);
}

/** The one area-wide offline alert (大面积离线) is a correlation alert at the whole district. */
function isAreaAlert(a: Pick<Alert, 'ruleType' | 'site'>): boolean {
  return a.ruleType === 'correlation' && a.site === AREA_OFFLINE_SITE;
}

/** Site-level conditions (correlation) are keyed by site, the rest by device. */
export function keyOf(a: Pick<Alert, 'device' | 'rule' | 'site'>): string {
  return a.site ? `site:${a.site}|${a.rule}` : `${a.device}|${a.rule}`;
}

function signalKey(s: Signal): string {
  return keyOf({ device: s.device, rule: s.rule, site: s.site });
}

/** The facts of a signal that an alert shows; `keepThreshold` keeps the bound of a higher level already reached. */
function signalFacts(s: Signal, keepThreshold?: number): Partial<Alert> {
  const f: Partial<Alert> = {};
  if (s.metric !== undefined) f.metric = s.metric;
  if (s.event !== undefined) f.event = s.event;
  if (s.value !== undefined) f.value = s.value;
  if (s.direction !== undefined) f.direction = s.direction;
  if (s.detail !== undefined) f.detail = s.detail;
  const th = keepThreshold ?? s.threshold;
  if (th !== undefined) f.threshold = th;
  return f;
}
