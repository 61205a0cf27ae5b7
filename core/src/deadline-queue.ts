/**
 * Ids by deadline, earliest first (a binary min-heap), at most one live entry
 * per id: what a timer that must not walk every device or alert each tick
 * keeps. Rescheduling later is lazy — the owner re-checks an id when it comes
 * due and schedules it again if its real deadline moved — so a device heard
 * from on every message costs a map lookup, not a heap operation.
 */
export class DeadlineQueue {
  private readonly at: number[] = [];
  private readonly ids: string[] = [];
  /** The deadline of each id's live entry; heap entries that disagree are stale and skipped. */
  private readonly live = new Map<string, number>();

  get size(): number {
    return this.live.size;
  }

  has(id: string): boolean {
    return this.live.has(id);
  }

  /** The deadline `id` is scheduled at, if any. */
  deadlineOf(id: string): number | undefined {
    return this.live.get(id);
  }

  /** Schedules `id` at `at`, unless it is already due earlier or at the same time (then it is re-checked then). */
  schedule(id: string, at: number): void {
    const cur = this.live.get(id);
    if (cur !== undefined && cur <= at) return;
    this.live.set(id, at);
    this.push(at, id);
  }

  /** Schedules `id` at `at` whatever its entry says (a deadline that moved earlier or later). */
  reschedule(id: string, at: number): void {
    if (this.live.get(id) === at) return;
    this.live.set(id, at);
    this.push(at, id);
  }

  delete(id: string): void {
    this.live.delete(id);
  }

  clear(): void {
    this.at.length = 0;
    this.ids.length = 0;
    this.live.clear();
  }

  /** The earliest live deadline, or undefined. */
  peek(): number | undefined {
    this.dropStale();
    return this.at[0];
  }

  /** Removes and returns up to `max` ids due at or before `now`, earliest first. */
  popDue(now: number, max = Infinity): string[] {
    const out: string[] = [];
    while (out.length < max) {
      this.dropStale();
      if (!this.at.length || this.at[0]! > now) break;
      const id = this.ids[0]!;
      this.live.delete(id);
      this.pop();
      out.push(id);
    }
    return out;
  }

  /** Heap entries grow with reschedules; rebuilt from the live ones when stale ones outnumber them. */
  private push(at: number, id: string): void {
    if (this.at.length > 1024 && this.at.length > 4 * this.live.size) this.rebuild();
    this.at.push(at);
    this.ids.push(id);
    this.up(this.at.length - 1);
  }

  private dropStale(): void {
    while (this.at.length && this.live.get(this.ids[0]!) !== this.at[0]) this.pop();
  }

  private rebuild(): void {
    this.at.length = 0;
    this.ids.length = 0;
    for (const [id, at] of this.live) {
      this.at.push(at);
      this.ids.push(id);
    }
    for (let i = (this.at.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private pop(): void {
    const lastAt = this.at.pop()!;
    const lastId = this.ids.pop()!;
    if (!this.at.length) return;
    this.at[0] = lastAt;
    this.ids[0] = lastId;
    this.down(0);
  }

  private up(i: number): void {
    const { at, ids } = this;
    const a = at[i]!;
    const id = ids[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (at[p]! <= a) break;
      at[i] = at[p]!;
      ids[i] = ids[p]!;
      i = p;
    }
    at[i] = a;
    ids[i] = id;
  }

  private down(i: number): void {
    const { at, ids } = this;
    const n = at.length;
    const a = at[i]!;
    const id = ids[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && at[c + 1]! < at[c]!) c++;
      if (at[c]! >= a) break;
      at[i] = at[c]!;
      ids[i] = ids[c]!;
      i = c;
    }
    at[i] = a;
    ids[i] = id;
  }
}
