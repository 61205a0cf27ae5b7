/**
 * Publishes a feed for every registered device over MQTT at each device's
 * interval with jitter: each device through its own credential's connection
 * (a device's or a gateway's) given a credentials file; without one
 * (anonymous development brokers) one connection per tenant, per device or
 * per gateway of N devices. One shared schedule drives every device, however
 * many there are. For load tests: a rate multiplier, bursts, and a cap on
 * unacknowledged messages per connection, so a broker that cannot keep up
 * shows as skipped readings, not as memory.
 * Usable from the CLI, tests and benchmarks: `await new Simulator(opts).start()`.
 */
import { deviceTopic, type Device, type DeviceEvent, type DeviceKind, type Registry, type Tenant } from '@lifeline/core';
import { intervalOf, logger } from '@lifeline/core/node';
import { planConnections, type Grouping, type PlannedConnection } from './connection-plan.js';
import { ConnectError, Connections, within, type Link } from './connections.js';
import type { LoadedCredentials } from './credentials-file.js';
import { ampsOf, meterCapacity, normalEvent, normalValues, type FeedContext } from './feeds.js';
import {
  FireScenario,
  GasLeak,
  INCIDENT_INTERVAL_S,
  ShutdownViolation,
  defaultFirePanel,
  defaultGasDevice,
  defaultStoppedEnterprise,
  type IncidentStatus,
} from './incidents.js';
import { Bursts, ReportSchedule, reportIntervalMs, type BurstPlan } from './report-schedule.js';
import { createRng, type Rng } from './rng.js';

const log = logger('simulator');

/** Longest sleep of the scheduler, so stop and scripted events are never late by more. */
const MAX_TICK_MS = 250;
/** Shortest sleep: readings due within it go out together, a few writes per connection instead of one per reading. */
const MIN_TICK_MS = 50;
/** Longest a tick publishes before it yields, so acknowledgements, the progress line and a stop get their turn. */
const TICK_BUDGET_MS = 30;
/** Unacknowledged messages a connection may have before its readings are skipped (a gateway's buffer). */
export const MAX_IN_FLIGHT_PER_CONNECTION = 1000;
/** Unacknowledged messages all connections may have together: bounds the memory whatever the broker does. */
export const MAX_IN_FLIGHT = 100_000;
const CONNECT_TIMEOUT_MS = 10_000;
/** How long stop waits for the broker to take the offline statuses, then for the goodbyes: a stop is prompt even if the broker stalled. */
const STOP_ACK_MS = 1000;
const STOP_CLOSE_MS = 300;
/** Offline statuses published between two looks at the clock during a stop. */
const STOP_CLOCK_EVERY = 256;
/** Share of the stop's budget spent publishing offline statuses; the rest is for their acknowledgements. */
const STOP_ANNOUNCE_SHARE = 0.4;
/** Device ids named in the error about devices without a credential. */
const UNCREDENTIALED_SHOWN = 5;

export interface SimulatorOptions {
  url: string;
  registry: Registry;
  /** Multiplies the simulated clock: intervals and scripts run this many times faster. */
  speed?: number;
  /** Every device reports this many times as often as its interval says (scripts keep their minutes). */
  rateMultiplier?: number;
  /** Bursts of readings at once, for load tests; none by default. */
  burst?: BurstPlan | null;
  /** Without credentials: how devices share connections (one per tenant by default). */
  grouping?: Grouping;
  /** Unacknowledged messages a connection may have before its readings are skipped. */
  maxInFlightPerConnection?: number;
  /** Unacknowledged messages all connections may have together. */
  maxInFlight?: number;
  /** Only devices of these kinds. */
  only?: DeviceKind[];
  /** The scripted gas leak; null for none. */
  incident?: { deviceId?: string; atS: number } | null;
  /** The scripted fire on a fire panel; null for none. */
  fire?: { deviceId?: string; atS: number } | null;
  /** A stopped enterprise (停产整顿) that starts producing; null for none. */
  violation?: { tenantId?: string; atS: number } | null;
  /** QoS of telemetry (events and status always use 1). */
  qos?: 0 | 1;
  seed?: number;
  connectTimeoutMs?: number;
  /**
   * Device credentials: one connection per credential, client id and username
   * its username, password its secret. Without it, one connection per tenant.
   */
  credentials?: LoadedCredentials;
  /** Leave out simulated devices that no credential covers (an error otherwise). */
  skipUncredentialed?: boolean;
  /** Connections being opened at once. */
  connectConcurrency?: number;
  /** Called once for each connection the broker refuses, with its reason. */
  onRefused?: (connection: string, reason: string) => void;
  /** Without credentials: prefix of the MQTT client ids; a random suffix keeps two simulators apart. */
  clientIdPrefix?: string;
  /** Without credentials: MQTT username of every tenant's connection (the tenant by default). */
  username?: string;
  /** Without credentials: MQTT password sent with every tenant's connection. */
  password?: string;
  /** Called for every event published (scripted or spontaneous), e.g. to print it. */
  onEvent?: (device: Device, event: DeviceEvent) => void;
}

