import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { silenceList, type Alert, type Silence, type SilenceInput } from '@lifeline/core';
import { checkJson, logger, setAside, writeFileDurably } from '@lifeline/core/node';
import type { SilenceMatcher } from './alert-manager.js';

const log = logger('silences');

/** Silences that ended longer ago than this are dropped from the file. */
const KEEP_ENDED_MS = 30 * 24 * 3600_000;

/**
 * Maintenance silences (维护屏蔽), kept in one JSON file rewritten durably
 * (temp file, fsync, rename, fsync of the directory) on every change: they
 * are few and change rarely.
 */
export class SilenceStore implements SilenceMatcher {
  private items: Silence[] = [];

  constructor(
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    if (!existsSync(file)) return;
    const r = checkJson(readFileSync(file, 'utf8'), silenceList);
    if (r.ok) this.items = r.value;
    else log.error({ file, errors: r.errors, keptAs: setAside(file) }, 'silence file is not valid; starting with none (the file is kept for an operator)');
    this.items = this.items.filter((s) => s.to > this.now() - KEEP_ENDED_MS);
  }

  list(): Silence[] {
    return [...this.items].sort((a, b) => b.from - a.from);
  }

  get(id: string): Silence | undefined {
    return this.items.find((s) => s.id === id);
  }

  /** Silences not yet over (current or future). */
  activeCount(): number {
    const t = this.now();
    let n = 0;
    for (const s of this.items) if (s.to > t) n++;
    return n;
  }

  /** A new silence created by `actor` (the logged-in person). */
  add(input: SilenceInput, actor: string): Silence {
    const s: Silence = { ...input, actor, id: `s-${this.now().toString(36)}-${randomBytes(3).toString('hex')}`, createdAt: this.now() };
    this.items.push(s);
    this.save();
    log.info({ id: s.id, device: s.device, site: s.site, tenant: s.tenant, from: s.from, to: s.to, actor }, 'silence added');
    return s;
  }

  /**
   * Ends a silence now: it stays in the list (and the audit log) with who ended
   * it and when, so a muted period is never rewritten as never muted.
   */
  end(id: string, actor: string): Silence | undefined {
    const s = this.items.find((x) => x.id === id);
    if (!s) return undefined;
    if (s.endedAt !== undefined) return s;
    const t = this.now();
    s.endedAt = t;
    s.endedBy = actor;
    if (s.to > t) s.to = Math.max(s.from, t);
    this.save();
    log.info({ id, actor }, 'silence ended');
    return s;
  }

  match(a: Pick<Alert, 'device' | 'tenant' | 'site'>, at: number): Silence | undefined {
    return this.items.find(
      (s) =>
        s.from <= at &&
        at < s.to &&
        ((s.device !== undefined && s.device === a.device) || (s.site !== undefined && s.site === a.site) || (s.tenant !== undefined && s.tenant === a.tenant)),
    );
  }

  private save(): void {
    writeFileDurably(this.file, JSON.stringify(this.items, null, 1));
  }
}
