import type { Alert, Level } from '@lifeline/core';

export interface EscalationLimits {
  /** Minutes an alert of each level may stay unacknowledged. */
  minutes: Record<Level, number>;
  /** Minutes a dispatched alert may stay unresolved. */
  dispatchOverdueMinutes: number;
}

const MIN = 60_000;

/**
 * When an alert escalates next, from its persisted times only (no timer lives
 * only in memory, so a restart keeps every deadline): a raised alert one limit
 * of its level after it was raised or last escalated, a dispatched one the
 * overdue limit after dispatch or its last escalation. Null when nothing is due
 * (acknowledged and not yet dispatched, resolved, closed).
 */
export function escalationDueAt(a: Alert, limits: EscalationLimits): number | null {
  const last = a.escalatedAt ?? 0;
  if (a.state === 'raised') return Math.max(a.raisedAt, last) + limits.minutes[a.level] * MIN;
  if (a.state === 'dispatched') return Math.max(a.dispatchedAt ?? a.updatedAt, last) + limits.dispatchOverdueMinutes * MIN;
  return null;
}
