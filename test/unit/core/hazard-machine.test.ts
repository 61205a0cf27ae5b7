import { describe, expect, it } from 'vitest';
import {
  can,
  DISPOSITION_LABELS,
  DISPOSITIONS,
  HAZARD_COMMANDS,
  HAZARD_STATES,
  HAZARD_TRANSITIONS,
  hazardMayStart,
  hazardRefusal,
  isHazardOverdue,
  ROLES,
  alertSchema,
  type HazardState,
} from '@lifeline/core';

describe('the hazard state machine', () => {
  it('goes open → rectifying → reported → signed off, and a rejection back to rectifying', () => {
    const walk = (from: HazardState, ...cmds: (typeof HAZARD_COMMANDS)[number][]) =>
      cmds.reduce((s, c) => {
        expect(hazardMayStart(c, s), `${c} from ${s}`).toBe(true);
        return HAZARD_TRANSITIONS[c].to;
      }, from);
    expect(walk('open', 'progress', 'progress', 'report', 'sign_off')).toBe('signed_off');
    expect(walk('open', 'report', 'reject', 'progress', 'report', 'sign_off')).toBe('signed_off');
  });

  it('signs off only what the unit reported rectified, and nothing leaves signed off', () => {
    for (const s of HAZARD_STATES) expect(hazardMayStart('sign_off', s), s).toBe(s === 'reported');
    for (const c of HAZARD_COMMANDS) expect(hazardMayStart(c, 'signed_off'), c).toBe(false);
    expect(hazardMayStart('reject', 'rectifying')).toBe(false);
    expect(hazardMayStart('progress', 'reported')).toBe(false);
  });

  it('says why a command cannot start', () => {
    expect(hazardRefusal('sign_off', 'reported')).toBeNull();
    expect(hazardRefusal('sign_off', 'signed_off')).toBe('is already signed off; sign off starts from reported');
    expect(hazardRefusal('sign_off', 'open')).toBe('is open; sign off starts from reported');
    expect(hazardRefusal('progress', 'reported')).toBe('is reported; progress starts from open or rectifying');
  });

  it('lets only a government reviewer (supervisor, admin) sign off or reject, never an enterprise', () => {
    const signers = ROLES.filter((r) => can(r, HAZARD_TRANSITIONS.sign_off.permission));
    expect(signers.sort()).toEqual(['admin', 'supervisor']);
    expect(ROLES.filter((r) => can(r, HAZARD_TRANSITIONS.reject.permission)).sort()).toEqual(['admin', 'supervisor']);
    expect(can('enterprise', HAZARD_TRANSITIONS.report.permission)).toBe(true);
    expect(can('auditor', HAZARD_TRANSITIONS.progress.permission)).toBe(false);
    expect(can('enterprise', 'hazards:create')).toBe(false);
  });

  it('counts a hazard overdue past its deadline until it is signed off', () => {
    expect(isHazardOverdue({ state: 'rectifying', deadline: 1000 }, 1001)).toBe(true);
    expect(isHazardOverdue({ state: 'reported', deadline: 1000 }, 999)).toBe(false);
    expect(isHazardOverdue({ state: 'signed_off', deadline: 1000 }, 5000)).toBe(false);
  });
});

describe('the disposition list', () => {
  it('has stable ids with Chinese and English labels', () => {
    expect(DISPOSITIONS).toEqual(['real', 'false_alarm', 'device_fault', 'test', 'other']);
    expect(DISPOSITIONS.map((d) => DISPOSITION_LABELS[d].zh)).toEqual(['真实警情', '误报', '设备故障', '测试/演练', '其他']);
    for (const d of DISPOSITIONS) expect(DISPOSITION_LABELS[d].en.length).toBeGreaterThan(0);
  });

  it('reads an alert logged before the judgement and disposition existed, and refuses one outside the list', () => {
    const old = {
      id: 'a1',
      device: 'gas-0001',
      tenant: 'city',
      kind: 'gas',
      name: 'n',
      town: 't',
      lon: 113,
      lat: 23,
      rule: 'ch4_high',
      ruleType: 'threshold',
      level: 'red',
      state: 'resolved',
      count: 1,
      raisedAt: 1,
      updatedAt: 2,
      clearedAt: null,
      note: '已处置',
    };
    expect(alertSchema.check(old).ok).toBe(true);
    expect(alertSchema.check({ ...old, judgement: 'real', disposition: 'device_fault', hazard: 'hz-1' }).ok).toBe(true);
    expect(alertSchema.check({ ...old, disposition: 'fake' }).ok).toBe(false);
  });
});
