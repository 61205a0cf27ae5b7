/**
 * Publishes a feed for every registered device over MQTT at each device's
 * interval with jitter: each device through its own credential's connection
 * (a device's or a gateway's) given a credentials file, one connection per
 * tenant otherwise (anonymous development brokers). One shared tick drives
 * every device, however many there are.
 * Usable from the CLI, tests and benchmarks: `await new Simulator(opts).start()`.
 */
import { deviceTopic, type Device, type DeviceEvent, type DeviceKind, type Registry, type Tenant } from '@lifeline/core';
import { intervalOf, logger } from '@lifeline/core/node';
import { planConnections, type PlannedConnection } from './connection-plan.js';
import { ConnectError, Connections, type Link } from './connections.js';
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
import { createRng, type Rng } from './rng.js';

const log = logger('simulator');

/** Intervals vary by this fraction either way so devices drift apart. */
const JITTER = 0.1;
/** Longest sleep of the scheduler, so stop and scripted events are never late by more. */
const MAX_TICK_MS = 250;
const CONNECT_TIMEOUT_MS = 10_000;
/** How long stop waits for the broker to take the offline statuses, then for the goodbyes: a stop is prompt even if the broker stalled. */
const STOP_ACK_MS = 1000;
const STOP_CLOSE_MS = 300;
/** Device ids named in the error about devices without a credential. */
const UNCREDENTIALED_SHOWN = 5;

export interface SimulatorOptions {
  url: string;
  registry: Registry;
  /** Multiplies the simulated clock: intervals and scripts run this many times faster. */
  speed?: number;
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
  sent: number;
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
  due: number;
  version: number;
}

/** A binary min-heap of (due, slot, version); stale versions are skipped when popped. */
class DueQueue {
  private heap: [number, number, number][] = [];
  push(due: number, slot: number, version: number): void {
    const h = this.heap;
    h.push([due, slot, version]);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (h[p]![0] <= h[i]![0]) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  peek(): number {
    return this.heap[0]?.[0] ?? Infinity;
  }
  pop(): [number, number, number] | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length && last) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]![0] < h[m]![0]) m = l;
        if (r < h.length && h[r]![0] < h[m]![0]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
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
  private readonly rng: Rng;
  private readonly devices: Device[];
  private readonly plan: PlannedConnection[];
  /** Simulated devices left out because no credential covers them (with `skipUncredentialed`). */
  readonly uncredentialed: readonly Device[];
  private connections: Connections | null = null;
  private slots: Slot[] = [];
  private readonly queue = new DueQueue();
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private running = false;
  private stopping: Promise<void> | null = null;
  private sent = 0;
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
        : { clientIdPrefix: opts.clientIdPrefix ?? 'lifeline-sim', suffix, username: opts.username, password: opts.password },
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
      due: 0,
      version: 0,
    }));
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
    this.slots.forEach((s, i) => this.schedule(i, this.startedAt + this.rng.next() * this.intervalMs(s)));
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
   * when the broker stalls (it waits STOP_ACK_MS for acknowledgements). Safe
   * to call twice, and during start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      const connections = this.connections;
      if (!connections) return;
      await this.bounded(
        Promise.all(this.slots.filter((s) => s.link.state === 'up').map((s) => this.publish(s.link, s.status, 'offline', 1, true))),
        'offline statuses',
        Math.min(STOP_ACK_MS, this.opts.connectTimeoutMs ?? STOP_ACK_MS),
      );
      await connections.close(STOP_CLOSE_MS);
      log.info({ sent: this.sent }, 'simulator stopped');
    })();
    return this.stopping;
  }

  /** Waits for the broker's acknowledgements, but not for ever: a stalled broker must not hang start or stop. */
  private async bounded(work: Promise<unknown>, what: string, ms = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    const r = await Promise.race([work, late]);
    clearTimeout(timer);
    if (r === 'late') log.warn({ what, waitedMs: ms }, 'broker did not acknowledge in time; going on');
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
      sent: this.sent,
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
    return (s * 1000) / this.speed;
  }

  private schedule(i: number, due: number): void {
    const slot = this.slots[i]!;
    slot.due = due;
    slot.version++;
    this.queue.push(due, i, slot.version);
  }

  private tick = (): void => {
    this.timer = null;
    if (!this.running) return;
    const now = Date.now();
    const simS = this.simSeconds(now);
    this.scripts(now, simS);
    while (this.queue.peek() <= now) {
      const [, i, version] = this.queue.pop()!;
      const slot = this.slots[i]!;
      if (version !== slot.version) continue;
      this.emit(slot, now, simS);
      const interval = this.intervalMs(slot, simS);
      const next = slot.due + interval * (1 + (this.rng.next() * 2 - 1) * JITTER);
      // A slot far behind (a stalled event loop) restarts from now instead of bursting.
      this.schedule(i, next < now - interval ? now + interval * this.rng.next() : next);
    }
    this.timer = setTimeout(this.tick, Math.max(1, Math.min(MAX_TICK_MS, this.queue.peek() - Date.now())));
  };

  /** Starts the leak's fast reporting the moment it begins, and sends due fire-panel events. */
  private scripts(now: number, simS: number): void {
    if (this.leak && this.leakSlot >= 0) {
      const active = this.leak.active(simS);
      if (active && !this.leakWasActive) this.schedule(this.leakSlot, now);
      this.leakWasActive = active;
    }
    if (this.fire && this.fireSlot >= 0) {
      const slot = this.slots[this.fireSlot]!;
      for (const ev of this.fire.due(simS, now)) this.sendEvent(slot, ev);
    }
  }

  private emit(slot: Slot, now: number, simS: number): void {
    const values = normalValues(slot.device, slot.ctx, now, this.rng);
    if (this.leak && slot.device === this.leak.device) {
      const ch4 = this.leak.value(simS, this.rng);
      if (ch4 !== null) values.ch4 = ch4;
    }
    if (this.violation) {
      const kw = this.violation.value(slot.device, meterCapacity(slot.device, slot.ctx).capacityKw, simS, this.rng);
      if (kw !== null) Object.assign(values, { p_kw: kw, i_a: Number(ampsOf(kw).toFixed(1)) });
    }
    this.publish(slot.link, slot.telemetry, JSON.stringify({ ts: now, values }), this.opts.qos ?? 1, false);
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
    this.publish(slot.link, slot.event, JSON.stringify(ev), 1, false);
  }

  private publish(link: Link, topic: string, payload: string, qos: 0 | 1, retain: boolean): Promise<void> {
    // While a connection is down, drop and count instead of queueing without bound.
    // A refused one is counted as refused, not as dropping its devices' every message.
    const client = link.client;
    if (link.state === 'refused') return Promise.resolve();
    if (!client || !client.connected) {
      this.dropped++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      client.publish(topic, payload, { qos, retain }, (err) => {
        if (err) {
          this.errors++;
          log.debug({ topic, err: err.message }, 'publish failed');
        } else this.sent++;
        resolve();
      });
    });
  }
}
