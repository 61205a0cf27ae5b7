/**
 * Summarises a .cpuprofile written by `npm run bench -- --part profile` (or any
 * `node --cpu-prof`): self time by function and by area, inclusive time by
 * function, as shares of the busy time of the whole profile or of a window.
 *   node --import tsx bench/profile-summary.ts FILE [--from-s S] [--to-s S] [--top N]
 */
import { parseFlags } from './lib/flags.js';
import { summarize } from './lib/cpu-profile.js';
import { figure } from './lib/report.js';
import { ROOT } from './lib/services.js';

const [file, ...rest] = process.argv.slice(2);
const usage = 'profile-summary FILE [--from-s S] [--to-s S] [--top N]';
const flags = parseFlags(
  {
    fromS: { doc: 'window start, s from the profile start', default: 0 },
    toS: { doc: 'window end (0: the end)', default: 0 },
    top: { doc: 'functions listed', default: 30 },
  },
  rest,
  usage,
);
if (!file || file.startsWith('--')) {
  process.stderr.write(`usage: ${usage}\n`);
  process.exit(2);
}
const s = summarize(file, ROOT, flags.fromS * 1e6, flags.toS ? flags.toS * 1e6 : Infinity, flags.top);
figure('profile.window_s', s.windowS.toFixed(1));
figure('profile.platform_busy_share', (1 - s.idle).toFixed(3));
figure('profile.gc_share_of_busy', s.gc.toFixed(3));
for (const [kind, xs] of [
  ['self', s.self],
  ['area', s.areas],
  ['inclusive', s.inclusive],
] as const) {
  xs.forEach((x, i) => figure(`profile.${kind}.${String(i + 1).padStart(2, '0')}`, `${(x.share * 100).toFixed(1)} % ${x.name}`));
}
