/**
 * Alerts in some states (open ones, or those awaiting sign-off) by id, kept live from REST snapshots and Socket.IO `alert` events.
 * A snapshot fetched while events keep arriving would undo them, so events seen
 * during a resync are replayed on top of the snapshot.
 */
import { isOpen, levelRank, type Alert, type AlertState, type Level } from '@lifeline/core';

export type AlertChange = { alert: Alert; previous: Alert | undefined; fromSnapshot: boolean };

/** Most severe first; within a level, escalated (overdue) ones first, then newest. */
export function compareAlerts(a: Alert, b: Alert): number {
  return levelRank(b.level) - levelRank(a.level) || (b.escalations ?? 0) - (a.escalations ?? 0) || b.raisedAt - a.raisedAt || b.updatedAt - a.updatedAt;
}

export class AlertStore {
  /** `keeps` says which states belong here: open ones by default. */
  constructor(private readonly keeps: (state: AlertState) => boolean = isOpen) {}

  private byId = new Map<string, Alert>();
  /** The sorted list, built again only after a change: the panel, the rings and the sound all ask for it every frame. */
  private sortedCache: readonly Alert[] | null = null;
  private readonly levelCounts: Record<Level, number> = { red: 0, orange: 0, yellow: 0, blue: 0 };
  private replay: Alert[] | null = null;
  private listeners = new Set<(changes: AlertChange[]) => void>();

  onChange(listener: (changes: AlertChange[]) => void): void {
    this.listeners.add(listener);
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Alert | undefined {
    return this.byId.get(id);
  }

  /** Most severe first, then newest (shared until the next change: do not modify). */
  sorted(): readonly Alert[] {
    this.sortedCache ??= [...this.byId.values()].sort(compareAlerts);
    return this.sortedCache;
  }

  countByLevel(): Record<Level, number> {
    return { ...this.levelCounts };
  }

  /** One alert, from the socket or from an action's response. */
  apply(alert: Alert): void {
    this.replay?.push(alert);
    const change = this.merge(alert, false);
    if (change) this.emit([change]);
  }

  beginResync(): void {
    this.replay = [];
  }

  /** Replaces the set with a snapshot (of alerts in this store's states), then replays events seen meanwhile. */
  finishResync(snapshot: Alert[]): void {
    const replay = this.replay ?? [];
    this.replay = null;
    const changes: AlertChange[] = [];
    const seen = new Set(snapshot.map((a) => a.id));
    for (const [id, prev] of this.byId) {
      if (!seen.has(id)) {
        this.remove(id);
        changes.push({ alert: { ...prev, state: 'closed' }, previous: prev, fromSnapshot: true });
      }
    }
    for (const a of snapshot) {
      const c = this.merge(a, true, true);
      if (c) changes.push(c);
    }
    for (const a of replay) {
      const c = this.merge(a, false);
      if (c) changes.push(c);
    }
    this.emit(changes);
  }

  cancelResync(): void {
    this.replay = null;
  }

  private merge(alert: Alert, fromSnapshot: boolean, force = false): AlertChange | null {
    const previous = this.byId.get(alert.id);
    // Events can overtake a response: never go back to an older version.
    if (!force && previous && previous.updatedAt > alert.updatedAt) return null;
    if (this.keeps(alert.state)) this.set(alert);
    else if (previous) this.remove(alert.id);
    else return null;
    return { alert, previous, fromSnapshot };
  }

  private set(alert: Alert): void {
    const previous = this.byId.get(alert.id);
    if (previous) this.levelCounts[previous.level] -= 1;
    this.levelCounts[alert.level] += 1;
    this.byId.set(alert.id, alert);
    this.sortedCache = null;
  }

  private remove(id: string): void {
    const previous = this.byId.get(id);
    if (!previous) return;
    this.levelCounts[previous.level] -= 1;
    this.byId.delete(id);
    this.sortedCache = null;
  }

  private emit(changes: AlertChange[]): void {
    if (!changes.length) return;
    for (const l of this.listeners) {
      try {
        l(changes);
      } catch (err) {
        console.error('alert listener failed', err);
      }
    }
  }
}
