/**
 * Publishes a feed for every registered device over MQTT, one connection per
 * tenant (the broker ACL is per tenant), at each device's interval with jitter.
 * Usable from the CLI, tests and benchmarks: `await new Simulator(opts).start()`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { deviceTopic, type Device, type DeviceEvent, type DeviceKind, type Registry, type Tenant } from '@lifeline/core';
import { intervalOf, logger } from '@lifeline/core/node';
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
  /** Prefix of the MQTT client ids; a random suffix keeps two simulators apart. */
  clientIdPrefix?: string;
  /** MQTT password sent with every tenant's connection (the username is the tenant). */
  password?: string;
  /** Called for every event published (scripted or spontaneous), e.g. to print it. */
  onEvent?: (device: Device, event: DeviceEvent) => void;
}

export interface SimulatorStats {
  startedAt: number;
  elapsedS: number;
  simS: number;
  sent: number;
  /** Messages not sent because the tenant's connection was down. */
  dropped: number;
  errors: number;
  connections: number;
  connected: number;
  devices: number;
  incident: IncidentStatus | null;
  fire: string | null;
  violation: string | null;
}

interface Slot {
  device: Device;
  client: MqttClient;
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
    for (let i = h.length - 1; i > 0; ) {
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
      for (let i = 0; ; ) {
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
  private readonly clients = new Map<string, MqttClient>();
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
  private leakWasActive = false;

  constructor(private readonly opts: SimulatorOptions) {
    this.speed = opts.speed ?? 1;
    if (!(this.speed > 0) || !Number.isFinite(this.speed)) throw new SimulatorError(`speed must be a positive number, got ${opts.speed}`);
    this.rng = createRng(opts.seed ?? Date.now());
    const only = opts.only && opts.only.length ? new Set(opts.only) : null;
    this.devices = opts.registry.devices.filter((d) => !only || only.has(d.kind));
    if (!this.devices.length) throw new SimulatorError(`no devices to simulate${only ? ` of kind ${[...only].join(', ')}` : ''}`);
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
      throw new SimulatorError(
        id ? `device "${id}" is ${known ? 'not among the simulated kinds' : 'not in the registry'}` : `no ${what} to script an incident on`,
      );
    }
    return d;
  }

  /** Connects every tenant, announces every device online and starts the feeds. */
  async start(): Promise<this> {
    if (this.running) return this;
    const tenants = new Map<string, Tenant | undefined>();
    for (const d of this.devices) tenants.set(d.tenant, this.opts.registry.tenants.find((t) => t.id === d.tenant));
    const suffix = Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, '0');
    try {
      await Promise.all([...tenants.keys()].map((t) => this.connect(t, suffix)));
    } catch (err) {
      await this.closeClients();
      throw err;
    }
    const meters = new Map<string, number>();
    for (const d of this.opts.registry.devices) if (d.kind === 'power') meters.set(d.tenant, (meters.get(d.tenant) ?? 0) + 1);
    this.startedAt = Date.now();
    this.slots = this.devices.map((device) => ({
      device,
      client: this.clients.get(device.tenant)!,
      ctx: { tenant: tenants.get(device.tenant), meterCount: meters.get(device.tenant), startMs: this.startedAt },
      telemetry: deviceTopic(device.tenant, device.id, 'telemetry'),
      event: deviceTopic(device.tenant, device.id, 'event'),
      status: deviceTopic(device.tenant, device.id, 'status'),
      due: 0,
      version: 0,
    }));
    this.leakSlot = this.leak ? this.slots.findIndex((s) => s.device === this.leak!.device) : -1;
    await this.bounded(Promise.all(this.slots.map((s) => this.publish(s.client, s.status, 'online', 1, true))), 'online statuses');
    // First readings spread over one interval so the devices do not all fire at once.
    this.slots.forEach((s, i) => this.schedule(i, this.startedAt + this.rng.next() * this.intervalMs(s)));
    this.running = true;
    this.tick();
    log.info({ url: redactUrl(this.opts.url), devices: this.slots.length, connections: this.clients.size, speed: this.speed }, 'simulator started');
    return this;
  }

  /** Announces every device offline, then closes the connections. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.running = false;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      await this.bounded(
        Promise.all(this.slots.filter((s) => s.client.connected).map((s) => this.publish(s.client, s.status, 'offline', 1, true))),
        'offline statuses',
      );
      await this.closeClients();
      log.info({ sent: this.sent }, 'simulator stopped');
    })();
    return this.stopping;
  }

  /** Waits for the broker's acknowledgements, but not for ever: a stalled broker must not hang start or stop. */
  private async bounded(work: Promise<unknown>, what: string): Promise<void> {
    const ms = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
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
    let connected = 0;
    for (const c of this.clients.values()) if (c.connected) connected++;
    const simS = this.simSeconds(now);
    return {
      startedAt: this.startedAt,
      elapsedS: this.startedAt ? (now - this.startedAt) / 1000 : 0,
      simS,
      sent: this.sent,
      dropped: this.dropped,
      errors: this.errors,
      connections: this.clients.size,
      connected,
      devices: this.slots.length,
      incident: this.leak ? this.leak.status(simS) : null,
      fire: this.fire ? `${this.fire.device.id} ${this.fire.status(simS)}` : null,
      violation: this.violation ? `${this.violation.tenant.id} ${this.violation.status(simS)}` : null,
    };
  }

  private connect(tenant: string, suffix: string): Promise<void> {
    const url = redactUrl(this.opts.url);
    // Credentials in the URL (mqtt://simulator:pw@host) make one user play every tenant,
    // as the compose ACL allows; otherwise each connection logs in as its tenant.
    const client = mqtt.connect(this.opts.url, {
      clientId: `${this.opts.clientIdPrefix ?? 'lifeline-sim'}-${tenant}-${suffix}`,
      username: tenant,
      ...(this.opts.password !== undefined ? { password: this.opts.password } : {}),
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
    });
    this.clients.set(tenant, client);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`no answer within ${(this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS) / 1000} s`)),
        this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      );
      const fail = (err: Error): void => {
        clearTimeout(timer);
        client.removeListener('connect', ok);
        reject(new SimulatorError(`cannot connect to the MQTT broker at ${url} as tenant "${tenant}": ${err.message}`));
      };
      const ok = (): void => {
        clearTimeout(timer);
        client.removeListener('error', fail);
        // After start, errors are logged and the client reconnects on its own.
        client.on('error', (e) => log.warn({ tenant, err: e.message }, 'MQTT error'));
        client.on('offline', () => log.warn({ tenant }, 'MQTT connection lost; reconnecting'));
        // A broker that restarted without persistence forgot the retained statuses: say them again.
        client.on('connect', () => {
          log.warn({ tenant }, 'MQTT reconnected');
          for (const slot of this.slots) if (slot.client === client && this.running) void this.publish(client, slot.status, 'online', 1, true);
        });
        resolve();
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
  }

  private async closeClients(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.endAsync(!c.connected).catch(() => undefined)));
    this.clients.clear();
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
    if (this.fire) {
      const slot = this.slots.find((s) => s.device === this.fire!.device);
      for (const ev of this.fire.due(simS, now)) if (slot) this.sendEvent(slot, ev);
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
    this.publish(slot.client, slot.telemetry, JSON.stringify({ ts: now, values }), this.opts.qos ?? 1, false);
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
    this.publish(slot.client, slot.event, JSON.stringify(ev), 1, false);
  }

  private publish(client: MqttClient, topic: string, payload: string, qos: 0 | 1, retain: boolean): Promise<void> {
    // While a tenant is disconnected, drop and count instead of queueing without bound.
    if (!client.connected) {
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
