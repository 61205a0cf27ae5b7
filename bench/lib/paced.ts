/**
 * Paced sustained mode: the fleet offers each rate of `--steps` for
 * `--step-seconds`, then pauses until everything is stored. Per step: offered
 * and delivered rate, the backlog (published − stored) at the end and its
 * slope over the step's second half, the exact loss after the drain (every
 * `(device, ts)` is unique, so the points stored in the step's ts window are
 * the messages delivered), and publish → stored p50/p99 of the probes.
 * "Sustained" is the highest step with no growing backlog and no loss.
 */
import path from 'node:path';
import type { Bench } from './context.js';
import { clearSession, type Consumer } from './consumers.js';
import type { Fleet } from './fleet.js';
import { PROBE_POLL_MS, ProbeWatch } from './probes.js';
import { figure, percentile, say, slope, sleep } from './report.js';

const SAMPLE_MS = 1000;
/**
 * A backlog is growing when it rises faster than this share of the offered
 * rate over the step's second half and ends above a second's worth (the
 * writer's batches alone make it swing by a quarter second's worth), or when
 * it ends above BACKLOG_LIMIT_S seconds' worth whatever its slope.
 */
const GROWTH_SHARE = 0.05;
const BACKLOG_LIMIT_S = 5;
/** The fleet must offer at least this share of the asked rate for a step to count. */
const OFFERED_SHARE = 0.95;
const DRAIN_STALL_MS = 15_000;
const DRAIN_MAX_MS = 180_000;

interface Step {
  rate: number;
  offered: number;
  delivered: number;
  backlogEnd: number;
  backlogSlope: number;
  published: number;
  stored: number;
  loss: number;
  unacked: number;
  drainS: number;
  p50: number;
  p99: number;
  probes: string;
  /** Cores other processes used during the step. */
  others: number;
  verdict: 'ok' | 'growing' | 'loss' | 'short';
}

async function step(b: Bench, fleet: Fleet, probes: ProbeWatch, db: string, rate: number, label: string): Promise<Step> {
  await b.quiet(`paced ${label} ${rate}/s`);
  const before = await b.influx.written(db);
  const r0 = await fleet.rate(rate);
  const meter = b.cpuMeter();
  probes.start(r0.boundary);
  const samples: { x: number; y: number }[] = [];
  const end = r0.at + b.flags.stepSeconds * 1000;
  let written = before;
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_MS, Math.max(0, end - Date.now())));
    written = await b.influx.written(db).catch(() => written);
    const f = fleet.latest!;
    samples.push({ x: (Date.now() - r0.at) / 1000, y: f.sent - written });
    if (samples.length % 10 === 0)
      say(`paced ${label} ${rate}/s: ${Math.round((f.sent - r0.sent) / ((f.at - r0.at) / 1000))}/s offered, backlog ${f.sent - written}`);
  }
  const r1 = await fleet.rate(0);
  const cpu = meter.read();
  const wEnd = await b.influx.written(db);
  const secs = (r1.at - r0.at) / 1000;
  const half = samples.filter((s) => s.x >= secs / 2);
  const backlogEnd = r1.sent - wEnd;
  const backlogSlope = slope(half);

  // Drain: until InfluxDB has as many points as were published, or nothing moves.
  const drainStart = Date.now();
  let last = wEnd;
  let lastChange = Date.now();
  while (last < r1.sent && Date.now() - lastChange < DRAIN_STALL_MS && Date.now() - drainStart < DRAIN_MAX_MS) {
    await sleep(200);
    const w = await b.influx.written(db).catch(() => last);
    if (w !== last) [last, lastChange] = [w, Date.now()];
  }
  await sleep(PROBE_POLL_MS * 3);
  const drainS = (Date.now() - drainStart) / 1000;
  const published = r1.sent - r0.sent;
  const stored = await b.influx.count(db, r0.boundary, r1.boundary);
  const acked = fleet.latest!.acked - r0.acked;
  const lat = probes.latencies(r0.boundary, r1.boundary);
  const probesSent = r1.probes - r0.probes;
  const loss = published - stored;
  const offered = published / secs;
  const growing = (backlogSlope > GROWTH_SHARE * rate && backlogEnd > rate) || backlogEnd > BACKLOG_LIMIT_S * rate;
  return {
    rate,
    offered: Math.round(offered),
    delivered: Math.round((wEnd - before) / secs),
    backlogEnd,
    backlogSlope: Math.round(backlogSlope),
    published,
    stored,
    loss,
    unacked: b.flags.qos === 0 ? 0 : published - acked,
    drainS,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    probes: `${lat.length}/${probesSent}`,
    others: Number(cpu.foreign.toFixed(2)),
    verdict: offered < OFFERED_SHARE * rate ? 'short' : loss > 0 ? 'loss' : growing ? 'growing' : 'ok',
  };
}

