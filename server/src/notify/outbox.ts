import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { NotificationView } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import { writeFileDurably } from '../alerts/silences.js';

const log = logger('outbox');

/** A message waiting to go out, or gone: what the API shows plus where and what to post. */
export interface OutboxItem extends NotificationView {
  url: string;
  body: unknown;
}

type Record_ =
  | { op: 'add'; item: OutboxItem }
  | { op: 'set'; id: string; patch: Partial<Pick<OutboxItem, 'status' | 'attempts' | 'nextAt' | 'doneAt' | 'lastError'>> };

/** Finished messages kept (in memory and across compaction) for `GET /api/notifications`. */
const KEEP_FINISHED = 1000;
/** The file is compacted when it has grown this much since the last compaction. */
const COMPACT_BYTES = 8 * 1024 * 1024;

/**
 * The notification outbox: an append-only JSON-lines file in the data dir,
 * fsynced on every append, folded and compacted at start-up (and when it grows
 * large). A message is in the file before anyone tries to send it, so a crash
 * between enqueue and delivery loses nothing: it is sent after the restart (at
 * least once). A torn last line from a crash is skipped.
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

  set(id: string, patch: Extract<Record_, { op: 'set' }>['patch']): void {
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
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let r: Record_;
      try {
        r = JSON.parse(line) as Record_;
      } catch {
        bad++; // a line torn by a crash mid-write
        continue;
      }
      if (r.op === 'add' && r.item?.id) this.items.set(r.item.id, r.item);
      else if (r.op === 'set') {
        const item = this.items.get(r.id);
        if (item) Object.assign(item, r.patch);
      }
    }
    if (bad) log.warn({ file: this.file, bad }, 'skipped unreadable outbox lines (torn by a crash)');
    const s = this.stats;
    if (s.pending) log.info({ pending: s.pending }, 'undelivered notifications resume from the outbox');
  }

  /** Rewrites the file with what is still pending and the newest finished messages. */
  private compact(): void {
    this.trimFinished();
    if (this.fd !== null) closeSync(this.fd);
    const lines = [...this.items.values()].map((item) => JSON.stringify({ op: 'add', item } satisfies Record_));
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

  private append(records: Record_[]): void {
    if (this.fd === null) throw new Error('outbox is closed');
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    writeSync(this.fd, text);
    fsyncSync(this.fd);
    this.written += text.length;
    if (this.written > COMPACT_BYTES) this.compact();
  }
}
