/**
 * Throughput, interleaved: baseline and Lifeline runs alternate (A B A B …),
 * (or, with --against variant, Lifeline as changed by the --variant-* flags:
 * another build, a preload, a setting — a before/after measured side by side),
 * each on a fresh database with a fresh subscriber, after the machine is
 * quiet, all fed the same burst by the same connected fleet after a warm-up
 * of one message per device. A run's rate is points stored ÷ (last point
 * stored − first message published). The figure is the median of the
 * per-pair ratios, with their min–max.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Bench } from './context.js';
import { clearSession, type Consumer } from './consumers.js';
import type { Fleet } from './fleet.js';
import { mainThreadCpuSeconds, processCpuSeconds, type CpuShare } from './machine.js';
import { summarize } from './cpu-profile.js';
import { figure, median, say, sleep } from './report.js';
import { ROOT, servicePid } from './services.js';

/** A run whose stored count has not moved for this long is over; what arrived is counted. */
const STALL_MS = 15_000;
const POLL_MS = 100;

type Label = 'baseline' | 'lifeline' | 'variant';

interface Run {
  label: Label;
  rate: number;
  stored: number;
  published: number;
  acked: number;
  seconds: number;
  offered: number;
  idleBefore: number;
  cpu: CpuShare;
  /** CPU time of the consumer process per message stored, µs: much less disturbed by other work than the rate. */
  usPerMsg: number;
  /** CPU of the consumer's main thread ÷ the run's time: near 1 when that one thread is what limits it. */
  mainThreadShare: number;
  /** The same for the broker, InfluxDB and the bench itself (the fleet publishing): what the consumer makes them do. */
  servicesUsPerMsg: { mosquitto: number; influxdb: number; fleet: number };
}

async function run(b: Bench, fleet: Fleet, label: Label, pair: number): Promise<Run> {
  const q = await b.quiet(`${label} run ${pair}`);
  const db = b.fresh(`thr_${label}`);
  await b.influx.create(db);
  const clientId = `bench-ingest-${db}`;
  const profDir = b.flags.burstProfile && label !== 'baseline' ? path.resolve(ROOT, b.flags.profileDir, `${db}-${Date.now()}`) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const spawned = Date.now();
  const consumer: Consumer =
    label === 'baseline'
      ? await b.baseline(db)
      : await b.lifeline({ db, registry: b.registry(b.flags.devices), dataDir: path.join(b.dir, db), clientId, cpuProfDir: profDir }, label === 'variant');
  await b.warmUp(fleet, db, b.flags.devices);
  const meter = b.cpuMeter();
  const cpu0 = processCpuSeconds(consumer.pid);
  const main0 = mainThreadCpuSeconds(consumer.pid);
  const mainFrom = Date.now();
  const services0 = serviceCpu(b, fleet);
  const written0 = await b.influx.written(db);
  const burst = fleet.burst(b.flags.rate, b.flags.messages);
  const start = await burst.started;
  let target = Infinity;
  let offered = 0;
  void burst.done.then((d) => {
    target = d.sent - start.sent;
    offered = Math.round(target / ((d.at - start.at) / 1000));
  });
  let written = 0;
  let lastChange = Date.now();
  const target0 = () => target + written0;
  let lastSay = 0;
  for (;;) {
    await sleep(POLL_MS);
    const w = await b.influx.written(db).catch(() => written);
    if (w !== written) [written, lastChange] = [w, Date.now()];
    if (written >= target0()) break;
    if (Date.now() - lastChange > STALL_MS) {
      say(`${label} run ${pair}: stalled at ${written - written0}/${target === Infinity ? b.flags.messages : target}; counting what arrived`);
      break;
    }
    if (Date.now() - lastSay > 3000) {
      say(`${label} run ${pair}: ${written - written0} written after ${((Date.now() - start.at) / 1000).toFixed(1)} s`);
      lastSay = Date.now();
    }
  }
  const cpu = meter.read();
  const consumerCpu = processCpuSeconds(consumer.pid) - cpu0;
  const mainThreadShare = (mainThreadCpuSeconds(consumer.pid) - main0) / ((Date.now() - mainFrom) / 1000);
  const services1 = serviceCpu(b, fleet);
  await burst.done;
  const acked = fleet.latest?.acked ?? 0;
  const stored = await b.influx.count(db, start.boundary);
  await consumer.stop();
  if (label !== 'baseline') await clearSession(b.s.mqttUrl, clientId);
  await b.influx.drop(db);
  const seconds = (lastChange - start.at) / 1000;
  if (profDir) reportProfile(profDir, `${label}${pair}`, (start.at - spawned) * 1000, (lastChange - spawned) * 1000, b.flags.top);
  return {
    label,
    rate: Math.round(stored / seconds),
    stored,
    published: target,
    acked: acked - start.acked,
    seconds,
    offered,
    idleBefore: q.idle,
    cpu,
    usPerMsg: (consumerCpu * 1e6) / stored,
    mainThreadShare,
    servicesUsPerMsg: {
      mosquitto: ((services1.mosquitto - services0.mosquitto) * 1e6) / stored,
      influxdb: ((services1.influxdb - services0.influxdb) * 1e6) / stored,
      fleet: ((services1.fleet - services0.fleet) * 1e6) / stored,
    },
  };
}

