/**
 * The duty screen's one beat. Everything that changes on the screen by itself —
 * streamed device patches and their counters, alert rows, rings, the clock,
 * and everything that blinks (alarm rings, flashing rows, the escalation
 * badge, a lost link's dot) — changes on it, so the page draws a changed
 * frame at most twice a second however much streams in; a person's own
 * actions are drawn at once.
 *
 * Why: every frame in which anything on the page changes costs a composite of
 * the whole window, and under software GL (SwiftShader in headless Chromium,
 * or a busy duty PC) that is 65–400 ms of the GPU process, map or no map.
 * Changes drawn as they arrived (a device patch one frame, an alert row the
 * next, the clock the one after) made nearly every frame such a frame at
 * 100,000 devices (bench/city-dashboard.ts).
 *
 * Blinking is the class `blink-off` on the root element, toggled on every
 * beat, which styles.css reads; not CSS animations, which make Chromium
 * composite every frame for as long as they run. With prefers-reduced-motion
 * nothing blinks (the updates keep the beat).
 */
export const BEAT_MS = 1000;
const OFF = 'blink-off';

/** Jobs for the next beat, each once however often asked for (a Set: bounded by the number of distinct jobs). */
const next = new Set<() => void>();
const every = new Set<() => void>();
let timer = 0;

/** Starts the beat (once per page). */
export function startScreenBeat(root: HTMLElement = document.documentElement): void {
  if (timer) return;
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)');
  timer = window.setInterval(() => {
    if (reduce.matches) root.classList.remove(OFF);
    else root.classList.toggle(OFF);
    const jobs = [...next, ...every];
    next.clear();
    for (const job of jobs) {
      try {
        job();
      } catch (err) {
        console.error('screen update failed', err);
      }
    }
  }, BEAT_MS);
}

/** Runs `job` on the next beat; asked again before then, it still runs once. */
export function onNextBeat(job: () => void): void {
  startScreenBeat();
  next.add(job);
}

/** Runs `job` on every beat (what changes with time: the clock, minutes waiting). */
export function onEveryBeat(job: () => void): void {
  startScreenBeat();
  every.add(job);
}
