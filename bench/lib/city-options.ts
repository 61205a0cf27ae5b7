/** Every flag of `npm run bench -- --part city` (bench/city-dashboard.ts), with its doc and default. */
import type { Flags } from './flags.js';

export const CITY_FLAGS = {
  part: { doc: 'accepted for `npm run bench -- --part city`; only "city" runs here', default: 'city' },
  devices: { doc: 'devices in the registry the dashboard is measured with', default: 100_000 },
  sizes: { doc: 'registry sizes whose platform CPU and RSS are measured at steady load (10k allowed)', default: [10_000, 100_000, 200_000] },
  rate: { doc: 'device updates a second (telemetry, each a device patch on Socket.IO; first readings change a device from unknown to normal)', default: 1000 },
  alertRate: { doc: "of those, readings a second that raise a yellow gas alert (cleared by the device's next normal reading)", default: 20 },
  redRate: { doc: 'of those, readings a second that raise a red gas alert (open until a person acts: a pulsing ring on the map)', default: 1 },
  warmupSeconds: { doc: 'seconds of load before anything is measured', default: 10 },
  windowSeconds: { doc: 'seconds of one measured window (dashboard frames, platform CPU)', default: 30 },
  windows: { doc: 'measured windows in a row; figures are their median and range', default: 3 },
  browser: { doc: 'measure the dashboard in headless Chromium (--browser=false: only the platform figures)', default: true },
  reducedMotion: { doc: 'open the dashboard with prefers-reduced-motion: reduce (the duty screen keeps its default)', default: false },
  restart: { doc: 'measure the restart to /api/health 200 at --devices (--restart=false: not)', default: true },
  crashAfterSeconds: {
    doc: 'restart: as many restarts again after a SIGKILL, each this long after the last start under the load (0: none; latest values are snapshot every LATEST_SNAPSHOT_SECONDS, 60)',
    default: 45,
  },
  quietIdle: { doc: 'a phase starts once this fraction of the CPU has been idle for 2 s', default: 0.6 },
  quietTimeout: { doc: 'seconds to wait for that before running anyway (and saying so)', default: 30 },
  screenshot: { doc: 'where a screenshot of the dashboard goes at the end of its windows (empty: none)', default: '.run/bench-city/dashboard.png' },
  platformEnv: { doc: 'extra environment for the platform, K=V,K=V', default: '' },
  verbose: { doc: "pass the platform's log (stdout) and stderr through", default: false },
} as const;

export type CityFlags = Flags<typeof CITY_FLAGS>;