export interface SimulatorStats {
  startedAt: number;
  elapsedS: number;
  simS: number;
  /** Telemetry readings due (scheduled and burst): what the simulator offers the broker. */
  offered: number;
  /** Messages the broker acknowledged (QoS 1) or that were written (QoS 0). */
  sent: number;
  /** Messages sent and not yet acknowledged. */
  inFlight: number;
  /** Readings not sent because their connection had too many unacknowledged (the broker is not keeping up). */
  skipped: number;
  /** Messages not sent because the device's connection was down. */
  dropped: number;
  errors: number;
  connections: number;
  connected: number;
  /** Connections the broker refused (bad username or password, not authorized). */
  refused: number;
  devices: number;
  incident: IncidentStatus | null;
  fire: string | null;
  violation: string | null;
}

interface Slot {
  device: Device;
  link: Link;
  ctx: FeedContext;
  telemetry: string;
  event: string;
  status: string;
}

export class SimulatorError extends Error {}

/** The broker URL as it may be printed: any password replaced by ***. */
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return raw;
  }
}

export class Simulator {
  private readonly speed: number;
  private readonly rateMultiplier: number;
  private readonly maxInFlightPerLink: number;
  private readonly maxInFlight: number;
  private readonly rng: Rng;
  private readonly devices: Device[];
  private readonly plan: PlannedConnection[];
  /** Simulated devices left out because no credential covers them (with `skipUncredentialed`). */
  readonly uncredentialed: readonly Device[];
  private connections: Connections | null = null;
  private slots: Slot[] = [];
  private reports: ReportSchedule | null = null;
  private bursts: Bursts | null = null;
  /** The burst being sent, over as many ticks as it takes, and how far it got. */
  private burstQueue: [number, number][] = [];
  private burstNext = 0;
  private burstAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private running = false;
  private stopping: Promise<void> | null = null;
  private offered = 0;
  private sent = 0;
  private inFlight = 0;
  private skipped = 0;
  private dropped = 0;
  private errors = 0;
  readonly leak: GasLeak | null;
  readonly fire: FireScenario | null;
  readonly violation: ShutdownViolation | null;
  private leakSlot = -1;
  private fireSlot = -1;
  private leakWasActive = false;

