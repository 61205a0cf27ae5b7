import type { Device, Signal } from '@lifeline/core';
import { logger, type InfluxWriter, type LoadedRegistry } from '@lifeline/core/node';
import { DeadLetters } from './dead-letters.js';
import { MqttSource } from './mqtt-source.js';
import { parseMessage } from './parse.js';
import { deviceTags, eventLine, statusLine, telemetryLine, telemetrySeries } from './points.js';
import { RuleEngine } from './rules/engine.js';

const log = logger('ingest');

export interface IngestOptions {
  mqtt: { url: string; clientId: string; username?: string; password?: string; shareGroup?: string };
  registry: LoadedRegistry;
  writer: InfluxWriter;
  deadLetterMax: number;
  onSignal: (signal: Signal) => void;
  /** Told when a device's latest values or online state changed. */
  onDeviceChange?: (deviceId: string) => void;
  /** Above this many buffered lines, acks to the broker are held until the writer catches up. */
  highWaterLines?: number;
}

export interface Latest {
  values: Record<string, number>;
  at: number;
}

export interface IngestStats {
  received: number;
  accepted: number;
  readings: number;
  events: number;
  rejected: number;
}

/**
 * The ingest stage: MQTT in, validated and enriched points out to InfluxDB,
 * every accepted message through the rule engine, rejections to dead letters.
 */
export class Ingest {
  readonly deadLetters: DeadLetters;
  readonly rules: RuleEngine;
  readonly source: MqttSource;
  /** Latest values per device, in memory: asking InfluxDB for 10k series takes ~0.5 s. */
  readonly latest = new Map<string, Latest>();
  readonly stats: IngestStats = { received: 0, accepted: 0, readings: 0, events: 0, rejected: 0 };
  private readonly tags = new Map<string, { tags: Record<string, string>; series: string }>();

  constructor(private readonly opts: IngestOptions) {
    this.deadLetters = new DeadLetters(opts.deadLetterMax);
    const lookup = (id: string) => opts.registry.byId.get(id);
    this.rules = new RuleEngine({ lookup, onSignal: opts.onSignal });
    const high = opts.highWaterLines ?? 100_000;
    this.source = new MqttSource({
      ...opts.mqtt,
      onMessage: (topic, payload) => this.handle(topic, payload),
      ready: () => (opts.writer.stats.buffered > high ? this.waitForWriter(high) : null),
    });
  }

  async start(): Promise<void> {
    this.rules.start();
    await this.source.start();
    log.info({ devices: this.opts.registry.byId.size, topic: this.source.topic }, 'ingest started');
  }

  async stop(): Promise<void> {
    await this.source.stop();
    this.rules.stop();
    await this.opts.writer.drain();
  }

  /** One message from the broker; never throws. */
  handle(topic: string, payload: Buffer, now = Date.now()): void {
    this.stats.received++;
    const p = parseMessage(topic, payload, (id) => this.opts.registry.byId.get(id), now);
    if (!p.ok) {
      this.stats.rejected++;
      this.deadLetters.add({ topic, code: p.code, reason: p.reason, tenant: p.tenant, device: p.device, payload, at: now });
      return;
    }
    this.stats.accepted++;
    const { device } = p;
    const { tags, series } = this.tagsOf(device);
    const writer = this.opts.writer;
    this.rules.seen(device, now);
    switch (p.channel) {
      case 'telemetry':
        for (const r of p.readings) {
          writer.write(telemetryLine(series, r));
          this.rules.onReading(device, r);
          this.remember(device.id, r.values, r.ts);
        }
        this.stats.readings += p.readings.length;
        break;
      case 'event':
        writer.write(eventLine(tags, p.event));
        this.rules.onEvent(device, p.event);
        this.stats.events++;
        break;
      case 'status':
        writer.write(statusLine(tags, p.status, p.ts));
        this.rules.onStatus(device, p.status, now);
        break;
    }
    this.opts.onDeviceChange?.(device.id);
  }

  private remember(id: string, values: Record<string, number>, at: number): void {
    const prev = this.latest.get(id);
    if (prev && prev.at > at) return; // an older reading from a buffered batch
    this.latest.set(id, { values: prev ? Object.assign(prev.values, values) : { ...values }, at });
  }

  private tagsOf(device: Device): { tags: Record<string, string>; series: string } {
    let t = this.tags.get(device.id);
    if (!t) {
      const tags = deviceTags(device, this.opts.registry.district.name);
      t = { tags, series: telemetrySeries(tags) };
      this.tags.set(device.id, t);
    }
    return t;
  }

  private async waitForWriter(high: number): Promise<void> {
    const low = high / 2;
    while (this.opts.writer.stats.buffered > low) await new Promise((r) => setTimeout(r, 20));
  }
}
