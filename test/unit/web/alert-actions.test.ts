import { describe, expect, it } from 'vitest';
import { ALERT_STATES, ROLES } from '@lifeline/core';
import { offeredActions } from '../../../web/src/alert-actions.js';

describe('the actions the alert panel offers', () => {
  it('offers a resolved alert only 销号, and only to a role that may sign off; never 确认 or 派单', () => {
    expect(offeredActions('resolved', 'supervisor')).toEqual(['close']);
    expect(offeredActions('resolved', 'admin')).toEqual(['close']);
    expect(offeredActions('resolved', 'duty')).toEqual([]);
    expect(offeredActions('resolved', 'enterprise')).toEqual([]);
  });

  it('offers a raised alert 确认, 派单 and 处置完成 in that order, as far as the role may', () => {
    expect(offeredActions('raised', 'duty')).toEqual(['acknowledge', 'dispatch', 'resolve']);
    // An enterprise acknowledges and reports rectification, never dispatches.
    expect(offeredActions('raised', 'enterprise')).toEqual(['acknowledge', 'resolve']);
    expect(offeredActions('raised', 'auditor')).toEqual([]);
  });

  it('offers no second 确认 once acknowledged, and only 处置完成 once dispatched', () => {
    expect(offeredActions('acknowledged', 'duty')).toEqual(['dispatch', 'resolve']);
    expect(offeredActions('dispatched', 'duty')).toEqual(['resolve']);
    expect(offeredActions('dispatched', 'supervisor')).toEqual(['resolve']);
  });

  it('offers nothing on a closed alert, to anyone', () => {
    for (const role of ROLES) expect(offeredActions('closed', role)).toEqual([]);
  });

  it('offers 销号 on no state but resolved', () => {
    for (const state of ALERT_STATES) expect(offeredActions(state, 'admin').includes('close')).toBe(state === 'resolved');
  });
});
