import type { Permission } from './auth.js';
import { ALERT_STATES, OPEN_STATES, type AlertState } from './schemas/alert.js';

/**
 * The closed loop of an alert as one table: for each action a person takes,
 * the states it may start from, the state it leads to, and the permission it
 * needs. The server refuses what the table forbids (409); the dashboard offers
 * only what it allows, to a role that may. Nothing else spells transitions out.
 */
export const ALERT_COMMANDS = ['acknowledge', 'dispatch', 'resolve', 'close'] as const;
export type AlertCommand = (typeof ALERT_COMMANDS)[number];

export interface AlertTransition {
  readonly from: readonly AlertState[];
  readonly to: AlertState;
  readonly permission: Permission;
}

export const ALERT_TRANSITIONS: Readonly<Record<AlertCommand, AlertTransition>> = {
  /** 确认. */
  acknowledge: { from: ['raised'], to: 'acknowledged', permission: 'alerts:acknowledge' },
  /** 派单: handing the alert to the responsible unit, acknowledged or not. */
  dispatch: { from: ['raised', 'acknowledged'], to: 'dispatched', permission: 'alerts:dispatch' },
  /** 处置完成, from any open state; also what the system does when a blue or yellow condition clears. */
  resolve: { from: OPEN_STATES, to: 'resolved', permission: 'alerts:resolve' },
  /** 销号: signing a resolved alert off. */
  close: { from: ['resolved'], to: 'closed', permission: 'alerts:close' },
};

export function mayStart(command: AlertCommand, state: AlertState): boolean {
  return ALERT_TRANSITIONS[command].from.includes(state);
}

/**
 * Why `command` cannot start from `state` (to follow "alert <id> "), or null
 * when it can: e.g. `is already dispatched; acknowledge starts from raised`.
 */
export function transitionRefusal(command: AlertCommand, state: AlertState): string | null {
  const { from, to } = ALERT_TRANSITIONS[command];
  if (from.includes(state)) return null;
  const already = ALERT_STATES.indexOf(state) >= ALERT_STATES.indexOf(to);
  return `is ${already ? 'already ' : ''}${state}; ${command} starts from ${from.join(' or ')}`;
}

/** The actor of what the platform does by itself: escalation, resolving a cleared condition. */
export const SYSTEM_ACTOR = 'system';