function table(label: string, steps: Step[]): void {
  const cols = [
    'rate',
    'offered',
    'delivered',
    'backlogEnd',
    'backlogSlope',
    'loss',
    'unacked',
    'drainS',
    'p50',
    'p99',
    'probes',
    'others',
    'verdict',
  ] as const;
  const rows = steps.map((s) => cols.map((c) => (c === 'drainS' ? s[c].toFixed(1) : String(s[c]))));
  const w = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padStart(w[i]!)).join('  ');
  process.stderr.write(
    `\npaced ${label} (rates msg/s, backlog msgs, slope msg/s, drain s, latency ms publish → stored):\n${line(cols)}\n${rows.map(line).join('\n')}\n\n`,
  );
}

async function pacedTarget(b: Bench, label: 'baseline' | 'lifeline'): Promise<number> {
  const f = b.flags;
  const db = b.fresh(`paced_${label}`);
  await b.influx.create(db);
  const clientId = `bench-ingest-${db}`;
  const consumer: Consumer =
    label === 'baseline' ? await b.baseline(db) : await b.lifeline({ db, registry: b.registry(f.devices), dataDir: path.join(b.dir, db), clientId });
  const fleet = await b.fleet(f.devices, f.connections, { probeRate: f.probeRate });
  await b.warmUp(fleet, db, f.devices);
  const probes = new ProbeWatch(b.influx, db);
  const steps: Step[] = [];
  let sustained = 0;
  try {
    for (const rate of f.steps) {
      const s = await step(b, fleet, probes, db, rate, label);
      steps.push(s);
      figure(
        `paced.${label}.${rate}`,
        `offered=${s.offered} delivered=${s.delivered} backlog_end=${s.backlogEnd} backlog_slope=${s.backlogSlope} published=${s.published} stored=${s.stored} loss=${s.loss} unacked=${s.unacked} drain_s=${s.drainS.toFixed(1)} p50_ms=${s.p50} p99_ms=${s.p99} probes=${s.probes} others_cores=${s.others} verdict=${s.verdict}`,
      );
      if (s.verdict === 'ok') sustained = Math.max(sustained, rate);
      else if (!f.keepGoing) {
        say(`paced ${label}: ${rate}/s failed (${s.verdict}); not trying higher rates (--keep-going does)`);
        break;
      }
    }
  } finally {
    probes.stop();
    await fleet.end();
    await consumer.stop();
    if (label === 'lifeline') await clearSession(b.s.mqttUrl, clientId);
    await b.influx.drop(db);
  }
  table(label, steps);
  figure(`paced.${label}.sustained_msgs_per_s`, sustained);
  return sustained;
}

export async function paced(b: Bench): Promise<number | null> {
  const f = b.flags;
  const targets =
    f.pacedTarget === 'both' ? (['baseline', 'lifeline'] as const) : f.pacedTarget === 'baseline' ? (['baseline'] as const) : (['lifeline'] as const);
  say(
    `paced: steps ${f.steps.join(', ')} msg/s for ${f.stepSeconds} s each, ${f.devices} devices over ${f.connections} connections, QoS ${f.qos}, ${f.probeRate} probes/s`,
  );
  const out: Record<string, number> = {};
  for (const t of targets) out[t] = await pacedTarget(b, t);
  figure(
    'paced.setup',
    `steps ${f.steps.join(',')} msg/s x ${f.stepSeconds} s, QoS ${f.qos}, ${f.devices} devices, ${f.connections} connections, latency resolution ${PROBE_POLL_MS} ms`,
  );
  if (out.baseline && out.lifeline) figure('paced.sustained_ratio', (out.lifeline / out.baseline).toFixed(2));
  return out.lifeline ?? out.baseline ?? null;
}
