#!/usr/bin/env node
/**
 * lifeline-sim: publishes a simulated feed for every device of a registry
 * (`lifeline-sim generate …` writes a registry instead).
 * Thin wrapper: parses options, loads the registry, runs a Simulator.
 */
import { parseArgs } from 'node:util';
import { DEVICE_KINDS, EVENT_LABELS, type Device, type DeviceEvent, type DeviceKind } from '@lifeline/core';
import { CONFIG_KEYS, ConfigError, loadConfig, loadRegistry, logger, RegistryError, setLogLevel } from '@lifeline/core/node';
import type { Grouping } from './connection-plan.js';
import { CONNECT_CONCURRENCY } from './connections.js';
import { CREDENTIAL_SECRET_MIN_LENGTH, CredentialsError, loadCredentialsFile, type LoadedCredentials } from './credentials-file.js';
import { generateCommand, GenerateUsageError } from './generate-command.js';
import { showProgress, type Progress } from './progress.js';
import { MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_CONNECTION, redactUrl, Simulator, SimulatorError } from './simulator.js';

const log = logger('sim-cli');

/** Devices per connection of --connections gateway unless --gateway-size says otherwise. */
const GATEWAY_SIZE = 50;

const HELP = `usage: lifeline-sim [options]             (npm run simulate -- [options])
       lifeline-sim generate [options]    a registry: the sample, or a city of N devices (generate --help)

Publishes realistic feeds for every registered device over MQTT to
lifeline/v1/{tenant}/{device}/telemetry|event|status, each device through its
own credential's connection, and scripts a gas leak that climbs through
blue, yellow, orange and red.

  --url URL              broker (default mqtt://127.0.0.1:1883)
  --credentials FILE     device credentials (below): one connection per credential, client id
                         and username = its username, password = its secret; the platform's
                         brokers accept nothing else
  --skip-uncredentialed  leave out devices that no credential covers (an error otherwise)
  --registry FILE        device registry (default: REGISTRY_PATH or data/qingxin-registry.json)
  --incident-minute N    minute after start at which the gas leak begins (default 2)
  --incident-device ID   detector that leaks (default: a restaurant kitchen in 太和镇)
  --no-incident          no gas leak
  --fire-minute N        minute after start at which a fire panel reports a fire (default: none)
  --fire-device ID       panel that reports the fire (default: a hotel in 太和镇)
  --violation-minute N   minute after start at which an enterprise under an ordered shutdown
                         (停产整顿) starts producing (default: none)
  --violation-tenant ID  that enterprise (default: the first one registered as stopped)
  --duration S           stop after S seconds of wall-clock time
  --speed X              run the simulated clock X times faster (intervals and scripts)
  --only KIND[,KIND]     only these kinds (${DEVICE_KINDS.join(', ')})
  --qos 0|1              QoS of telemetry (default 1; events and status always 1)
  --connect-concurrency N  connections opened at once (default ${CONNECT_CONCURRENCY})
  --seed N               seed of the feeds' random numbers
  --quiet                no progress line
  --verbose              log at info level (default: warnings only, or LOG_LEVEL if set to other than info)
  -h, --help             this help

Without --credentials (anonymous development brokers only) there is one connection
per tenant, logging in as the tenant, or as the user of the URL (mqtt://sim:pw@host):
  --username U           MQTT username of every tenant's connection instead of the tenant
  --password P           MQTT password sent with each tenant's connection
  --connections tenant|device|gateway
                         one connection per tenant (default), per device (each with a retained
                         last will "offline"), or per gateway of --gateway-size devices of one
                         tenant, in registry order (one site's devices share one)
  --gateway-size N       devices per gateway connection (default ${GATEWAY_SIZE})

Load tests (any broker; every device still at its own kind's interval with ±10 % jitter,
first readings spread over one interval):
  --rate-multiplier X    every device reports X times as often (scripts keep their minutes;
                         --speed speeds both)
  --burst N              N readings at once when the feeds start: devices in turn, several
                         readings a device (each one interval older) when N exceeds them, as a
                         gateway flushing its buffer; default N with --burst-every: every device
  --burst-every S        a burst again every S seconds
  The progress line shows readings offered and messages acknowledged a second, messages in
  flight and connections up. A connection with ${MAX_IN_FLIGHT_PER_CONNECTION} unacknowledged messages (or ${MAX_IN_FLIGHT} across all)
  skips its readings ("skipped", the broker is behind) instead of queueing them in memory.
  A city to load with: lifeline-sim generate --devices 100000 --out .run/city-100k.json, then
    --registry .run/city-100k.json --connections gateway --no-incident --connect-concurrency 200
  6,690 connections (each enterprise is a tenant, with a gateway of its own) offering the
  city's own ~2,240 readings/s; --rate-multiplier 10 asks for ~22,400/s. --connections device
  opens one socket per device: mind the open-file limit (ulimit -n) of this process and the broker.

The credentials file (JSON; written by the platform's credentials tool):
  { "version": 1,
    "credentials": [
      { "username": "gas-0001", "secret": "…", "tenant": "t-a", "devices": ["gas-0001"] },
      { "username": "gw-t-a-1", "secret": "…", "tenant": "t-a", "devices": ["smoke-0001", "smoke-0002"] } ] }
  A device's own credential is named after it and lists only it (its connection leaves a
  retained "offline" as last will); a gateway's has a name of its own and lists several
  devices of its tenant. Usernames are unique, each device is listed once, every device
  is in the registry under that tenant, and a secret has at least ${CREDENTIAL_SECRET_MIN_LENGTH} characters.
  A connection the broker refuses is reported once with the reason and stays closed;
  the others go on. Connections are opened ${CONNECT_CONCURRENCY} at a time (--connect-concurrency).

Minutes are simulated minutes: with --speed 10, --incident-minute 2 starts the leak after 12 s.
Readings carry real timestamps, and daily patterns (meal times, shifts, water
demand) follow the real clock in UTC+8 whatever the speed.
Ctrl-C or SIGTERM stops within about 2 s (every device is announced offline, exit 0);
a second one exits at once.`;

