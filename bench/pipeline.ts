/**
 * The whole pipeline on this machine — devices → Mosquitto → Lifeline →
 * InfluxDB — against the real services scripts/services.sh starts, in a
 * private directory on free ports. Never part of the test suite.
 *
 *   npm run bench [-- --part throughput,paced,crash,alerts] [flags]   (--help lists them)
 *
 * Parts: throughput (interleaved with the bare baseline), paced (offered
 * rates in steps: delivered, backlog, exact loss, publish → stored p99),
 * crash (SIGKILL + restart, and an InfluxDB outage: acknowledged vs stored),
 * alerts (publish → Socket.IO alert latency), profile (node --cpu-prof of
 * the platform at a paced rate; not in "all").
 * Progress goes to stderr; figures to stdout, one `name: value` a line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alertLatency } from './lib/alert-latency.js';
import { Bench } from './lib/context.js';
import { crash } from './lib/crash.js';
import { parseFlags } from './lib/flags.js';
import { BENCH_FLAGS, PARTS, type Part } from './lib/options.js';
import { paced } from './lib/paced.js';
import { profile } from './lib/profile.js';
import { figure, say, sleep } from './lib/report.js';
import { ROOT, startServices, removeServices } from './lib/services.js';
import { throughput } from './lib/throughput.js';

const flags = parseFlags(BENCH_FLAGS, process.argv.slice(2), 'npm run bench -- [flags]: throughput, paced sustained rate, crash and outage, alert latency');
const parts = new Set<Part>(
  flags.part === 'all'
    ? PARTS.filter((p) => p !== 'profile')
    : flags.part.split(',').map((p) => {
        if (!(PARTS as readonly string[]).includes(p)) {
          say(`--part: unknown part "${p}" (${PARTS.join(', ')}, all)`);
          process.exit(2);
        }
        return p as Part;
      }),
);

/** Which platform is measured: the commit, how many files differ from it, and when its dist was built. */
function platformState(root: string): string {
  const git = (...a: string[]) => {
    try {
      return execFileSync('git', ['-C', root, ...a], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      return '';
    }
  };
  const built = ['core/dist/node.js', 'ingest/dist/ingest.js', 'server/dist/platform.js']
    .map((f) => {
      try {
        return statSync(path.join(root, f)).mtime.getTime();
      } catch {
        return 0;
      }
    })
    .reduce((a, b) => Math.max(a, b), 0);
  const head = git('rev-parse', '--short', 'HEAD') || 'no git';
  const dirty = git('status', '--porcelain').split('\n').filter(Boolean).length;
  return `${path.join(root, 'server/dist/main.js')}, commit ${head}${dirty ? ` + ${dirty} uncommitted files` : ''}, dist built ${built ? new Date(built).toISOString() : '?'}`;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-'));
const started = Date.now();
let bench: Bench | null = null;
let cleaned = false;
/** Kills what the bench started and stops its services: at the end, on an error, and on Ctrl-C or SIGTERM. */
function cleanUp(): void {
  if (cleaned) return;
  cleaned = true;
  bench?.cleanup();
  removeServices(dir, say);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    say(`${sig}: stopping what the bench started`);
    cleanUp();
    process.exit(130);
  });
}
try {
  say(`starting Mosquitto, InfluxDB and PostgreSQL in ${dir}`);
  const services = await startServices(dir);
  bench = new Bench(services, flags, dir);
  figure('bench.started', new Date(started).toISOString());
  figure('bench.machine', `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${Math.round(os.totalmem() / 2 ** 30)} GB, node ${process.version}`);
  figure('bench.platform', platformState(flags.platformRoot ? path.resolve(flags.platformRoot) : ROOT));
  let sustained: number | null = null;
  if (parts.has('throughput')) await throughput(bench);
  if (parts.has('paced')) sustained = await paced(bench);
  if (parts.has('crash')) await crash(bench);
  if (parts.has('alerts')) await alertLatency(bench, flags.alertRate || (sustained ? Math.round(sustained / 2) : 10_000));
  if (parts.has('profile')) await profile(bench);
  figure('bench.minutes', ((Date.now() - started) / 60_000).toFixed(1));
} finally {
  await sleep(200);
  cleanUp();
}
