import type { Permission } from './auth.js';
import { HAZARD_STATES, type HazardState } from './schemas/hazard.js';

/**
 * The hazard's loop as one table, like `alert-machine.ts`: for each action,
 * the states it may start from, the state it leads to, and the permission it
 * needs. The server refuses what the table forbids (409); the dashboard offers
 * only what it allows. Escalation (督办) is the platform's own and changes no state.
 */
export const HAZARD_COMMANDS = ['progress', 'report', 'sign_off', 'reject'] as const;
export type HazardCommand = (typeof HAZARD_COMMANDS)[number];

export interface HazardTransition {
  readonly from: readonly HazardState[];
  readonly to: HazardState;
  readonly permission: Permission;
}

export const HAZARD_TRANSITIONS: Readonly<Record<HazardCommand, HazardTransition>> = {
  /** 整改进展: a progress entry; the first one starts the rectification. */
  progress: { from: ['open', 'rectifying'], to: 'rectifying', permission: 'hazards:update' },
  /** 报整改完成: the unit reports it rectified. */
  report: { from: ['open', 'rectifying'], to: 'reported', permission: 'hazards:update' },
  /** 销号: only a government reviewer, after the unit reported it. */
  sign_off: { from: ['reported'], to: 'signed_off', permission: 'hazards:signoff' },
  /** 驳回: back to rectifying, with the reason. */
  reject: { from: ['reported'], to: 'rectifying', permission: 'hazards:signoff' },
};

export function hazardMayStart(command: HazardCommand, state: HazardState): boolean {
  return HAZARD_TRANSITIONS[command].from.includes(state);
}

/** Why `command` cannot start from `state` (to follow "hazard <id> "), or null when it can. */
export function hazardRefusal(command: HazardCommand, state: HazardState): string | null {
  const { from, to } = HAZARD_TRANSITIONS[command];
  if (from.includes(state)) return null;
  const already = HAZARD_STATES.indexOf(state) >= HAZARD_STATES.indexOf(to) && to !== 'rectifying';
  return `is ${already ? 'already ' : ''}${state.replace('_', ' ')}; ${command.replace('_', ' ')} starts from ${from.join(' or ')}`;
}
