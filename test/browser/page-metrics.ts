/**
 * What a browser test can say about how smooth the page is: main-thread long
 * tasks (PerformanceObserver 'longtask'), frame intervals (requestAnimationFrame
 * sampling) and the dashboard's Socket.IO state sampled every 100 ms. For the
 * test's log only: timing figures are the bench's business, not an assertion's.
 */
import type { Page } from 'playwright-core';

interface Sampling {
  tasks: number[];
  frames: number[];
  states: string[];
  stop: boolean;
}

declare global {
  interface Window {
    __pageSampling?: Sampling;
  }
}

export interface PageFigures {
  longestTaskMs: number;
  longTasks: number;
  frames: number;
  frameMedianMs: number;
  frameP95Ms: number;
  /** Every connection state seen, in order, without repeats. */
  states: string[];
}

const STATE_SAMPLE_MS = 100;

/** Starts (or restarts) sampling in the page. */
export async function startSampling(page: Page): Promise<void> {
  await page.evaluate((stateMs) => {
    if (window.__pageSampling) window.__pageSampling.stop = true;
    const s: Sampling = { tasks: [], frames: [], states: [], stop: false };
    window.__pageSampling = s;
    const obs = new PerformanceObserver((list) => {
      if (s.stop) return obs.disconnect();
      for (const e of list.getEntries()) s.tasks.push(e.duration);
    });
    obs.observe({ type: 'longtask' });
    let last = performance.now();
    const frame = (t: number) => {
      if (s.stop) return;
      s.frames.push(t - last);
      last = t;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame((t) => {
      last = t;
      requestAnimationFrame(frame);
    });
    const poll = setInterval(() => {
      if (s.stop) return clearInterval(poll);
      const state = window.__lifeline?.connection() ?? 'none';
      if (s.states[s.states.length - 1] !== state) s.states.push(state);
    }, stateMs);
    s.states.push(window.__lifeline?.connection() ?? 'none');
  }, STATE_SAMPLE_MS);
}

/** Stops sampling and sums it up. */
export async function stopSampling(page: Page): Promise<PageFigures> {
  const s = await page.evaluate(() => {
    const x = window.__pageSampling!;
    x.stop = true;
    return { tasks: x.tasks, frames: x.frames, states: x.states };
  });
  const frames = [...s.frames].sort((a, b) => a - b);
  const at = (q: number) => (frames.length ? frames[Math.min(frames.length - 1, Math.floor(q * frames.length))]! : NaN);
  return {
    longestTaskMs: s.tasks.length ? Math.max(...s.tasks) : 0,
    longTasks: s.tasks.length,
    frames: frames.length,
    frameMedianMs: at(0.5),
    frameP95Ms: at(0.95),
    states: s.states,
  };
}

export function formatFigures(f: PageFigures): string {
  const ms = (x: number) => `${Math.round(x)} ms`;
  return `longest task ${ms(f.longestTaskMs)} (${f.longTasks} over 50 ms), ${f.frames} frames: median ${ms(f.frameMedianMs)}, p95 ${ms(f.frameP95Ms)}; link ${f.states.join(' → ')}`;
}

/** Long tasks since the page loaded, as far as the browser kept them (Chromium buffers them for a late observer). */
export async function longTasksSinceLoad(page: Page): Promise<{ count: number; longestMs: number; totalMs: number }> {
  return page.evaluate(
    () =>
      new Promise<{ count: number; longestMs: number; totalMs: number }>((resolve) => {
        const obs = new PerformanceObserver((list) => {
          obs.disconnect();
          const d = list.getEntries().map((e) => e.duration);
          resolve({ count: d.length, longestMs: d.length ? Math.max(...d) : 0, totalMs: d.reduce((a, b) => a + b, 0) });
        });
        obs.observe({ type: 'longtask', buffered: true });
        // Nothing buffered: no callback comes.
        setTimeout(() => resolve({ count: 0, longestMs: 0, totalMs: 0 }), 500);
      }),
  );
}
