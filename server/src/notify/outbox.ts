import { closeSync, existsSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import type { NotificationView } from '@lifeline/core';
import { appendDurably, checkJson, logger, outboxRecord, writeFileDurably, type OutboxItem, type OutboxPatch, type OutboxRecord } from '@lifeline/core/node';

export type { OutboxItem } from '@lifeline/core/node';

const log = logger('outbox');

/** Finished messages kept (in memory and across compaction) for `GET /api/notifications`. */
const KEEP_FINISHED = 1000;
/** The file is compacted when it has grown this much since the last compaction. */
const COMPACT_BYTES = 8 * 1024 * 1024;
/** Bad lines whose reason is logged at load; the rest are counted. */
const BAD_LINES_LOGGED = 5;

/**
 * The notification outbox: an append-only JSON-lines file in the data dir,
 * fsynced on every append, folded and compacted at start-up (and when it grows
 * large). A message is in the file before anyone tries to send it, so a crash
 * between enqueue and delivery loses nothing: it is sent after the restart (at
 * least once). Each line is checked against its schema when loaded: a line
 * torn by a crash, or one that is not a record, is skipped and logged.
 */
export class Outbox {
  private readonly items = new Map<string, OutboxItem>();
  private fd: number | null = null;
  private written = 0;

  constructor(private readonly file: string) {
    if (existsSync(file)) this.load();
    this.compact();
  }

  /** Appends messages in one write and one fsync. */
  add(items: OutboxItem[]): void {
    if (!items.length) return;
    for (const item of items) this.items.set(item.id, item);
    this.append(items.map((item) => ({ op: 'add', item })));
  }

  set(id: string, patch: OutboxPatch): void {
    const item = this.items.get(id);
    if (!item) return;
    Object.assign(item, patch);
    if (item.status !== 'pending') delete item.nextAt;
    this.append([{ op: 'set', id, patch }]);
    if (item.status !== 'pending') this.trimFinished();
  }

  pending(): OutboxItem[] {
    return [...this.items.values()].filter((i) => i.status === 'pending');
  }

  /** Newest first, without the bodies. */
  list(limit = 200): NotificationView[] {
    const out = [...this.items.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).slice(0, limit);
    return out.map(({ url: _u, body: _b, ...view }) => view);
  }

  get stats(): { pending: number; delivered: number; failed: number } {
    const s = { pending: 0, delivered: 0, failed: 0 };
    for (const i of this.items.values()) s[i.status]++;
    return s;
  }

  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }

  private load(): void {
    let bad = 0;
    const reasons: string[] = [];
    readFileSync(this.file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.trim()) return;
        const r = checkJson(line, outboxRecord);
        if (!r.ok) {
          // Most often the last line, torn by a crash mid-write.
          if (++bad <= BAD_LINES_LOGGED) reasons.push(`line ${i + 1}: ${r.errors.join('; ')}`);
          return;
        }
        const rec = r.value;
        if (rec.op === 'add') this.items.set(rec.item.id, rec.item);
        else {
          const item = this.items.get(rec.id);
          if (item) Object.assign(item, rec.patch);
        }
      });
    if (bad) log.warn({ file: this.file, bad, reasons }, 'skipped outbox lines that are not valid records (a line torn by a crash, or edited)');
    const s = this.stats;
    if (s.pending) log.info({ pending: s.pending }, 'undelivered notifications resume from the outbox');
  }

  /** Rewrites the file with what is still pending and the newest finished messages. */
  private compact(): void {
    this.trimFinished();
    if (this.fd !== null) closeSync(this.fd);
    const lines = [...this.items.values()].map((item) => JSON.stringify({ op: 'add', item } satisfies OutboxRecord));
    writeFileDurably(this.file, lines.length ? `${lines.join('\n')}\n` : '');
    this.fd = openSync(this.file, 'a');
    this.written = 0;
  }

  private trimFinished(): void {
    const finished = [...this.items.values()].filter((i) => i.status !== 'pending');
    if (finished.length <= KEEP_FINISHED) return;
    finished.sort((a, b) => a.createdAt - b.createdAt);
    for (const i of finished.slice(0, finished.length - KEEP_FINISHED)) this.items.delete(i.id);
  }

  private append(records: OutboxRecord[]): void {
    if (this.fd === null) throw new Error('outbox is closed');
    this.written += appendDurably(this.fd, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    if (this.written > COMPACT_BYTES) this.compact();
  }
}
