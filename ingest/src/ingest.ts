import type { DeadLetterCode, Device, Signal } from '@lifeline/core';
import { logger, SpooledWriter, SpoolFullError, type InfluxTarget, type InfluxWriter, type LoadedRegistry } from '@lifeline/core/node';
import { DeadLetters } from './dead-letters.js';
import { MqttSource, type MqttSourceOptions } from './mqtt-source.js';
import { parseMessage } from './parse.js';
import { deviceTags, eventLine, statusLine, telemetryLine, telemetrySeries } from './points.js';
import { learnBaselines } from './rules/baseline-learn.js';
import { RuleEngine } from './rules/engine.js';
import { loadRulesFile, RulesWatcher } from './rules/rules-file.js';
import { RuleStateFile } from './rules/state-file.js';

const log = logger('ingest');

/** How often what changed in the rule state (conditions, events, sites …) is appended to its log. */
export const RULE_STATE_SAVE_MS = 5000;
/** How often at most the whole rule state is written (the log compacted), running statistics with it. */
export const RULE_STATE_SNAPSHOT_MS = 10 * 60_000;
/** The log is compacted sooner once it outgrows the snapshot, or this, whichever is larger. */
export const RULE_STATE_LOG_MIN_BYTES = 8 * 1024 * 1024;
/** Distinct metric names one device may report, ever: each is an InfluxDB field and a key in memory. */
export const MAX_METRICS_PER_DEVICE = 32;
/** Longest start-up waits to learn the enterprises' baselines from InfluxDB. */
export const BASELINE_LEARN_TIMEOUT_MS = 15_000;
/** A message the spool could not take for an I/O error is tried again this often (its ack held meanwhile). */
export const STORE_RETRY_MS = 1000;

export interface IngestOptions {
  mqtt: Omit<MqttSourceOptions, 'onMessage' | 'onBatchEnd'>;
  registry: LoadedRegistry;
  /**
   * Where lines go. A SpooledWriter makes ingest durable: a message is
   * acknowledged once its lines are in the spool. A bare InfluxWriter (tools,
   * benchmarks) acknowledges once they are in memory.
   */
  writer: InfluxWriter | SpooledWriter;
  deadLetterMax: number;
  onSignal: (signal: Signal) => void;
  /** Told when a device's latest values or online state changed. */
  onDeviceChange?: (deviceId: string) => void;
  /** Bare writer only: above this many buffered lines, acks to the broker are held until the writer catches up. */
  highWaterLines?: number;
  /**
   * The rules file (validated at start, reloaded when it changes), the directory
   * where rule state is kept across restarts, and the InfluxDB to learn power
   * baselines from. Without it: the built-in rules, nothing persisted.
   */
  rules?: { path: string; stateDir: string; influx?: InfluxTarget };
}