class UsageError extends Error {}

function num(raw: string | undefined, name: string, check: (n: number) => boolean, what: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what}, got "${raw}"`);
  return n;
}

function args(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
        credentials: { type: 'string' },
        'skip-uncredentialed': { type: 'boolean', default: false },
        username: { type: 'string' },
        password: { type: 'string' },
        registry: { type: 'string' },
        'incident-minute': { type: 'string' },
        'incident-device': { type: 'string' },
        'no-incident': { type: 'boolean', default: false },
        'fire-minute': { type: 'string' },
        'fire-device': { type: 'string' },
        'violation-minute': { type: 'string' },
        'violation-tenant': { type: 'string' },
        duration: { type: 'string' },
        speed: { type: 'string' },
        only: { type: 'string' },
        qos: { type: 'string' },
        seed: { type: 'string' },
        connections: { type: 'string' },
        'gateway-size': { type: 'string' },
        'connect-concurrency': { type: 'string' },
        'rate-multiplier': { type: 'string' },
        burst: { type: 'string' },
        'burst-every': { type: 'string' },
        quiet: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    // parseArgs names the bad option; say it as a usage error, not a crash.
    throw new UsageError((err as Error).message);
  }
}

function parse(argv: string[]) {
  const { values } = args(argv);
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url must be a URL such as mqtt://127.0.0.1:1883, got "${values.url}"`);
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new UsageError(`--url must use mqtt:, mqtts:, tcp:, ws: or wss:, got "${url.protocol}"`);
  }
  if (values.credentials !== undefined) {
    if (url.username || url.password) throw new UsageError('--url must not carry a user with --credentials: each connection logs in with its own credential');
    if (values.username !== undefined || values.password !== undefined) {
      throw new UsageError('--username and --password are for brokers without device credentials; with --credentials each connection uses its own');
    }
    if (values.connections !== undefined || values['gateway-size'] !== undefined) {
      throw new UsageError('--connections and --gateway-size are for brokers without device credentials; with --credentials the connections follow the file');
    }
  } else if (values['skip-uncredentialed']) {
    throw new UsageError('--skip-uncredentialed needs --credentials');
  }
  const positive = (n: number) => n > 0;
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  const by = values.connections ?? (values['gateway-size'] !== undefined ? 'gateway' : 'tenant');
  if (by !== 'tenant' && by !== 'device' && by !== 'gateway') throw new UsageError(`--connections must be tenant, device or gateway, got "${by}"`);
  if (values['gateway-size'] !== undefined && by !== 'gateway') throw new UsageError('--gateway-size goes with --connections gateway');
  const grouping: Grouping | undefined =
    values.connections === undefined && by === 'tenant'
      ? undefined
      : by === 'gateway'
        ? { by, size: num(values['gateway-size'], 'gateway-size', whole, 'a whole number ≥ 1') ?? GATEWAY_SIZE }
        : { by };
  const burstSize = num(values.burst, 'burst', whole, 'a whole number of messages ≥ 1');
  const burstEvery = num(values['burst-every'], 'burst-every', positive, 'a number of seconds > 0');
  const only = values.only
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const k of only ?? []) {
    if (!(DEVICE_KINDS as readonly string[]).includes(k)) throw new UsageError(`--only: unknown kind "${k}" (kinds: ${DEVICE_KINDS.join(', ')})`);
  }
  const nonNeg = (n: number) => n >= 0;
  return {
    help: values.help,
    quiet: values.quiet,
    verbose: values.verbose,
    url: values.url,
    credentials: values.credentials,
    skipUncredentialed: values['skip-uncredentialed'],
    username: values.username,
    password: values.password,
    registry: values.registry,
    incidentMinute: values['no-incident'] ? null : (num(values['incident-minute'], 'incident-minute', nonNeg, 'a number of minutes ≥ 0') ?? 2),
    incidentDevice: values['incident-device'],
    fireMinute: num(values['fire-minute'], 'fire-minute', nonNeg, 'a number of minutes ≥ 0') ?? null,
    fireDevice: values['fire-device'],
    violationMinute: num(values['violation-minute'], 'violation-minute', nonNeg, 'a number of minutes ≥ 0') ?? null,
    violationTenant: values['violation-tenant'],
    duration: num(values.duration, 'duration', (n) => n > 0, 'a number of seconds > 0'),
    speed: num(values.speed, 'speed', (n) => n > 0, 'a number > 0') ?? 1,
    only: only as DeviceKind[] | undefined,
    qos: num(values.qos, 'qos', (n) => n === 0 || n === 1, '0 or 1') as 0 | 1 | undefined,
    seed: num(values.seed, 'seed', Number.isInteger, 'an integer'),
    grouping,
    connectConcurrency: num(values['connect-concurrency'], 'connect-concurrency', whole, 'a whole number ≥ 1'),
    rateMultiplier: num(values['rate-multiplier'], 'rate-multiplier', positive, 'a number > 0') ?? 1,
    // --burst-every alone: one reading from every device each time (the size is settled once the registry is loaded).
    burst: burstSize === undefined && burstEvery === undefined ? null : { size: burstSize ?? null, everyS: burstEvery ?? null },
  };
}

