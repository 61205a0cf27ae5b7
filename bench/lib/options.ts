/** Every flag of `npm run bench` (bench/pipeline.ts), with its doc and default. */
import type { Flags } from './flags.js';

export const PARTS = ['throughput', 'paced', 'crash', 'alerts', 'profile'] as const;
export type Part = (typeof PARTS)[number];

export const BENCH_FLAGS = {
  part: { doc: `parts to run, comma-separated: ${PARTS.join(', ')} or all (profile is never in "all")`, default: 'all' },
  devices: { doc: 'simulated gas detectors (throughput, paced, alerts)', default: 10_000 },
  connections: { doc: 'MQTT connections they publish over (throughput, paced, alerts)', default: 2000 },
  qos: { doc: 'QoS the devices publish at (the field devices use 1)', default: 1 },
  quietIdle: { doc: 'a run starts once this fraction of the CPU has been idle for 2 s', default: 0.8 },
  quietTimeout: { doc: 'seconds to wait for that before running anyway (and saying so)', default: 30 },

  against: { doc: 'throughput: what alternates with Lifeline: baseline, or variant (Lifeline run as the --variant-* flags say)', default: 'baseline' },
  variantRoot: { doc: 'variant: a checkout (built) whose server/dist/main.js runs, for before/after (empty: this one)', default: '' },
  variantNodeArgs: { doc: 'variant: node flags, space-separated (e.g. "--import /abs/preload.mjs")', default: '' },
  variantEnv: { doc: 'variant: extra environment, K=V,K=V', default: '' },
  maxForeign: { doc: 'throughput: a pair during which other processes used more cores than this is run again', default: 0.3 },
  retries: { doc: 'throughput: how many times a disturbed pair is run again before it is kept (and counted as disturbed)', default: 2 },
  pairs: { doc: 'throughput: baseline/Lifeline pairs, interleaved A B A B …', default: 3 },
  messages: { doc: 'throughput: messages per run (one burst, the same shape for both)', default: 400_000 },
  rate: { doc: 'throughput: offered rate of the burst, msg/s (above what either can take)', default: 120_000 },
  burstProfile: {
    doc: 'throughput: Lifeline runs under node --cpu-prof and each burst is summarised (costs some speed: for where the time goes, not for the ratio)',
    default: false,
  },

  steps: { doc: 'paced: offered rates, msg/s, comma-separated (10k allowed)', default: [10_000, 15_000, 20_000, 25_000, 30_000, 35_000, 40_000] },
  stepSeconds: { doc: 'paced: seconds at each rate', default: 30 },
  pacedTarget: { doc: 'paced: lifeline, baseline or both', default: 'lifeline' },
  keepGoing: { doc: 'paced: run the steps above the first that fails too', default: false },
  probeRate: { doc: 'paced: latency probes per second (messages whose ts is their publish time)', default: 20 },

  crashRate: { doc: 'crash: paced rate, msg/s', default: 3000 },
  crashConnections: { doc: 'crash: connections', default: 20 },
  crashDevices: { doc: 'crash: devices (the sample district has 150 gas detectors)', default: 150 },
  crashSeconds: { doc: 'crash: seconds of load in each scenario', default: 40 },
  restartAfter: { doc: 'crash: seconds between the SIGKILL and the restart', default: 2 },
  outageSeconds: { doc: 'crash: seconds InfluxDB is down', default: 20 },

  alertRate: { doc: 'alerts: background rate, msg/s (0: half the paced sustained rate, or 10k without it)', default: 0 },
  alertProbes: { doc: 'alerts: red readings whose publish → Socket.IO alert is timed', default: 300 },

  profileRate: { doc: 'profile: paced rate while the platform runs under node --cpu-prof', default: 30_000 },
  profileSeconds: { doc: 'profile: seconds of steady state profiled', default: 30 },
  profileDir: { doc: 'profile: where the .cpuprofile goes', default: '.run/bench-profile' },
  top: { doc: 'profile: functions listed by self time', default: 25 },

  platformRoot: { doc: 'a checkout (built) whose server/dist/main.js runs as Lifeline (empty: this one)', default: '' },
  platformNodeArgs: { doc: 'node flags for the platform, space-separated (e.g. "--import /abs/preload.mjs")', default: '' },
  platformEnv: { doc: 'extra environment for the platform, K=V,K=V (e.g. WRITE_BATCH_SIZE=10000)', default: '' },
  verbose: { doc: "pass the children's stderr through", default: false },
} as const;

export type BenchFlags = Flags<typeof BENCH_FLAGS>;
