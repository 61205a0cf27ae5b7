/** `/api/hazards` and `/api/shifts`, typed with core's definitions (types only: no validator runs in the page). */
import type {
  AcceptHandoverBody,
  Handover,
  HandoverBody,
  HandoverSummary,
  Hazard,
  HazardDetail,
  HazardEvent,
  HazardGroup,
  HazardSummaryRow,
  HazardList,
  HazardProgressBody,
  HazardQuery,
  NewHazardBody,
  Shift,
  ShiftCurrent,
} from '@lifeline/core';
import { query, request } from './api.js';

/** A document event whose `detail` is a hazard id: open it in the register (the alert detail sends it). */
export const OPEN_HAZARD_EVENT = 'lifeline:open-hazard';

export type HazardChange = { hazard: Hazard; event: HazardEvent };
type Q = Record<string, string | number | undefined>;
const hz = (id: string) => `/api/hazards/${encodeURIComponent(id)}`;

export const registerApi = {
  hazards: (q: HazardQuery = {}) => request<HazardList>('GET', `/api/hazards${query(q as Q)}`),
  /** The export's address (a plain link: the browser downloads it with the session cookie). */
  hazardExportUrl: (q: HazardQuery, format: 'csv' | 'xlsx') => `/api/hazards${query({ ...(q as Q), format })}`,
  hazard: (id: string) => request<HazardDetail>('GET', hz(id)),
  /** Per unit, town or industry: open, overdue, major, signed off. */
  summary: (by: HazardGroup, q: HazardQuery = {}) => request<HazardSummaryRow[]>('GET', `/api/hazards/summary${query({ ...(q as Q), by })}`),
  createHazard: (b: NewHazardBody) => request<Hazard>('POST', '/api/hazards', b),
  progress: (id: string, b: HazardProgressBody) => request<HazardChange>('POST', `${hz(id)}/progress`, b),
  report: (id: string, b: HazardProgressBody) => request<HazardChange>('POST', `${hz(id)}/report`, b),
  signOff: (id: string, note?: string) => request<HazardChange>('POST', `${hz(id)}/sign-off`, note ? { note } : {}),
  reject: (id: string, reason: string) => request<HazardChange>('POST', `${hz(id)}/reject`, { reason }),
  extend: (id: string, deadline: number, reason: string) => request<HazardChange>('POST', `${hz(id)}/extend`, { deadline, reason }),

  currentShift: () => request<ShiftCurrent>('GET', '/api/shifts/current'),
  shiftHistory: (limit = 20) => request<{ shifts: Shift[]; handovers: Handover[] }>('GET', `/api/shifts${query({ limit })}`),
  openItems: () => request<HandoverSummary>('GET', '/api/shifts/open-items'),
  startShift: (note?: string) => request<Shift>('POST', '/api/shifts/start', note ? { note } : {}),
  handover: (b: HandoverBody) => request<Handover>('POST', '/api/shifts/handover', b),
  accept: (b: AcceptHandoverBody) => request<{ handover: Handover; ended: Shift; started: Shift }>('POST', '/api/shifts/accept', b),
};
