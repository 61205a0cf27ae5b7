/**
 * One beat for everything on the duty screen that blinks — alarm rings,
 * flashing alert rows, the escalation badge, a lost link's dot: the class
 * `blink-off` on the root element, toggled twice a period by a timer, which
 * styles.css reads. The page then draws a frame only when the beat changes.
 * A CSS animation, even in steps(), makes Chromium composite every frame for
 * as long as it runs: with a hundred alarm rings on the map and nothing else
 * going on, that was 60–80 ms frames under software GL (bench/city-dashboard.ts).
 * With prefers-reduced-motion nothing blinks.
 */
export const BLINK_PERIOD_MS = 1000;
const OFF = 'blink-off';

let timer = 0;

export function startBlinkClock(root: HTMLElement = document.documentElement): void {
  if (timer) return;
  const reduce = window.matchMedia('(prefers-reduced-motion: reduce)');
  timer = window.setInterval(() => {
    if (reduce.matches) root.classList.remove(OFF);
    else root.classList.toggle(OFF);
  }, BLINK_PERIOD_MS / 2);
}