/** Rejected (a dead letter), or `unavailable`: valid but not stored (spool full or failing), so not to be acknowledged. */
export type HandleResult = { ok: true; points: number } | { ok: false; code: DeadLetterCode | 'unavailable'; reason: string };

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
  private lastSnapshotAt = 0;
  private stopped = false;
  private lastStoreErrorLog = 0;
  private readonly spooled: SpooledWriter | null;
  private readonly lookup: (id: string) => Device | undefined;

  constructor(private readonly opts: IngestOptions) {
    this.spooled = opts.writer instanceof SpooledWriter ? opts.writer : null;
    this.deadLetters = new DeadLetters(opts.deadLetterMax);
    const lookup = (this.lookup = (id: string) => opts.registry.byId.get(id));
    const tenantOf = (id: string) => opts.registry.tenantsById.get(id);
    this.rules = new RuleEngine({ lookup, tenantOf, onSignal: opts.onSignal });
    this.source = new MqttSource({
      ...opts.mqtt,
      onMessage: (topic, payload) => this.take(topic, payload),
      onBatchEnd: () => this.spooled?.commit(),
    });
    // Points InfluxDB will not take (e.g. past its cardinality limits) are dead letters with the reason, not lost in a log.
    (this.spooled ? this.spooled.writer : (opts.writer as InfluxWriter)).onRefused((line, reason) => this.refused(line, reason));
  }

  private refused(line: string, reason: string): void {
    const tag = (k: string) => {
      const m = new RegExp(`,${k}=((?:\\\\.|[^,\\s\\\\])+)`).exec(line);
      return m ? m[1]!.replace(/\\(.)/g, '$1') : undefined;
    };
    const measurement = /^((?:\\.|[^,\s\\])+)/.exec(line)?.[1] ?? 'telemetry';
    const device = tag('device');
    const tenant = tag('tenant');
    this.deadLetters.add(
      {
        topic: `lifeline/v1/${tenant ?? '?'}/${device ?? '?'}/${measurement}`,
        code: 'refused_by_influxdb',
        reason: `InfluxDB refused the point: ${reason}`,
        ...(tenant ? { tenant } : {}),
        ...(device ? { device } : {}),
        payload: line,
      },
      true,
    );
  }

  async start(): Promise<void> {
    if (this.opts.rules) await this.startRules(this.opts.rules);
    this.rules.start();
    await this.source.start();
    log.info({ devices: this.opts.registry.byId.size, topic: this.source.topic }, 'ingest started');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.source.stop();
    this.rules.stop();
    this.rulesWatcher?.stop();
    this.rulesWatcher = null;
    if (this.saveTimer) clearInterval(this.saveTimer);
    this.saveTimer = null;
    this.saveRuleState();
    this.ruleState?.close();
    // A spooled writer is closed by its owner, with a bound: what InfluxDB has not taken stays in the spool.
    if (!this.spooled) await (this.opts.writer as InfluxWriter).drain();
  }

  /** Writes the whole rule state now, compacting its log (also done every few minutes and at stop). */
  saveRuleState(): void {
    if (!this.ruleState) return;
    try {
      this.ruleState.save(this.rules.snapshotForSave());
      this.lastSnapshotAt = Date.now();
    } catch (err) {
      log.error({ err, file: this.ruleState.file }, 'cannot save rule state');
    }
  }

  /** Appends what changed in the rule state; a snapshot instead when the log has grown or one is due. */
  saveRuleChanges(): void {
    const f = this.ruleState;
    if (!f) return;
    if (Date.now() - this.lastSnapshotAt >= RULE_STATE_SNAPSHOT_MS || f.logBytes > Math.max(RULE_STATE_LOG_MIN_BYTES, f.snapshotBytes)) {
      return this.saveRuleState();
    }
    try {
      f.append(this.rules.takeChanges());
    } catch (err) {
      log.error({ err, file: f.changesFile }, 'cannot append to the rule state log; writing a snapshot instead');
      this.saveRuleState();
    }
  }

  /**
   * Settles once the power baselines were learned from history (or could not
   * be): learned in the background, so a city's weeks of meter history never
   * hold start-up; until then the saved baselines (rule state) stand.
   */
  baselinesLearned: Promise<void> = Promise.resolve();

  /** Rules file (fatal if invalid), saved state, baselines from history (in the background, a warning if it fails), then the watcher. */
  private async startRules(cfg: NonNullable<IngestOptions['rules']>): Promise<void> {
    this.rules.setRules(loadRulesFile(cfg.path));
    this.ruleState = new RuleStateFile(cfg.stateDir);
    const snap = this.ruleState.load();
    let dropped = 0;
    if (snap) {
      dropped = this.rules.restore(snap, this.ruleState.resumed);
      log.info({ entries: snap.state.length, savedAt: new Date(snap.savedAt).toISOString() }, 'rule state restored');
    }
    if (cfg.influx) this.baselinesLearned = this.learnBaselines(cfg.influx);
    this.rulesWatcher = new RulesWatcher(cfg.path, (rules) => this.rules.setRules(rules));
    this.rulesWatcher.start();
    // A snapshot at once when the log cannot simply go on (none, damaged, or entries dropped for removed devices or changed rules).
    if (snap && this.ruleState.resumed && !dropped) this.lastSnapshotAt = snap.savedAt;
    else this.saveRuleState();
    this.saveTimer = setInterval(() => this.saveRuleChanges(), RULE_STATE_SAVE_MS);
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
        new Promise<never>(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${BASELINE_LEARN_TIMEOUT_MS} ms`)), BASELINE_LEARN_TIMEOUT_MS)),
        ),
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
   * whether it was taken, or why not (it is in the dead letters then, unless
   * it is `unavailable`: valid, but the spool could not take it). Its lines
   * are stored before the rules see it, so an alert never stems from a
   * reading that was not kept.
   */
  handle(topic: string, payload: Buffer, now = Date.now()): HandleResult {
    return this.handleOne(topic, payload, now, false);
  }

  /** `handle`, or with `batch` its lines only staged: durable once the MQTT batch's commit (`onBatchEnd`) returns. */
  private handleOne(topic: string, payload: Buffer, now: number, batch: boolean): HandleResult {
    const p = parseMessage(topic, payload, this.lookup, now);
    if (!p.ok) {
      this.stats.received++;
      this.stats.rejected++;
      this.deadLetters.add({ topic, code: p.code, reason: p.reason, tenant: p.tenant, device: p.device, payload, at: now });
      return { ok: false, code: p.code, reason: p.reason };
    }
    const { device } = p;
    if (p.channel === 'telemetry') {
      const extra = this.newMetricNames(device.id, p.readings);
      if (extra) {
        const reason = `device ${device.id} would report more than ${MAX_METRICS_PER_DEVICE} distinct metrics (new: ${extra.slice(0, 5).join(', ')})`;
        this.stats.received++;
        this.stats.rejected++;
        this.deadLetters.add({ topic, code: 'invalid_payload', reason, tenant: device.tenant, device: device.id, payload, at: now });
        return { ok: false, code: 'invalid_payload', reason };
      }
    }
    const { tags, series } = this.tagsOf(device);
    // Every line carries its time (the device's, or receipt time): a replay rewrites the same points.
    const lines =
      p.channel === 'telemetry'
        ? p.readings.length === 1
          ? [telemetryLine(series, p.readings[0]!)]
          : p.readings.map((r) => telemetryLine(series, r))
        : p.channel === 'event'
          ? [eventLine(tags, p.event)]
          : [statusLine(tags, p.status, p.ts)];
    const stored = this.store(lines, batch);
    if (stored) return { ok: false, code: 'unavailable', reason: stored };
    this.stats.received++;
    this.stats.accepted++;
    this.rules.seen(device, now);
    let points = 1;
    switch (p.channel) {
      case 'telemetry':
        for (const r of p.readings) {
          this.rules.onReading(device, r);
          this.remember(device.id, r.values, r.ts);
        }
        this.stats.readings += p.readings.length;
        points = p.readings.length;
        break;
      case 'event':
        this.rules.onEvent(device, p.event);
        this.stats.events++;
        break;
      case 'status':
        this.rules.onStatus(device, p.status, now);
        break;
    }
    this.opts.onDeviceChange?.(device.id);
    return { ok: true, points };
  }

  /** The spool is full: new messages are refused (HTTP 503) or held (MQTT) until it drains. */
  get full(): boolean {
    return this.spooled?.full ?? false;
  }

  /** Null once the lines are stored, else why not. */
  private store(lines: string[], batch: boolean): string | null {
    if (!this.spooled) {
      for (const l of lines) (this.opts.writer as InfluxWriter).write(l);
      return null;
    }
    try {
      if (batch) this.spooled.stage(lines);
      else this.spooled.append(lines);
      return null;
    } catch (err) {
      const full = err instanceof SpoolFullError;
      if (!full) this.logStoreError(err as Error);
      return full ? (err as Error).message : `the spool cannot store it: ${(err as Error).message}`;
    }
  }

  private logStoreError(err: Error): void {
    if (Date.now() - this.lastStoreErrorLog < STORE_RETRY_MS * 10) return;
    this.lastStoreErrorLog = Date.now();
    log.error({ err }, 'cannot append to the spool; holding acknowledgements and retrying');
  }

  /**
   * A message from the broker. Its lines are staged in the spool; the PUBACK
   * (released at once: null, or when the promise resolves) stays corked in
   * the process until the turn's batch is written (`onBatchEnd`), so the
   * stream is not held per message and one write keeps the lot. Held while the spool is full, and a message it
   * could not take is tried again, with the same receipt time, until it is
   * stored: a held ack keeps it with the broker.
   */
  private take(topic: string, payload: Buffer): Promise<void> | null {
    const now = Date.now();
    const r = this.handleOne(topic, payload, now, true);
    if (!r.ok && r.code === 'unavailable') return this.retryStore(topic, payload, now);
    return this.hold();
  }

  private hold(): Promise<void> | null {
    const sp = this.spooled;
    if (sp) return sp.full ? sp.whenNotFull() : null;
    const w = this.opts.writer as InfluxWriter;
    const high = this.opts.highWaterLines ?? 100_000;
    // Held acks go out again once the writer has drained to half the high-water mark: woken by the writer, not polled.
    return w.stats.buffered > high ? w.whenBelow(high / 2) : null;
  }

  private async retryStore(topic: string, payload: Buffer, now: number): Promise<void> {
    for (;;) {
      const sp = this.spooled!;
      if (sp.full) await sp.whenNotFull();
      else await new Promise((r) => setTimeout(r, STORE_RETRY_MS));
      // Stopping: the message stays unacknowledged, so the broker delivers it again to the next run.
      if (this.stopped) return new Promise<void>(() => undefined);
      const r = this.handle(topic, payload, now);
      if (r.ok || r.code !== 'unavailable') return;
    }
  }

  /**
   * Names beyond the per-device cap, or null when all fit (then they are
   * remembered): each name is a field in InfluxDB and a key in memory.
   */
  private newMetricNames(id: string, readings: { values: Record<string, number> }[]): string[] | null {
    let names = this.metricNames.get(id);
    if (!names) this.metricNames.set(id, (names = new Set(Object.keys(this.latest.get(id)?.values ?? {}))));
    let fresh: string[] | null = null;
    for (const r of readings) for (const k in r.values) if (!names.has(k) && !fresh?.includes(k)) (fresh ??= []).push(k);
    // Nearly always: every name known already, nothing made for it.
    if (!fresh) return null;
    if (names.size + fresh.length > MAX_METRICS_PER_DEVICE) return fresh;
    for (const k of fresh) names.add(k);
    return null;
  }

  private remember(id: string, values: Record<string, number>, at: number): void {
    const prev = this.latest.get(id);
    if (!prev) {
      this.latest.set(id, { values: { ...values }, at });
      return;
    }
    if (prev.at > at) return; // an older reading from a buffered batch
    // In place: one entry per device for its life, not one per reading.
    for (const k in values) prev.values[k] = values[k]!;
    prev.at = at;
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
}
