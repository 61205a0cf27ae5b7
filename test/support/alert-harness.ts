/**
 * One alert manager for unit tests: a few devices, a clock the test moves, and
 * the alert log and change feed kept in arrays to read back.
 */
import type { Alert, Device, LegacySilenceFields } from '@lifeline/core';
import { AlertManager, type AlertChange, type AlertLogEntry, type AlertManagerOptions } from '../../server/src/index.js';

export const T0 = 1_795_000_000_000;
export const MIN = 60_000;

export interface AlertHarnessOptions extends Omit<AlertManagerOptions, 'lookup' | 'log' | 'onChange' | 'now'> {
  devices: readonly Device[];
  /** Shared by two managers to play a restart at one time. */
  clock?: { t: number };
  /** What a restart rebuilds from the log (see `rebuilt`). */
  restore?: readonly (Alert & LegacySilenceFields)[];
}

export function alertHarness({ devices, clock = { t: T0 }, restore, ...opts }: AlertHarnessOptions) {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const entries: AlertLogEntry[] = [];
  const changes: AlertChange[] = [];
  const m = new AlertManager({
    ...opts,
    lookup: (id) => byId.get(id),
    log: { append: (e) => entries.push(e), flush: async () => {} },
    // A copy: the manager changes its alerts in place.
    onChange: (c) => changes.push({ ...c, alert: { ...c.alert } }),
    now: () => clock.t,
  });
  if (restore) m.restore(restore);
  return { m, entries, changes, clock, advance: (ms: number) => (clock.t += ms) };
}

/** What a restart rebuilds: the newest logged state of each alert not closed. */
export function rebuilt(entries: readonly AlertLogEntry[]): Alert[] {
  const latest = new Map<string, Alert>();
  for (const e of entries) latest.set(e.alert.id, structuredClone(e.alert));
  return [...latest.values()].filter((a) => a.state !== 'closed');
}

/** The HTTP status an AlertError carries, or 200 when the call succeeds. */
export function statusOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    return (e as { status?: number }).status ?? 500;
  }
  return 200;
}
