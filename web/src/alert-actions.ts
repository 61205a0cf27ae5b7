/**
 * Which actions the dashboard offers on an alert: those the transition table
 * lets start from the alert's state, to a role whose permissions allow them.
 * The server judges again (409, 403); this keeps the buttons honest.
 */
import { ALERT_COMMANDS, ALERT_TRANSITIONS, can, mayStart, type AlertCommand, type AlertState, type Role } from '@lifeline/core';

/** In the loop's order: 确认, 派单, 处置完成, 销号. */
export function offeredActions(state: AlertState, role: Role): AlertCommand[] {
  return ALERT_COMMANDS.filter((c) => mayStart(c, state) && can(role, ALERT_TRANSITIONS[c].permission));
}