  constructor(private readonly opts: SimulatorOptions) {
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new SimulatorError(`speed must be a positive number, got ${opts.speed}`);
    this.rateMultiplier = opts.rateMultiplier ?? 1;
    if (!(this.rateMultiplier > 0) || !Number.isFinite(this.rateMultiplier)) {
      throw new SimulatorError(`rate multiplier must be a positive number, got ${opts.rateMultiplier}`);
    }
    this.maxInFlightPerLink = opts.maxInFlightPerConnection ?? MAX_IN_FLIGHT_PER_CONNECTION;
    this.maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT;
    if (opts.credentials && opts.grouping) throw new SimulatorError('with credentials the connections follow the credentials file: no grouping');
    this.rng = createRng(opts.seed ?? Date.now());
    const only = opts.only && opts.only.length ? new Set(opts.only) : null;
    const wanted = opts.registry.devices.filter((d) => !only || only.has(d.kind));
    if (!wanted.length) throw new SimulatorError(`no devices to simulate${only ? ` of kind ${[...only].join(', ')}` : ''}`);
    const suffix = Math.floor(Math.random() * 0xffffff)
      .toString(16)
      .padStart(6, '0');
    const plan = planConnections(
      wanted,
      opts.credentials
        ? { credentials: opts.credentials }
        : { clientIdPrefix: opts.clientIdPrefix ?? 'lifeline-sim', suffix, username: opts.username, password: opts.password, grouping: opts.grouping },
    );
    this.plan = plan.connections;
    this.uncredentialed = plan.uncredentialed;
    if (plan.uncredentialed.length) {
      const n = plan.uncredentialed.length;
      const ids = plan.uncredentialed
        .slice(0, UNCREDENTIALED_SHOWN)
        .map((d) => d.id)
        .join(', ');
      const what = `${n} of ${wanted.length} simulated devices have no credential in ${opts.credentials!.path} (${ids}${n > UNCREDENTIALED_SHOWN ? ', …' : ''})`;
      if (!opts.skipUncredentialed) throw new SimulatorError(`${what}: give them credentials, or leave them out (--skip-uncredentialed)`);
      if (n === wanted.length) throw new SimulatorError(`${what}: no device left to simulate`);
      log.info({ devices: n }, 'devices without a credential are left out');
    }
    const skipped = new Set(plan.uncredentialed);
    this.devices = skipped.size ? wanted.filter((d) => !skipped.has(d)) : wanted;
    this.leak = opts.incident ? new GasLeak(this.pick(opts.incident.deviceId, defaultGasDevice, 'gas detector'), opts.incident.atS) : null;
    this.fire = opts.fire ? new FireScenario(this.pick(opts.fire.deviceId, defaultFirePanel, 'fire alarm panel'), opts.fire.atS) : null;
    this.violation = opts.violation ? new ShutdownViolation(this.pickStopped(opts.violation.tenantId), opts.violation.atS) : null;
  }

  private pickStopped(id: string | undefined): Tenant {
    const t = id ? this.opts.registry.tenants.find((x) => x.id === id) : defaultStoppedEnterprise(this.devices, this.opts.registry.tenants);
    if (!t) throw new SimulatorError(id ? `tenant "${id}" is not in the registry` : 'no enterprise registered as stopped (停产整顿) has a simulated meter');
    if (t.enterprise?.state !== 'stopped') throw new SimulatorError(`tenant "${t.id}" is not registered as stopped (停产整顿)`);
    return t;
  }

  private pick(id: string | undefined, fallback: (d: Device[]) => Device | undefined, what: string): Device {
    const d = id ? this.devices.find((x) => x.id === id) : fallback(this.devices);
    if (!d) {
      const known = this.opts.registry.devices.some((x) => x.id === id);
      const left = this.uncredentialed.some((x) => x.id === id);
      throw new SimulatorError(
        id
          ? `device "${id}" is ${left ? 'left out: it has no credential' : known ? 'not among the simulated kinds' : 'not in the registry'}`
          : `no ${what} to script an incident on`,
      );
    }
    return d;
  }

