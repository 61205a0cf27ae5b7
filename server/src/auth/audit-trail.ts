import type { Request } from 'express';
import { logger } from '@lifeline/core/node';
import type { AuditInput, AuditStore } from '../store/types.js';
import { clientIp, type AuthContext } from './http-auth.js';

const log = logger('audit');

/** How much of a session id the audit log keeps: enough to tell sessions apart, not to use one. */
const SESSION_ID_CHARS = 16;

export type AuditRecord = Pick<AuditInput, 'action' | 'target' | 'before' | 'after' | 'outcome' | 'detail'>;

/**
 * Writes who did what from where. Awaited before an answer, so what a person
 * was told they did is on record; a store failure is logged loudly, never
 * turned into a failed action (the action already happened).
 */
export class AuditTrail {
  constructor(private readonly store: AuditStore) {}

  async record(
    req: Request | null,
    who: AuthContext | null,
    r: AuditRecord,
    as?: { actor: string | null; role?: string | null; tenant?: string | null },
  ): Promise<void> {
    const e: AuditInput = {
      actor: who?.user.username ?? as?.actor ?? null,
      role: who?.user.role ?? as?.role ?? null,
      tenant: who?.user.tenant ?? as?.tenant ?? null,
      ip: req ? clientIp(req) : null,
      session: who ? who.session.id.slice(0, SESSION_ID_CHARS) : null,
      outcome: 'ok',
      ...r,
    };
    try {
      await this.store.append(e);
    } catch (err) {
      log.error({ err, action: e.action, target: e.target, actor: e.actor }, 'could not write the audit log');
    }
  }
}