/** Where the burst's time went in the platform's main thread (its .cpuprofile stays in the directory). */
function reportProfile(dir: string, name: string, fromUs: number, toUs: number, top: number): void {
  const file = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
  if (!file) return say(`no .cpuprofile in ${dir}`);
  const s = summarize(path.join(dir, file), ROOT, fromUs, toUs, top);
  figure(`throughput.profile.${name}.file`, path.join(dir, file));
  figure(`throughput.profile.${name}.busy_share`, (1 - s.idle).toFixed(3));
  figure(`throughput.profile.${name}.gc_share_of_busy`, s.gc.toFixed(3));
  s.self.forEach((x, i) => figure(`throughput.profile.${name}.self.${String(i + 1).padStart(2, '0')}`, `${(x.share * 100).toFixed(1)} % ${x.name}`));
  s.areas.forEach((x, i) => figure(`throughput.profile.${name}.area.${String(i + 1).padStart(2, '0')}`, `${(x.share * 100).toFixed(1)} % ${x.name}`));
}

/** CPU seconds so far of the broker, InfluxDB and the fleet's process (NaN for one without a pid). */
function serviceCpu(b: Bench, fleet: Fleet): { mosquitto: number; influxdb: number; fleet: number } {
  const of = (name: 'mosquitto' | 'influxdb') => {
    const pid = servicePid(b.s, name);
    return pid === null ? NaN : processCpuSeconds(pid);
  };
  return { mosquitto: of('mosquitto'), influxdb: of('influxdb'), fleet: fleet.child.pid ? processCpuSeconds(fleet.child.pid) : NaN };
}

function report(r: Run, pair: number): void {
  figure(`throughput.run${pair}.${r.label}_msgs_per_s`, r.rate);
  figure(`throughput.run${pair}.${r.label}_cpu_us_per_msg`, r.usPerMsg.toFixed(1));
  figure(`throughput.run${pair}.${r.label}_main_thread_busy`, r.mainThreadShare.toFixed(2));
  const sv = r.servicesUsPerMsg;
  figure(
    `throughput.run${pair}.${r.label}_services_cpu_us_per_msg`,
    `mosquitto ${sv.mosquitto.toFixed(1)}, influxdb ${sv.influxdb.toFixed(1)}, fleet ${sv.fleet.toFixed(1)}`,
  );
  figure(
    `throughput.run${pair}.${r.label}_detail`,
    `stored ${r.stored}/${r.published} in ${r.seconds.toFixed(2)} s; ${r.usPerMsg.toFixed(1)} µs CPU/msg in the ${r.label} process; offered ${r.offered}/s; cpu ours ${r.cpu.ours.toFixed(2)} others ${r.cpu.foreign.toFixed(2)} cores; ${(r.idleBefore * 100).toFixed(0)} % idle before`,
  );
}

export async function throughput(b: Bench): Promise<{ against: number; lifeline: number; ratio: number }> {
  const f = b.flags;
  if (f.against !== 'baseline' && f.against !== 'variant') throw new Error(`--against must be baseline or variant, not "${f.against}"`);
  const a: Label = f.against;
  say(
    `throughput: ${f.pairs} interleaved pairs ${a}/lifeline, ${f.messages} messages per run offered at up to ${f.rate}/s, QoS ${f.qos}, ${f.devices} devices over ${f.connections} connections`,
  );
  if (a === 'variant') say(`variant: root ${f.variantRoot || '(this checkout)'}, node args "${f.variantNodeArgs}", env "${f.variantEnv}"`);
  const fleet = await b.fleet(f.devices, f.connections, { probeRate: 0 });
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const rates = { against: [] as number[], lifeline: [] as number[] };
  let disturbed = 0;
  for (let i = 1; i <= f.pairs; i++) {
    let first: Run;
    let life: Run;
    // A pair during which other work took more than --max-foreign cores is run again (up to --retries times).
    for (let attempt = 0; ; attempt++) {
      first = await run(b, fleet, a, i);
      life = await run(b, fleet, 'lifeline', i);
      const foreign = Math.max(first.cpu.foreign, life.cpu.foreign);
      if (foreign <= f.maxForeign) break;
      if (attempt >= f.retries) {
        disturbed++;
        say(`pair ${i}: other work took ${foreign.toFixed(2)} cores (> --max-foreign ${f.maxForeign}) in all ${attempt + 1} attempts; keeping the last`);
        break;
      }
      say(`pair ${i}: other work took ${foreign.toFixed(2)} cores (> --max-foreign ${f.maxForeign}); running the pair again`);
    }
    report(first, i);
    report(life, i);
    rates.against.push(first.rate);
    rates.lifeline.push(life.rate);
    ratios.push(life.rate / first.rate);
    cpuRatios.push(life.usPerMsg / first.usPerMsg);
    figure(`throughput.run${i}.ratio`, (life.rate / first.rate).toFixed(3));
  }
  await fleet.end();
  const out = { against: median(rates.against), lifeline: median(rates.lifeline), ratio: median(ratios) };
  figure(`throughput.${a}_median_msgs_per_s`, Math.round(out.against));
  figure('throughput.lifeline_median_msgs_per_s', Math.round(out.lifeline));
  figure('throughput.ratio_median', out.ratio.toFixed(3));
  figure('throughput.ratio_min_max', `${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}`);
  figure('throughput.ratios', ratios.map((r) => r.toFixed(3)).join(' '));
  figure('throughput.cpu_per_msg_ratio_median', median(cpuRatios).toFixed(3));
  figure('throughput.cpu_per_msg_ratio_min_max', `${Math.min(...cpuRatios).toFixed(3)}–${Math.max(...cpuRatios).toFixed(3)}`);
  figure('throughput.disturbed_pairs', `${disturbed}/${f.pairs}`);
  figure(
    'throughput.setup',
    `${f.pairs} pairs ${a}/lifeline, ${f.messages} msgs per run at up to ${f.rate}/s, QoS ${f.qos}, ${f.devices} devices, ${f.connections} connections`,
  );
  return out;
}
