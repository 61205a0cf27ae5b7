import type { DeadLetterCode, Device, Signal } from '@lifeline/core';
import { logger, type InfluxTarget, type InfluxWriter, type LoadedRegistry } from '@lifeline/core/node';
import { DeadLetters } from './dead-letters.js';
import { MqttSource } from './mqtt-source.js';
import { parseMessage } from './parse.js';
import { deviceTags, eventLine, statusLine, telemetryLine, telemetrySeries } from './points.js';
import { learnBaselines } from './rules/baseline-learn.js';
import { RuleEngine } from './rules/engine.js';
import { loadRulesFile, RulesWatcher } from './rules/rules-file.js';
import { RuleStateFile } from './rules/state-file.js';

const log = logger('ingest');

/** How often rule state (durations in progress, baselines …) is written to disk. */
export const RULE_STATE_SAVE_MS = 5000;
/** Distinct metric names one device may report, ever: each is an InfluxDB field and a key in memory. */
export const MAX_METRICS_PER_DEVICE = 32;
/** Longest start-up waits to learn the enterprises' baselines from InfluxDB. */
export const BASELINE_LEARN_TIMEOUT_MS = 15_000;

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
  /**
   * The rules file (validated at start, reloaded when it changes), the directory
   * where rule state is kept across restarts, and the InfluxDB to learn power
   * baselines from. Without it: the built-in rules, nothing persisted.
   */
  rules?: { path: string; stateDir: string; influx?: InfluxTarget };
}

export type HandleResult = { ok: true; points: number } | { ok: false; code: DeadLetterCode; reason: string };

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
  private readonly metricNames = new Map<string, Set<string>>();
  private ruleState: RuleStateFile | null = null;
  private rulesWatcher: RulesWatcher | null = null;
  private saveTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: IngestOptions) {
    this.deadLetters = new DeadLetters(opts.deadLetterMax);
    const lookup = (id: string) => opts.registry.byId.get(id);
    const tenantOf = (id: string) => opts.registry.tenantsById.get(id);
    this.rules = new RuleEngine({ lookup, tenantOf, onSignal: opts.onSignal });
    const high = opts.highWaterLines ?? 100_000;
    this.source = new MqttSource({
      ...opts.mqtt,
      onMessage: (topic, payload) => this.handle(topic, payload),
      ready: () => (opts.writer.stats.buffered > high ? this.waitForWriter(high) : null),
    });
  }

  async start(): Promise<void> {
    if (this.opts.rules) await this.startRules(this.opts.rules);
    this.rules.start();
    await this.source.start();
    log.info({ devices: this.opts.registry.byId.size, topic: this.source.topic }, 'ingest started');
  }

  async stop(): Promise<void> {
    await this.source.stop();
    this.rules.stop();
    this.rulesWatcher?.stop();
    this.rulesWatcher = null;
    if (this.saveTimer) clearInterval(this.saveTimer);
    this.saveTimer = null;
    this.saveRuleState();
    await this.opts.writer.drain();
  }

  /** Writes the rule state now (also done every few seconds and at stop). */
  saveRuleState(): void {
    if (!this.ruleState) return;
    try {
      this.ruleState.save(this.rules.snapshot());
    } catch (err) {
      log.error({ err, file: this.ruleState.file }, 'cannot save rule state');
    }
  }

  /** Rules file (fatal if invalid), saved state, baselines from history (a warning if it fails), then the watcher. */
  private async startRules(cfg: NonNullable<IngestOptions['rules']>): Promise<void> {
    this.rules.setRules(loadRulesFile(cfg.path));
    this.ruleState = new RuleStateFile(cfg.stateDir);
    const snap = this.ruleState.load();
    if (snap) {
      this.rules.restore(snap);
      log.info({ entries: snap.state.length, savedAt: new Date(snap.savedAt).toISOString() }, 'rule state restored');
    }
    if (cfg.influx) await this.learnBaselines(cfg.influx);
    this.rulesWatcher = new RulesWatcher(cfg.path, (rules) => this.rules.setRules(rules));
    this.rulesWatcher.start();
    this.saveTimer = setInterval(() => this.saveRuleState(), RULE_STATE_SAVE_MS);
    this.saveTimer.unref();
  }

  private async learnBaselines(influx: InfluxTarget): Promise<void> {
    const rule = this.rules.currentRules.rules.find((r) => r.type === 'power_baseline' && r.enabled !== false);
    if (!rule || rule.type !== 'power_baseline') return;
    const reg = this.opts.registry;
    const meters = reg.devices.filter((d) => d.kind === 'power' && reg.tenantsById.get(d.tenant)?.enterprise);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const learned = await Promise.race([
        learnBaselines(influx, meters, { weeks: rule.learnWeeks, now: Date.now(), utcOffsetH: this.rules.currentRules.schedules.default.utcOffsetH }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${BASELINE_LEARN_TIMEOUT_MS} ms`)), BASELINE_LEARN_TIMEOUT_MS))),
      ]);
      this.rules.applyBaselines(learned);
      log.info({ enterprises: learned.size, ms: Date.now() - started }, 'power baselines learned from history');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'could not learn power baselines from InfluxDB; they build up from live data');
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One message, from the broker or the HTTP ingest route; never throws. Says
   * whether it was taken, or why not (it is in the dead letters then).
   */
  handle(topic: string, payload: Buffer, now = Date.now()): HandleResult {
    this.stats.received++;
    const p = parseMessage(topic, payload, (id) => this.opts.registry.byId.get(id), now);
    if (!p.ok) {
      this.stats.rejected++;
      this.deadLetters.add({ topic, code: p.code, reason: p.reason, tenant: p.tenant, device: p.device, payload, at: now });
      return { ok: false, code: p.code, reason: p.reason };
    }
    let points = 1;
    const { device } = p;
    if (p.channel === 'telemetry') {
      const extra = this.newMetricNames(device.id, p.readings);
      if (extra) {
        const reason = `device ${device.id} would report more than ${MAX_METRICS_PER_DEVICE} distinct metrics (new: ${extra.slice(0, 5).join(', ')})`;
        this.stats.rejected++;
        this.deadLetters.add({ topic, code: 'invalid_payload', reason, tenant: device.tenant, device: device.id, payload, at: now });
        return { ok: false, code: 'invalid_payload', reason };
      }
    }
    this.stats.accepted++;
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
        points = p.readings.length;
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
    return { ok: true, points };
  }

  /**
   * Names beyond the per-device cap, or null when all fit (then they are
   * remembered): each name is a field in InfluxDB and a key in memory.
   */
  private newMetricNames(id: string, readings: { values: Record<string, number> }[]): string[] | null {
    let names = this.metricNames.get(id);
    if (!names) this.metricNames.set(id, (names = new Set(Object.keys(this.latest.get(id)?.values ?? {}))));
    const fresh: string[] = [];
    for (const r of readings) for (const k in r.values) if (!names.has(k) && !fresh.includes(k)) fresh.push(k);
    if (names.size + fresh.length > MAX_METRICS_PER_DEVICE) return fresh;
    for (const k of fresh) names.add(k);
    return null;
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

  /** Held acks go out again once the writer has drained to half the high-water mark: woken by the writer, not polled. */
  private waitForWriter(high: number): Promise<void> {
    return this.opts.writer.whenBelow(high / 2);
  }
}