function describeEvent(device: Device, ev: DeviceEvent): string {
  const time = new Date(ev.ts ?? Date.now()).toLocaleTimeString('zh-CN', { hour12: false });
  const where = [ev.point, ev.detail].filter(Boolean).join(' ');
  return `${time} event ${device.id} ${device.name}: ${EVENT_LABELS[ev.type].zh} (${ev.type})${where ? ` ${where}` : ''}`;
}

/** Longest a polite stop may take before the process exits anyway (the demo kills after 5 s). */
const STOP_DEADLINE_MS = 3000;

async function main(): Promise<void> {
  if (process.argv[2] === 'generate') {
    generateCommand(process.argv.slice(3));
    return;
  }
  const args = parse(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return;
  }
  const config = loadConfig();
  // The progress line is the output; logs only say what went wrong unless asked.
  setLogLevel(args.verbose ? 'info' : config.logLevel !== CONFIG_KEYS.logLevel.default ? config.logLevel : 'warn');
  // A reader that went away (the demo's tee after Ctrl-C) must not turn a clean stop into a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  const registryPath = args.registry ?? config.registryPath;
  const registry = loadRegistry(registryPath);
  const credentials: LoadedCredentials | undefined = args.credentials ? loadCredentialsFile(args.credentials, registry) : undefined;
  let progress: Progress | null = null;
  const say = (line: string): void => (progress ? progress.note(line) : console.log(line));
  const sim = new Simulator({
    url: args.url,
    registry,
    speed: args.speed,
    only: args.only,
    incident: args.incidentMinute === null ? null : { deviceId: args.incidentDevice, atS: args.incidentMinute * 60 },
    fire:
      args.fireMinute === null ? (args.fireDevice ? { deviceId: args.fireDevice, atS: 0 } : null) : { deviceId: args.fireDevice, atS: args.fireMinute * 60 },
    violation: args.violationMinute === null ? null : { tenantId: args.violationTenant, atS: args.violationMinute * 60 },
    qos: args.qos,
    seed: args.seed,
    grouping: args.grouping,
    connectConcurrency: args.connectConcurrency,
    rateMultiplier: args.rateMultiplier,
    burst: args.burst && {
      size: args.burst.size ?? registry.devices.filter((d) => !args.only || args.only.includes(d.kind)).length,
      ...(args.burst.everyS !== null ? { everyMs: args.burst.everyS * 1000 } : {}),
    },
    credentials,
    skipUncredentialed: args.skipUncredentialed,
    username: args.username,
    password: args.password,
    onEvent: (device, ev) => say(describeEvent(device, ev)),
    onRefused: (name, reason) => say(`the broker refused "${name}": ${reason}`),
  });

  let stopping = false;
  let durationTimer: NodeJS.Timeout | null = null;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (durationTimer) clearTimeout(durationTimer);
    // Whatever the broker does, a polite stop ends the process in time.
    setTimeout(() => {
      console.error(`lifeline-sim: did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting`);
      process.exit(0);
    }, STOP_DEADLINE_MS).unref();
    progress?.end();
    progress = null;
    console.log(`stopping (${why}): announcing devices offline…`);
    await sim.stop();
    const st = sim.stats();
    console.log(
      `stopped: ${st.sent} messages sent (acknowledged; readings, statuses and events), ${st.offered} readings offered${st.skipped ? `, ${st.skipped} skipped (broker behind)` : ''}${st.dropped ? `, ${st.dropped} dropped while disconnected` : ''}${st.refused ? `, ${st.refused} connections refused` : ''}`,
    );
  };
  // Before connecting: a stop during the connecting of thousands of devices must be as prompt.
  const onSignal = (why: string, code: number) => () => {
    if (stopping) process.exit(code);
    void stop(why).then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal('interrupted', 130));
  process.on('SIGTERM', onSignal('terminated', 143));

  const s0 = sim.stats();
  const g = args.grouping;
  const per = !g || g.by === 'tenant' ? 'tenant' : g.by === 'device' ? 'device' : `gateway of up to ${g.size} devices of a tenant`;
  if (credentials) {
    if (sim.uncredentialed.length) {
      const ids = sim.uncredentialed
        .slice(0, 5)
        .map((d) => d.id)
        .join(', ');
      console.log(
        `warning: ${sim.uncredentialed.length} devices have no credential in ${credentials.path} and are left out (${ids}${sim.uncredentialed.length > 5 ? ', …' : ''})`,
      );
    }
  } else {
    console.log(
      `note: no --credentials: one connection per ${per}, for anonymous development brokers; the platform's brokers require device credentials (--credentials FILE)`,
    );
  }
  console.log(
    `connecting ${s0.devices} devices from ${registryPath} over ${s0.connections} connections` +
      `${credentials ? ` (credentials ${credentials.path})` : ` (one per ${per})`} to ${redactUrl(args.url)} …`,
  );
  progress = showProgress(sim, process.stdout, args.quiet);
  try {
    await sim.start();
  } catch (err) {
    progress.end();
    progress = null;
    throw err;
  }
  if (stopping) return;
  const s = sim.stats();
  say(
    `simulating ${s.devices} devices over ${s.connected}/${s.connections} connections${s.refused ? ` (${s.refused} refused)` : ''}` +
      (sim.leak ? `; gas leak on ${sim.leak.device.id} (${sim.leak.device.name}) at minute ${args.incidentMinute}` : '') +
      (sim.fire ? `; fire on ${sim.fire.device.id} (${sim.fire.device.name}) at minute ${sim.fire.atS / 60}` : '') +
      (sim.violation ? `; ${sim.violation.tenant.id} (${sim.violation.tenant.name}, 停产整顿) produces from minute ${sim.violation.atS / 60}` : ''),
  );
  if (args.duration) durationTimer = setTimeout(() => void stop(`${args.duration} s elapsed`).then(() => process.exit(0)), args.duration * 1000);
}

main().catch((err: unknown) => {
  const known =
    err instanceof UsageError ||
    err instanceof GenerateUsageError ||
    err instanceof RegistryError ||
    err instanceof CredentialsError ||
    err instanceof SimulatorError ||
    err instanceof ConfigError;
  const msg = err instanceof Error ? err.message : String(err);
  if (known) console.error(`lifeline-sim: ${msg}`);
  else log.error({ err }, 'simulator failed');
  if (err instanceof UsageError) console.error('run with --help for the options');
  process.exit(err instanceof UsageError || err instanceof GenerateUsageError ? 2 : 1);
});
