/**
 * Steady device updates for the city bench over one MQTT connection (QoS 1):
 * `rate` readings a second from the registry's devices in a fixed shuffled
 * order — each a device patch on the dashboard's Socket.IO link, and while a
 * device is heard for the first time a change of its status (unknown →
 * normal) — with normal values of its kind from the simulator's feeds; among
 * them `alertRate` gas readings a second that raise a yellow alert (the
 * device's next normal reading clears it) and `redRate` that raise a red one
 * (open until a person acts: a pulsing ring on the map).
 */
import mqtt from 'mqtt';
import { deviceTopic, type Device, type Registry, type Tenant } from '@lifeline/core';
import { normalValues, type FeedContext } from '@lifeline/simulators/dist/feeds.js';
import { createRng, type Rng } from '@lifeline/simulators/dist/rng.js';

const TICK_MS = 50;
const SEED = 20_261_202;
/** %LEL: above the yellow (10) and below the orange (25) level; above the red (50). */
const YELLOW_CH4 = 15;
const RED_CH4 = 62;

export interface LoadCounts {
  sent: number;
  acked: number;
  yellow: number;
  red: number;
  /** Devices heard for the first time (a status change unknown → normal, or to an alert). */
  firstHeard: number;
}

export interface CityLoadOptions {
  mqttUrl: string;
  registry: Registry;
  rate: number;
  alertRate: number;
  redRate: number;
  clientId: string;
}

function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export class CityLoad {
  readonly counts: LoadCounts = { sent: 0, acked: 0, yellow: 0, red: 0, firstHeard: 0 };
  private readonly order: Device[];
  private readonly gas: Device[];
  private readonly ctx = new Map<string, FeedContext>();
  private readonly heard = new Set<string>();
  private readonly rng = createRng(SEED);
  private cursor = 0;
  private gasCursor = 0;
  private timer: NodeJS.Timeout | null = null;
  private due = { all: 0, yellow: 0, red: 0 };
  private lastTick = 0;

  private constructor(
    private readonly client: mqtt.MqttClient,
    private readonly o: CityLoadOptions,
  ) {
    const rng = createRng(SEED);
    this.order = shuffled(o.registry.devices, rng);
    // Alerting detectors come from the far end of the order, so their alerts are spread over the city too.
    this.gas = this.order.filter((d) => d.kind === 'gas').reverse();
    const tenants = new Map<string, Tenant>(o.registry.tenants.map((t) => [t.id, t]));
    const meters = new Map<string, number>();
    for (const d of o.registry.devices) if (d.kind === 'power') meters.set(d.tenant, (meters.get(d.tenant) ?? 0) + 1);
    for (const d of o.registry.devices)
      if (d.kind === 'power' || d.kind === 'smoke') this.ctx.set(d.id, { tenant: tenants.get(d.tenant), meterCount: meters.get(d.tenant), startMs: 0 });
  }

  static async connect(o: CityLoadOptions): Promise<CityLoad> {
    if (o.alertRate + o.redRate > o.rate) throw new Error(`--alert-rate + --red-rate (${o.alertRate + o.redRate}) exceed --rate (${o.rate})`);
    const client = await mqtt.connectAsync(o.mqttUrl, { clientId: o.clientId, clean: true });
    return new CityLoad(client, o);
  }

  start(): void {
    if (this.timer) return;
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async end(): Promise<void> {
    this.pause();
    await this.client.endAsync();
  }

  private tick(): void {
    const now = Date.now();
    const s = (now - this.lastTick) / 1000;
    this.lastTick = now;
    this.due.all += this.o.rate * s;
    this.due.yellow += this.o.alertRate * s;
    this.due.red += this.o.redRate * s;
    while (this.due.red >= 1 && this.due.all >= 1) {
      this.alarm(RED_CH4);
      this.counts.red++;
      this.due.red--;
      this.due.all--;
    }
    while (this.due.yellow >= 1 && this.due.all >= 1) {
      this.alarm(YELLOW_CH4);
      this.counts.yellow++;
      this.due.yellow--;
      this.due.all--;
    }
    for (; this.due.all >= 1; this.due.all--) {
      const d = this.order[this.cursor++ % this.order.length]!;
      this.publish(d, normalValues(d, this.ctx.get(d.id) ?? { startMs: 0 }, now, this.rng));
    }
  }

  private alarm(ch4: number): void {
    const d = this.gas[this.gasCursor++ % this.gas.length]!;
    this.publish(d, { ch4 });
  }

  private publish(d: Device, values: Record<string, number>): void {
    if (!this.heard.has(d.id)) {
      this.heard.add(d.id);
      this.counts.firstHeard++;
    }
    this.counts.sent++;
    this.client.publish(deviceTopic(d.tenant, d.id, 'telemetry'), JSON.stringify({ ts: Date.now(), values }), { qos: 1 }, (err) => {
      if (!err) this.counts.acked++;
    });
  }
}
