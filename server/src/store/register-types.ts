/**
 * The hazard register (隐患清单) and duty shifts (值班交接班) in the store of
 * record. `hazards.ts` and `shifts.ts` give the PostgreSQL implementations.
 */
import type { Handover, HandoverSummary, Hazard, HazardEvent, HazardGroup, HazardQuery, HazardState, HazardSummaryRow, Shift } from '@lifeline/core';

export type { HazardGroup, HazardSummaryRow } from '@lifeline/core';

export interface NewHazard {
  source: Hazard['source'];
  sourceRef: string | null;
  tenant: string | null;
  department: string | null;
  unitName: string;
  town: string;
  industry: string | null;
  device: string | null;
  level: Hazard['level'];
  description: string;
  deadline: number;
  /** Who entered it (username), recorded as the `created` line of its history. */
  actor: string;
}

/** A change of a hazard: the history line it writes, and the state it leads to. */
export interface HazardChange {
  action: HazardEvent['action'];
  actor: string;
  /** The states it may start from: checked in the same transaction as the update. */
  from: readonly HazardState[];
  to: HazardState;
  note?: string | null;
  attachments?: string[];
}

export interface HazardStore {
  /**
   * Enters a hazard with its `created` history line. `beforeCommit` runs inside
   * the transaction: if it throws, nothing is stored (resolving an alert and
   * opening its hazard happen together or not at all).
   */
  create(h: NewHazard, beforeCommit?: (h: Hazard) => void): Promise<{ hazard: Hazard; event: HazardEvent }>;
  get(id: string): Promise<Hazard | undefined>;
  /** Newest first; `tenant` scopes an enterprise user to its own. */
  list(q: HazardQuery, now: number): Promise<{ total: number; overdue: number; items: Hazard[] }>;
  /** Counts per unit, town or industry over the hazards the query selects, most overdue first. */
  summary(by: HazardGroup, q: HazardQuery, now: number): Promise<HazardSummaryRow[]>;
  history(id: string): Promise<HazardEvent[]>;
  /**
   * Applies a change in one transaction (row locked): undefined when the hazard
   * does not exist, `{ refused: state }` when its state is not among `from`.
   */
  change(id: string, c: HazardChange): Promise<{ hazard: Hazard; event: HazardEvent; before: Hazard } | { refused: HazardState } | undefined>;
  /**
   * Moves an open hazard's deadline (and its next escalation) to `deadline`,
   * with an `extended` history line (`note` given the deadline it replaces), in
   * one transaction with the row locked: undefined when it does not exist,
   * `{ refused: state }` once signed off, `{ notLater: current }` when
   * `deadline` is not later than the current one (a concurrent extension won).
   */
  extend(
    id: string,
    e: { deadline: number; actor: string; note: (current: number) => string },
  ): Promise<{ hazard: Hazard; event: HazardEvent; before: Hazard } | { refused: HazardState } | { notLater: number } | undefined>;
  /** Open hazards whose next escalation time is due (an index on it: proportional to what is due). */
  due(now: number, limit: number): Promise<Hazard[]>;
  /** Records an escalation and schedules the next one at `next`; false when it was signed off or escalated meanwhile. */
  escalated(id: string, at: number, next: number, note: string): Promise<{ hazard: Hazard; event: HazardEvent } | undefined>;
  /** Open, overdue and open major hazards (for a handover). */
  counts(now: number): Promise<HandoverSummary['hazards']>;
}

export interface ShiftStore {
  /** The shift on now, if any. */
  current(): Promise<Shift | undefined>;
  /** The pending handover of the current shift, if any. */
  pendingHandover(): Promise<Handover | undefined>;
  /** Starts a shift when nobody is on duty; StoreError('conflict') otherwise (the next officer accepts a handover instead). */
  start(officer: { userId: string; username: string; displayName: string }, note: string | null): Promise<Shift>;
  /** Starts the handover of the current shift; StoreError('conflict') when one is pending or no one is on duty. */
  handover(h: { from: string; to: string | null; note: string | null; summary: HandoverSummary }): Promise<Handover>;
  /**
   * Accepts the pending handover: ends the current shift and starts the
   * accepting officer's, in one transaction. StoreError('conflict') when none is
   * pending, ('invalid') when it names another officer or is the officer's own.
   */
  accept(
    officer: { userId: string; username: string; displayName: string },
    note: string | null,
  ): Promise<{ handover: Handover; ended: Shift; started: Shift }>;
  /** The officer on duty at `time` (epoch ms), if any: for statistics and reports. */
  dutyOfficerAt(time: number): Promise<Shift | undefined>;
  /** Every shift overlapping [from, to), oldest first. */
  inPeriod(from: number, to: number): Promise<Shift[]>;
  /** Newest first. */
  history(q: { from?: number; to?: number; limit?: number }): Promise<{ shifts: Shift[]; handovers: Handover[] }>;
}
