/**
 * When each simulated device reports next: one indexed binary min-heap over
 * typed arrays for every device, whatever their number — no timer per
 * device, no object per report, 16 bytes a device. Each device keeps its own
 * interval with jitter so devices drift apart, and the first reports spread
 * over one interval so they do not all fire at once. Pure: the caller passes
 * the clock, so tests run it on a fake one.
 */
import type { Rng } from './rng.js';

/** Intervals vary by this fraction either way so devices drift apart. */
export const JITTER = 0.1;

/** A device's interval in ms of wall-clock time: its seconds, the clock's speed-up and the load test's rate multiplier. */
export function reportIntervalMs(intervalS: number, speed = 1, rateMultiplier = 1): number {
  return (intervalS * 1000) / (speed * rateMultiplier);
}

export class ReportSchedule {
  /** Due time per slot (ms). */
  private readonly due: Float64Array;
  /** Heap of slots ordered by due time, and each slot's position in it. */
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  private size = 0;

  /**
   * @param intervalMs a slot's current interval in ms (already divided by any speed-up); asked at every report
   */
  constructor(
    readonly slots: number,
    private readonly intervalMs: (slot: number) => number,
    private readonly rng: Rng,
    private readonly jitter = JITTER,
  ) {
    this.due = new Float64Array(slots);
    this.heap = new Int32Array(slots);
    this.pos = new Int32Array(slots).fill(-1);
  }

  /**
   * Puts every slot on the schedule, its first report where a device that
   * had been reporting for ever would be: a random point of a gap drawn in
   * proportion to its length (the renewal process's forward time). A plain
   * uniform point of one interval would leave a ±50 % wave in the total rate
   * one interval later, where the first reports stop and the jittered second
   * ones pile up.
   */
  start(now: number): void {
    for (let i = 0; i < this.slots; i++) {
      const interval = this.intervalMs(i);
      const [a, b] = [interval * (1 - this.jitter), interval * (1 + this.jitter)];
      const gap = Math.sqrt(a * a + this.rng.next() * (b * b - a * a));
      this.set(i, now + this.rng.next() * gap);
    }
  }

  /** When the earliest slot is due (Infinity when none is scheduled). */
  peek(): number {
    return this.size ? this.due[this.heap[0]!]! : Infinity;
  }

  dueAt(slot: number): number {
    return this.due[slot]!;
  }

  /**
   * The slot due at `now` or earlier, rescheduled one jittered interval after
   * its due time; -1 when none is due. A slot far behind (a stalled event
   * loop, a busy machine) restarts from now instead of catching up in a burst.
   */
  take(now: number): number {
    if (!this.size) return -1;
    const slot = this.heap[0]!;
    const due = this.due[slot]!;
    if (due > now) return -1;
    const interval = this.intervalMs(slot);
    const next = due + interval * (1 + (this.rng.next() * 2 - 1) * this.jitter);
    this.set(slot, next < now - interval ? now + interval * this.rng.next() : next);
    return slot;
  }

  /** Moves a slot's next report to `due` (earlier or later). */
  set(slot: number, due: number): void {
    this.due[slot] = due;
    let i = this.pos[slot]!;
    if (i < 0) {
      i = this.size++;
      this.heap[i] = slot;
      this.pos[slot] = i;
    }
    this.up(i);
    this.down(this.pos[slot]!);
  }

  private up(i: number): void {
    const { heap, pos, due } = this;
    const slot = heap[i]!;
    const d = due[slot]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p]!;
      if (due[ps]! <= d) break;
      heap[i] = ps;
      pos[ps] = i;
      i = p;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private down(i: number): void {
    const { heap, pos, due, size } = this;
    const slot = heap[i]!;
    const d = due[slot]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const c = r < size && due[heap[r]!]! < due[heap[l]!]! ? r : l;
      const cs = heap[c]!;
      if (due[cs]! >= d) break;
      heap[i] = cs;
      pos[cs] = i;
      i = c;
    }
    heap[i] = slot;
    pos[slot] = i;
  }
}

/** Bursts: `size` readings at once when the feeds start, and again every `everyMs` if given. */
export interface BurstPlan {
  size: number;
  everyMs?: number;
}

/**
 * Which readings a burst sends: devices in turn from where the last burst
 * stopped, so bursts smaller than the district cover all of it in turn; a
 * burst larger than the district sends several readings per device, each one
 * interval older than the last (`age` counts intervals back), as a gateway
 * flushing its buffer would.
 */
export class Bursts {
  private nextAt: number | null = null;
  private cursor = 0;

  constructor(
    private readonly plan: BurstPlan,
    private readonly slots: number,
  ) {
    if (!(plan.size >= 1) || !Number.isInteger(plan.size)) throw new RangeError(`a burst is a whole number of messages ≥ 1, got ${plan.size}`);
    if (plan.everyMs !== undefined && !(plan.everyMs > 0)) throw new RangeError(`bursts must be a positive time apart, got ${plan.everyMs} ms`);
  }

  start(now: number): void {
    this.nextAt = now;
  }

  /** When the next burst is due (Infinity when no more). */
  peek(): number {
    return this.nextAt ?? Infinity;
  }

  /** The readings of the burst due at `now`, as [slot, age] pairs; empty when none is due. */
  take(now: number): [slot: number, age: number][] {
    if (this.nextAt === null || now < this.nextAt) return [];
    // A late burst (a stalled loop) is sent once, not once per period missed.
    const every = this.plan.everyMs;
    this.nextAt = every === undefined ? null : this.nextAt + every > now ? this.nextAt + every : now + every;
    const out: [number, number][] = new Array(this.plan.size);
    for (let i = 0; i < this.plan.size; i++) {
      const slot = (this.cursor + i) % this.slots;
      out[i] = [slot, Math.floor(i / this.slots)];
    }
    this.cursor = (this.cursor + this.plan.size) % this.slots;
    return out;
  }
}