  /**
   * Opens the connections (a bounded number at a time), announces each
   * device online as its connection comes up and starts the feeds. Refused
   * connections are reported and left out; it fails only when none came up.
   */
  async start(): Promise<this> {
    if (this.running || this.connections) return this;
    const meters = new Map<string, number>();
    for (const d of this.opts.registry.devices) if (d.kind === 'power') meters.set(d.tenant, (meters.get(d.tenant) ?? 0) + 1);
    const tenants = new Map(this.opts.registry.tenants.map((t) => [t.id, t]));
    const slotOf = new Map<Device, number>();
    this.devices.forEach((d, i) => slotOf.set(d, i));
    const announced: Promise<void>[] = [];
    const connections = new Connections(this.plan, (p) => p.devices.map((d) => slotOf.get(d)!), {
      url: this.opts.url,
      shownUrl: redactUrl(this.opts.url),
      connectTimeoutMs: this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      concurrency: this.opts.connectConcurrency,
      // A broker that restarted without persistence forgot the retained statuses: say them again on every connect.
      onUp: (link, first) => {
        if (this.stopping) return;
        const online = Promise.all(link.slots.map((i) => this.publish(link, this.slots[i]!.status, 'online', 1, true)));
        if (first && !this.running) announced.push(online.then(() => undefined));
      },
      onRefused: (link, reason) => {
        log.warn({ connection: link.plan.name, reason }, 'MQTT broker refused the connection');
        try {
          this.opts.onRefused?.(link.plan.name, reason);
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'onRefused listener failed');
        }
      },
    });
    this.connections = connections;
    const linkOf = new Map<Device, Link>();
    for (const link of connections.links) for (const d of link.plan.devices) linkOf.set(d, link);
    this.slots = this.devices.map((device) => ({
      device,
      link: linkOf.get(device)!,
      // startMs is set when the feeds start, after the connecting.
      ctx: { tenant: tenants.get(device.tenant), meterCount: meters.get(device.tenant), startMs: 0 },
      telemetry: deviceTopic(device.tenant, device.id, 'telemetry'),
      event: deviceTopic(device.tenant, device.id, 'event'),
      status: deviceTopic(device.tenant, device.id, 'status'),
    }));
    this.reports = new ReportSchedule(this.slots.length, (i) => this.intervalMs(this.slots[i]!), this.rng);
    try {
      this.bursts = this.opts.burst ? new Bursts(this.opts.burst, this.slots.length) : null;
    } catch (err) {
      throw new SimulatorError((err as Error).message);
    }
    this.leakSlot = this.leak ? this.slots.findIndex((s) => s.device === this.leak!.device) : -1;
    this.fireSlot = this.fire ? this.slots.findIndex((s) => s.device === this.fire!.device) : -1;
    try {
      await connections.open();
    } catch (err) {
      await connections.close(STOP_CLOSE_MS);
      throw err instanceof ConnectError ? new SimulatorError(err.message) : err;
    }
    if (this.stopping) return this;
    await this.bounded(Promise.all(announced), 'online statuses');
    if (this.stopping) return this;
    // The clock starts with the feeds, after the connecting (which takes a while with thousands of devices).
    this.startedAt = Date.now();
    for (const s of this.slots) s.ctx.startMs = this.startedAt;
    // First readings spread over one interval so the devices do not all fire at once.
    this.reports.start(this.startedAt);
    this.bursts?.start(this.startedAt);
    this.running = true;
    this.tick();
    const c = connections.counts();
    log.info(
      { url: redactUrl(this.opts.url), devices: this.slots.length, connections: c.total, up: c.up, refused: c.refused, speed: this.speed },
      'simulator started',
    );
    return this;
  }

  /**
   * Announces every device offline, then closes the connections; prompt even
   * when the broker stalls or the district is a city: the announcing and the
   * wait for acknowledgements share STOP_ACK_MS. Devices not announced by
   * then are left to their last will (own connections) or the platform's
   * offline check. Safe to call twice, and during start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      const connections = this.connections;
      if (!connections) return;
      const began = Date.now();
      const budget = Math.min(STOP_ACK_MS, this.opts.connectTimeoutMs ?? STOP_ACK_MS);
      const deadline = began + budget;
      // Publishing stops early enough to leave time for the acknowledgements, whose handling costs about as much again.
      const lastCall = began + budget * STOP_ANNOUNCE_SHARE;
      let pending = 0;
      let announced = 0;
      let allAcked: () => void = () => undefined;
      const acked = new Promise<void>((resolve) => (allAcked = resolve));
      let announcing = true;
      const done = (): void => {
        if (--pending === 0 && !announcing) allAcked();
      };
      // In one go, looking at the clock now and then: yielding to I/O would let a city's acknowledgements in first, past the budget.
      let up = 0;
      let late = false;
      for (const s of this.slots) {
        if (s.link.state !== 'up') continue;
        up++;
        if (!late && up % STOP_CLOCK_EVERY === 0) late = Date.now() >= lastCall;
        if (late) continue;
        pending++;
        announced++;
        this.send(s.link, s.status, 'offline', 1, true, done);
      }
      announcing = false;
      if (pending === 0) allAcked();
      const inTime = (await within(acked, deadline - Date.now())) === 'done' && announced === up;
      if (!inTime) {
        log.warn(
          { announced, acknowledged: announced - pending, devices: this.slots.length, waitedMs: Date.now() - began },
          'stop: the broker did not take every offline status in time; going on (the others are left to last wills and the offline check)',
        );
      }
      // A broker behind on the statuses would keep the goodbyes waiting too: then the sockets are dropped at once.
      await connections.close(inTime ? STOP_CLOSE_MS : 0);
      log.info({ offered: this.offered, sent: this.sent, skipped: this.skipped }, 'simulator stopped');
    })();
    return this.stopping;
  }

  /** Waits for the broker's acknowledgements, but not for ever: a stalled broker must not hang start or stop. */
  private async bounded(work: Promise<unknown>, what: string, ms = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS): Promise<void> {
    if ((await within(work, ms)) === 'late') log.warn({ what, waitedMs: ms }, 'broker did not acknowledge in time; going on');
  }

  /** Simulated seconds since start. */
  simSeconds(now = Date.now()): number {
    return this.startedAt ? ((now - this.startedAt) * this.speed) / 1000 : 0;
  }

  stats(now = Date.now()): SimulatorStats {
    const c = this.connections?.counts() ?? { total: this.plan.length, up: 0, refused: 0 };
    const simS = this.simSeconds(now);
    return {
      startedAt: this.startedAt,
      elapsedS: this.startedAt ? (now - this.startedAt) / 1000 : 0,
      simS,
      offered: this.offered,
      sent: this.sent,
      inFlight: this.inFlight,
      skipped: this.skipped,
      dropped: this.dropped,
      errors: this.errors,
      connections: c.total,
      connected: c.up,
      refused: c.refused,
      devices: this.slots.length || this.devices.length,
      incident: this.leak ? this.leak.status(simS) : null,
      fire: this.fire ? `${this.fire.device.id} ${this.fire.status(simS)}` : null,
      violation: this.violation ? `${this.violation.tenant.id} ${this.violation.status(simS)}` : null,
    };
  }

  /**
   * The connection a device publishes through and its state: for tests and
   * tools that check the plan against a broker.
   */
  connectionOf(deviceId: string): { name: string; clientId: string; username?: string; state: string } | undefined {
    const p = this.plan.find((c) => c.devices.some((d) => d.id === deviceId));
    if (!p) return undefined;
    const link = this.connections?.links.find((l) => l.plan === p);
    return { name: p.name, clientId: p.clientId, ...(p.username !== undefined ? { username: p.username } : {}), state: link?.state ?? 'idle' };
  }

  private intervalMs(slot: Slot, simS = this.simSeconds()): number {
    const s = this.leak && slot.device === this.leak.device && this.leak.active(simS) ? INCIDENT_INTERVAL_S : intervalOf(slot.device);
    return reportIntervalMs(s, this.speed, this.rateMultiplier);
  }

  private tick = (): void => {
    this.timer = null;
    if (!this.running || !this.reports) return;
    const started = performance.now();
    const now = Date.now();
    const simS = this.simSeconds(now);
    this.scripts(now, simS);
    const burst = this.bursts?.take(now);
    if (burst?.length) {
      // A burst not finished yet when the next is due is cut short: bursts do not pile up.
      this.burstQueue = burst;
      this.burstNext = 0;
      this.burstAt = now;
    }
    let busy = false;
    let n = 0;
    const spent = (): boolean => (++n & 63) === 0 && performance.now() - started > TICK_BUDGET_MS;
    while (this.burstNext < this.burstQueue.length) {
      if (spent()) {
        busy = true;
        break;
      }
      const [i, age] = this.burstQueue[this.burstNext++]!;
      const slot = this.slots[i]!;
      this.emit(slot, this.burstAt - age * this.intervalMs(slot, simS), simS);
    }
    if (this.burstNext >= this.burstQueue.length && this.burstQueue.length) this.burstQueue = [];
    while (!busy) {
      if (spent()) {
        busy = true;
        break;
      }
      const i = this.reports.take(now);
      if (i < 0) break;
      this.emit(this.slots[i]!, now, simS);
    }
    // Behind: yield to I/O and come straight back; otherwise sleep until the next report is due.
    const next = Math.min(this.reports.peek(), this.bursts?.peek() ?? Infinity);
    this.timer = setTimeout(this.tick, busy ? 0 : Math.max(MIN_TICK_MS, Math.min(MAX_TICK_MS, next - Date.now())));
  };

  /** Starts the leak's fast reporting the moment it begins, and sends due fire-panel events. */
  private scripts(now: number, simS: number): void {
    if (this.leak && this.leakSlot >= 0) {
      const active = this.leak.active(simS);
      if (active && !this.leakWasActive) this.reports?.set(this.leakSlot, now);
      this.leakWasActive = active;
    }
    if (this.fire && this.fireSlot >= 0) {
      const slot = this.slots[this.fireSlot]!;
      for (const ev of this.fire.due(simS, now)) this.sendEvent(slot, ev);
    }
  }

  /** One telemetry reading taken at `now` (earlier for a burst's buffered ones), and any spontaneous event. */
  private emit(slot: Slot, now: number, simS: number): void {
    this.offered++;
    const link = slot.link;
    if (link.state === 'refused') return;
    if (!link.client?.connected) {
      this.dropped++;
      return;
    }
    if (link.inFlight >= this.maxInFlightPerLink || this.inFlight >= this.maxInFlight) {
      this.skipped++;
      return;
    }
    const values = normalValues(slot.device, slot.ctx, now, this.rng);
    if (this.leak && slot.device === this.leak.device) {
      const ch4 = this.leak.value(simS, this.rng);
      if (ch4 !== null) values.ch4 = ch4;
    }
    if (this.violation) {
      const kw = this.violation.value(slot.device, meterCapacity(slot.device, slot.ctx).capacityKw, simS, this.rng);
      if (kw !== null) Object.assign(values, { p_kw: kw, i_a: Number(ampsOf(kw).toFixed(1)) });
    }
    this.send(link, slot.telemetry, JSON.stringify({ ts: Math.round(now), values }), this.opts.qos ?? 1, false);
    const ev = normalEvent(slot.device, now, this.rng);
    if (ev) this.sendEvent(slot, ev);
  }

  private sendEvent(slot: Slot, ev: DeviceEvent): void {
    log.debug({ device: slot.device.id, type: ev.type, point: ev.point }, 'event');
    try {
      this.opts.onEvent?.(slot.device, ev);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'onEvent listener failed');
    }
    this.send(slot.link, slot.event, JSON.stringify(ev), 1, false);
  }

  private publish(link: Link, topic: string, payload: string, qos: 0 | 1, retain: boolean): Promise<void> {
    return new Promise((resolve) => this.send(link, topic, payload, qos, retain, resolve));
  }

  /** Publishes and counts; `done` is called once the broker has it (or it failed, or was not sent). */
  private send(link: Link, topic: string, payload: string, qos: 0 | 1, retain: boolean, done?: () => void): void {
    // While a connection is down, drop and count instead of queueing without bound.
    // A refused one is counted as refused, not as dropping its devices' every message.
    const client = link.client;
    if (link.state === 'refused') return done?.();
    if (!client || !client.connected) {
      this.dropped++;
      return done?.();
    }
    link.inFlight++;
    this.inFlight++;
    client.publish(topic, payload, { qos, retain }, (err) => {
      link.inFlight--;
      this.inFlight--;
      if (err) {
        this.errors++;
        log.debug({ topic, err: err.message }, 'publish failed');
      } else this.sent++;
      done?.();
    });
  }
}
