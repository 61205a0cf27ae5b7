import {
  HAZARD_TRANSITIONS,
  hazardRefusal,
  SYSTEM_ACTOR,
  type Alert,
  type Hazard,
  type HazardCommand,
  type HazardEvent,
  type HazardExtendBody,
  type HazardFromAlert,
  type NewHazardBody,
} from '@lifeline/core';
import type { LoadedRegistry } from '@lifeline/core/node';
import { HttpError } from '../api/http-errors.js';
import type { HazardStore, NewHazard } from '../store/register-types.js';

/** What each command writes in the hazard's history. */
const ACTION_OF: Record<HazardCommand, HazardEvent['action']> = { progress: 'progress', report: 'reported', sign_off: 'signed_off', reject: 'rejected' };

/**
 * The hazard register's rules over the store: who the unit is, what town and
 * industry a hazard is counted under, and which changes the state machine
 * allows. Routes check who asks; this checks what is asked.
 */
export class HazardRegister {
  /** `timeZone`: the one the history's notes name times in (the reports'). */
  constructor(
    readonly store: HazardStore,
    private readonly registry: LoadedRegistry,
    private readonly timeZone = 'Asia/Shanghai',
  ) {}

  /** A hazard found by inspection or reported by the public. */
  async create(b: NewHazardBody, actor: string): Promise<{ hazard: Hazard; event: HazardEvent }> {
    const bad = (field: string, why: string) => new HttpError(400, 'invalid hazard body', [`/${field}: ${why}`]);
    if ((b.tenant === undefined) === (b.department === undefined)) throw bad('', 'exactly one of tenant and department names the unit responsible');
    if (b.source === 'alert') throw bad('source', 'a hazard from an alert is opened by resolving the alert as real (POST /api/alerts/:id/resolve with hazard)');
    if (!this.registry.towns.includes(b.town)) throw bad('town', `no town ${b.town} in the district (${this.registry.towns.join(', ')})`);
    const tenant = b.tenant === undefined ? undefined : this.registry.tenantsById.get(b.tenant);
    if (b.tenant !== undefined && !tenant) throw bad('tenant', `no tenant with id ${b.tenant}`);
    const h: NewHazard = {
      source: b.source,
      sourceRef: b.sourceRef ?? null,
      tenant: tenant?.id ?? null,
      department: b.department ?? null,
      unitName: tenant?.name ?? b.department!,
      town: b.town,
      industry: tenant?.industry ?? null,
      device: null,
      level: b.level,
      description: b.description,
      deadline: b.deadline,
      actor,
    };
    return this.store.create(h);
  }

  /**
   * The hazard a `real` alert opens as it is resolved. `resolve` runs inside
   * the hazard's transaction: the alert is resolved and the hazard stored
   * together, or (a throw) neither.
   */
  fromAlert(alert: Alert, b: HazardFromAlert, note: string, actor: string, resolve: (h: Hazard) => void): Promise<{ hazard: Hazard; event: HazardEvent }> {
    const tenant = this.registry.tenantsById.get(alert.tenant);
    const h: NewHazard = {
      source: 'alert',
      sourceRef: alert.id,
      tenant: b.department === undefined ? alert.tenant : null,
      department: b.department ?? null,
      unitName: b.department ?? tenant?.name ?? alert.tenant,
      town: alert.town,
      industry: tenant?.industry ?? null,
      device: alert.device,
      level: b.level,
      description: b.description ?? `${alert.name}：${note}`,
      deadline: b.deadline,
      actor,
    };
    return this.store.create(h, resolve);
  }

  /**
   * 延期: a new deadline, later than the old one and than `now`; the history
   * line names both (in the district's time) and the reason. 404, 400 or 409.
   */
  async extend(id: string, b: HazardExtendBody, actor: string, now: number) {
    const bad = (why: string) => new HttpError(400, 'invalid extend body', [`/deadline: ${why}`]);
    if (b.deadline <= now) throw bad('the new deadline must be in the future');
    // Compared with the current deadline inside the store's transaction: of two extensions at once, each is checked against the other's.
    const note = (current: number) => `期限延至 ${this.time(b.deadline)}（原 ${this.time(current)}）：${b.reason}`;
    const r = await this.store.extend(id, { deadline: b.deadline, actor: actor || SYSTEM_ACTOR, note });
    if (!r) throw new HttpError(404, `no hazard with id ${id}`);
    if ('refused' in r) throw new HttpError(409, `hazard ${id} is already signed off; its deadline no longer applies`);
    if ('notLater' in r) throw bad(`the new deadline must be later than the current one (${this.time(r.notLater)})`);
    return r;
  }

  private time(ms: number): string {
    return new Date(ms).toLocaleString('sv-SE', { timeZone: this.timeZone, hour12: false }).slice(0, 16);
  }

  /** Applies a command, as the state machine allows; 404 and 409 otherwise. */
  async apply(id: string, command: HazardCommand, actor: string, note: string | null, attachments?: string[]) {
    const t = HAZARD_TRANSITIONS[command];
    const r = await this.store.change(id, { action: ACTION_OF[command], actor: actor || SYSTEM_ACTOR, from: t.from, to: t.to, note, attachments });
    if (!r) throw new HttpError(404, `no hazard with id ${id}`);
    if ('refused' in r) throw new HttpError(409, `hazard ${id} ${hazardRefusal(command, r.refused)}`);
    return r;
  }
}
