/**
 * The dashboard in headless Chromium (Debian's, with SwiftShader, launched as
 * the browser tests launch it) logged in as a duty officer, for the city
 * bench: the time from navigation to every device drawn, then windows of
 * frame intervals (requestAnimationFrame deltas), main-thread long tasks
 * (PerformanceObserver 'longtask') and the Socket.IO link's state, sampled in
 * the page. The in-page code is plain JavaScript text: the bench is compiled
 * without the DOM's types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { median, percentile, sleep } from './report.js';

/**
 * The browser tests' launcher (Debian's Chromium, SwiftShader, its flags): one
 * copy of them. Imported by path at run time (tsx), since the bench is
 * compiled apart from the tests.
 */
const CHROMIUM_LAUNCHER = '../../test/browser/chromium.js';
async function launchChromium(o: { lang?: string }): Promise<Browser> {
  const m = (await import(CHROMIUM_LAUNCHER)) as { launchChromium(o: { lang?: string }): Promise<Browser> };
  return m.launchChromium(o);
}

const DRAWN_POLL_MS = 250;
const DRAWN_WAIT_MS = 180_000;

/** Starts sampling into window.__citySampling (frames, tasks, link states every 100 ms). */
const START_SAMPLING = `(() => {
  const old = window.__citySampling;
  if (old) old.stop = true;
  const s = { frames: [], tasks: [], states: [], stop: false };
  window.__citySampling = s;
  const obs = new PerformanceObserver((list) => {
    if (s.stop) return obs.disconnect();
    for (const e of list.getEntries()) s.tasks.push(e.duration);
  });
  obs.observe({ type: 'longtask' });
  const state = () => (window.__lifeline ? window.__lifeline.connection() : 'none');
  s.states.push(state());
  const poll = setInterval(() => {
    if (s.stop) return clearInterval(poll);
    const now = state();
    if (s.states[s.states.length - 1] !== now) s.states.push(now);
  }, 100);
  let last = 0;
  const frame = (t) => {
    if (s.stop) return;
    if (last) s.frames.push(t - last);
    last = t;
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
})()`;

const STOP_SAMPLING = `(() => {
  const s = window.__citySampling;
  s.stop = true;
  return { frames: s.frames, tasks: s.tasks, states: s.states };
})()`;

/** Long tasks since the page loaded (Chromium buffers them for a late observer). */
const LOAD_TASKS = `new Promise((resolve) => {
  const obs = new PerformanceObserver((list) => {
    obs.disconnect();
    const d = list.getEntries().map((e) => e.duration);
    resolve({ count: d.length, longestMs: d.length ? Math.max(...d) : 0, totalMs: d.reduce((a, b) => a + b, 0) });
  });
  obs.observe({ type: 'longtask', buffered: true });
  setTimeout(() => resolve({ count: 0, longestMs: 0, totalMs: 0 }), 500);
})`;

/** The device list request as the page saw it. */
const DEVICE_LIST_ENTRY = `(() => {
  const e = performance.getEntriesByType('resource').find((r) => /\\/api\\/devices(\\?|$)/.test(r.name));
  return e ? { url: e.name, bytes: e.decodedBodySize, wire: e.encodedBodySize, ms: e.duration } : null;
})()`;

/**
 * CPU seconds used so far by the Chromium processes this bench started (the
 * browser, its renderer, GPU and utility processes: every descendant of this
 * process named chrom*): what the page demands, which a busy machine does not
 * change the way it changes frame times.
 */
export function chromiumCpuSeconds(): number {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  const cpu = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = st.lastIndexOf(')');
      const f = st.slice(close + 2).split(' ');
      parent.set(Number(e), Number(f[1]));
      name.set(Number(e), st.slice(st.indexOf('(') + 1, close));
      cpu.set(Number(e), (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const [pid, n] of name) {
    if (!/chrom/i.test(n)) continue;
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p))
      if (p === process.pid) {
        total += cpu.get(pid) ?? 0;
        break;
      }
  }
  return total;
}

export interface WindowFigures {
  frames: number;
  frameMedianMs: number;
  frameP95Ms: number;
  frameMaxMs: number;
  longTasks: number;
  longestTaskMs: number;
  /** Every link state seen, in order, without repeats. */
  states: string[];
  /** Cores the browser's processes used on average during the window. */
  browserCores: number;
}

