import { performance } from 'node:perf_hooks';
import type { Logger } from './logger.js';

/**
 * Times the named phases of a start-up, one after another: each `end(name)`
 * closes the phase that ran since the previous one. `report` logs them all in
 * one line, so an operator (and the README) can say where start-up time goes.
 */
export class StartPhases {
  private readonly phases: [string, number][] = [];
  private readonly t0: number;
  private last: number;

  constructor(private readonly clock: () => number = () => performance.now()) {
    this.t0 = this.last = clock();
  }

  /** Closes the phase that ran since the previous `end` (or since construction) under `name`. */
  end(name: string): void {
    const t = this.clock();
    this.phases.push([name, Math.round(t - this.last)]);
    this.last = t;
  }

  /** Every phase's ms, in the order they ran, and the total. */
  figures(): { phases: Record<string, number>; totalMs: number } {
    const phases: Record<string, number> = {};
    // A phase name used twice adds up (a retried step is still one place time went).
    for (const [name, ms] of this.phases) phases[name] = (phases[name] ?? 0) + ms;
    return { phases, totalMs: Math.round(this.last - this.t0) };
  }

  report(log: Logger, msg: string): void {
    const { phases, totalMs } = this.figures();
    log.info({ phasesMs: phases, totalMs }, msg);
  }
}
