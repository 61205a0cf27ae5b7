import { HAZARD_LEVEL_LABELS, SYSTEM_ACTOR, type Hazard } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { AuditTrail } from '../auth/audit-trail.js';
import type { HazardStore } from '../store/register-types.js';

const log = logger('hazards');

/** Hazards escalated per query; a check keeps going while batches come back full, up to the cap. */
const BATCH = 100;
const MAX_PER_CHECK = 5000;

export interface HazardEscalationOptions {
  hazards: HazardStore;
  audit: AuditTrail;
  /** The notifier's entry for an overdue hazard (through the outbox to every target). */
  notify: (h: Hazard) => void;
  /** Escalated again this long after each escalation, while it stays open. */
  repeatMs: number;
  checkMs: number;
  now?: () => number;
  /** Told of every escalation (the dashboard's live list). */
  onEscalated?: (h: Hazard) => void;
}

/**
 * 督办: a hazard past its rectification deadline and not signed off escalates,
 * then again every `repeatMs` while it stays open. Each check reads only the
 * hazards due (an index on their next escalation time), so its cost follows
 * what is due, not the size of the register. Each escalation is in the
 * hazard's history, the audit log and the outbox.
 */
export class HazardEscalation {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private readonly now: () => number;

  constructor(private readonly o: HazardEscalationOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.check().catch((err) => log.error({ err }, 'hazard escalation check failed')), this.o.checkMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** Escalates every hazard due now; one check at a time. Returns how many escalated. */
  check(): Promise<number> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<number> {
    let done = 0;
    for (;;) {
      const t = this.now();
      const due = await this.o.hazards.due(t, BATCH);
      for (const h of due) if (await this.escalate(h, t)) done++;
      if (due.length < BATCH || done >= MAX_PER_CHECK) break;
    }
    return done;
  }

  private async escalate(h: Hazard, t: number): Promise<boolean> {
    const overdueH = Math.max(0, Math.round((t - h.deadline) / 3600_000));
    const note = `第${h.escalations + 1}次督办：${HAZARD_LEVEL_LABELS[h.level].zh}超过整改期限约 ${overdueH} 小时未销号 (past its rectification deadline, not signed off)`;
    const r = await this.o.hazards.escalated(h.id, t, t + this.o.repeatMs, note);
    if (!r) return false;
    this.o.notify(r.hazard);
    await this.o.audit.record(
      null,
      null,
      {
        action: 'hazard.escalate',
        target: h.id,
        before: { escalations: h.escalations },
        after: { escalations: r.hazard.escalations, state: r.hazard.state },
        detail: note,
      },
      { actor: SYSTEM_ACTOR, tenant: h.tenant },
    );
    log.info({ hazard: h.id, escalations: r.hazard.escalations, unit: h.unitName }, 'hazard past its deadline escalated');
    try {
      this.o.onEscalated?.(r.hazard);
    } catch (err) {
      log.error({ err }, 'hazard escalation listener failed');
    }
    return true;
  }
}