export interface LoadFigures {
  drawnMs: number;
  loadedMs: number;
  loadLongTasks: number;
  loadLongestTaskMs: number;
  list: { url: string; bytes: number; wire: number; ms: number } | null;
}

export class CityPage {
  private constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
    readonly page: Page,
    readonly errors: string[],
  ) {}

  /** A page with the duty officer's session cookie, nothing loaded yet. */
  static async open(httpUrl: string, sessionCookie: string, reducedMotion: boolean): Promise<CityPage> {
    const browser = await launchChromium({ lang: 'zh-CN' });
    const context = await browser.newContext({
      viewport: { width: 1600, height: 900 },
      locale: 'zh-CN',
      reducedMotion: reducedMotion ? 'reduce' : 'no-preference',
    });
    await context.addCookies([{ name: 'lifeline_session', value: sessionCookie, url: httpUrl, httpOnly: true, sameSite: 'Strict' }]);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    return new CityPage(browser, context, page, errors);
  }

  /** Navigates and waits until the page holds `devices` devices and draws them all (as clusters and points). */
  async load(httpUrl: string, devices: number, progress: (s: string) => void): Promise<LoadFigures> {
    const t0 = Date.now();
    await this.page.goto(httpUrl);
    let loadedMs = NaN;
    let lastSay = Date.now();
    for (;;) {
      const st = (await this.page.evaluate(
        `window.__lifeline ? { loaded: window.__lifeline.deviceCount(), drawn: window.__lifeline.renderedDeviceCount() } : { loaded: 0, drawn: 0 }`,
      )) as { loaded: number; drawn: number };
      if (Number.isNaN(loadedMs) && st.loaded === devices) loadedMs = Date.now() - t0;
      if (st.drawn === devices) break;
      if (Date.now() - t0 > DRAWN_WAIT_MS)
        throw new Error(`dashboard: ${st.loaded} devices loaded, ${st.drawn} drawn of ${devices} after ${DRAWN_WAIT_MS / 1000} s`);
      if (Date.now() - lastSay > 10_000) {
        progress(`dashboard: ${st.loaded} loaded, ${st.drawn} drawn of ${devices} after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
        lastSay = Date.now();
      }
      await sleep(DRAWN_POLL_MS);
    }
    const drawnMs = Date.now() - t0;
    const tasks = (await this.page.evaluate(LOAD_TASKS)) as { count: number; longestMs: number };
    const list = (await this.page.evaluate(DEVICE_LIST_ENTRY)) as LoadFigures['list'];
    return { drawnMs, loadedMs, loadLongTasks: tasks.count, loadLongestTaskMs: tasks.longestMs, list };
  }

  async sample(seconds: number): Promise<WindowFigures> {
    await this.page.evaluate(START_SAMPLING);
    const cpu0 = chromiumCpuSeconds();
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const browserCores = (chromiumCpuSeconds() - cpu0) / ((Date.now() - t0) / 1000);
    const s = (await this.page.evaluate(STOP_SAMPLING)) as { frames: number[]; tasks: number[]; states: string[] };
    return {
      browserCores,
      frames: s.frames.length,
      frameMedianMs: median(s.frames),
      frameP95Ms: percentile(s.frames, 95),
      frameMaxMs: s.frames.length ? Math.max(...s.frames) : NaN,
      longTasks: s.tasks.length,
      longestTaskMs: s.tasks.length ? Math.max(...s.tasks) : 0,
      states: s.states,
    };
  }

  /** What the page shows now: open alerts, pulsing rings, alert rows in the DOM, and the link. */
  async state(): Promise<{ alerts: number; rings: number; rows: number; link: string }> {
    return (await this.page.evaluate(`({
      alerts: window.__lifeline.alerts().length,
      rings: document.querySelectorAll('.pulse-ring').length,
      rows: document.querySelectorAll('.alert-list .alert-row').length,
      link: window.__lifeline.connection(),
    })`)) as { alerts: number; rings: number; rows: number; link: string };
  }

  async screenshot(file: string): Promise<void> {
    await this.page.screenshot({ path: file });
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.browser.close().catch(() => undefined);
  }
}
