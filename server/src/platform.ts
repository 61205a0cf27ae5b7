import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import compression from 'compression';
import express from 'express';
import { REPORT_MAX_ROWS, type Health, type SpoolBacklog } from '@lifeline/core';
import {
  ensureDatabase,
  influxWrite,
  ConfigError,
  discardSnapshot,
  loadConfig,
  loadRegistry,
  logger,
  pingInflux,
  setLogLevel,
  Spool,
  SpooledWriter,
  StartPhases,
  type Config,
  type InfluxTarget,
  type InfluxWriter,
  type LoadedRegistry,
} from '@lifeline/core/node';
import { Ingest } from '@lifeline/ingest';
import { AlertManager, type AlertChange } from './alerts/alert-manager.js';
import { InfluxAlertLog, readTimeline } from './alerts/alert-log.js';
import { ALERT_SNAPSHOT_FILE, alertSnapshots, loadActiveAlerts } from './alerts/alert-snapshot.js';
import { LATEST_SNAPSHOT_FILE, latestSnapshots, restoreLatestValues } from './latest-values.js';
import { SilenceStore } from './alerts/silences.js';
import { HazardEscalation } from './hazards/hazard-escalation.js';
import { HazardRegister } from './hazards/hazard-register.js';
import { hazardRouter } from './api/hazard-routes.js';
import { shiftRouter } from './api/shift-routes.js';
import { Notifier } from './notify/notifier.js';
import { Outbox } from './notify/outbox.js';
import { apiRouter } from './api/routes.js';
import { adminRouter } from './api/admin-routes.js';
import { authRouter } from './api/auth-routes.js';
import { ingestRouter } from './api/ingest-routes.js';
import { AuditTrail } from './auth/audit-trail.js';
import { sessionAuth } from './auth/http-auth.js';
import { LoginLimiter } from './auth/login-limiter.js';
import { noStore, sameOriginWrites, securityHeaders } from './auth/security-headers.js';
import { HttpError } from './api/http-errors.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/types.js';
import { errorHandler } from './api/http-errors.js';
import { EmbeddedBroker } from './broker.js';
import { syncMosquittoFiles } from './auth/broker-auth.js';
import { DeviceAuthenticator } from './auth/device-auth.js';
import { ingestUsername } from './auth/accounts.js';
import { DeviceViews } from './device-views.js';
import { HistoryReader } from './history.js';
import { SocketHub } from './socket-hub.js';
import { statLines } from './stats/alert-stat-line.js';
import { computeStats } from './stats/stats-query.js';
import { DailyRollup } from './stats/daily-rollup.js';
import { statsRouter } from './api/stats-routes.js';
import { reportRouter } from './api/report-routes.js';
import { ReportService } from './reports/report-service.js';

const log = logger('platform');

export interface Platform {
  config: Config;
  httpUrl: string;
  mqttUrl: string;
  ingest: Ingest;
  alerts: AlertManager;
  writer: InfluxWriter;
  notifier: Notifier;
  outbox: Outbox;
  silences: SilenceStore;
  store: Store;
  /** 督办 of hazards past their deadline (tests run `check()` rather than wait for the timer). */
  hazardEscalation: HazardEscalation;
  /** 日报/周报/月报: made at the hour, on request, kept and sent. */
  reports: ReportService;
  /** The daily statistics rollups (alert_stat_1d, alert_offline_1d): hourly; tests `run()` it. */
  rollup: DailyRollup;
  /** What the ingest and alert-log spools hold that InfluxDB does not have yet. */
  backlog(): { ingest: SpoolBacklog; alerts: SpoolBacklog };
  stop(): Promise<void>;
}

/** How long start-up waits for InfluxDB before giving up with a clear error; also for the alert log's replay. */
const INFLUX_WAIT_MS = 30_000;
/** Start-up waits this long for the ingest spool's replay before reading the latest values back from InfluxDB. */
const REPLAY_WAIT_MS = 10_000;
/** At stop, InfluxDB gets this long to take what is in memory; the rest stays in the spool for the next start. */
const STOP_WRITE_MS = 5_000;
/** Health stays degraded this long after InfluxDB last refused points for its cardinality limits (a configuration error). */
const CARDINALITY_DEGRADED_MS = 10 * 60_000;
/** A timeline is read from InfluxDB after the alert log's pending lines are written, or this long. */
const TIMELINE_WAIT_MS = 2_000;

/**
 * Starts every stage in one process: embedded broker (without MQTT_URL), ingest
 * with its rules, the alert manager rebuilt from its log, the API, Socket.IO and
 * the dashboard. Stages stop in reverse order, flushing what they hold. Lines
 * and alert changes go through spools under DATA_DIR/spool (write-ahead logs),
 * replayed to InfluxDB at start-up: the alert log's before the alerts are
 * rebuilt from it, ingest's before the broker is connected.
 */
export async function startPlatform(overrides: Partial<Config> = {}, clock: PlatformClock = {}): Promise<Platform> {
  const phases = new StartPhases();
  const config = loadConfig(undefined, overrides);
  setLogLevel(config.logLevel);
  if (!config.databaseUrl) {
    throw new ConfigError(
      'DATABASE_URL is not set: Lifeline keeps users, sessions, credentials and the audit log in PostgreSQL (scripts/services.sh start --pg-port N prints one)',
    );
  }
  const registry = loadRegistry(config.registryPath);
  phases.end('registry');
  const store = await openStore(config.databaseUrl);
  phases.end('store');
  const influx: InfluxTarget = { url: config.influxUrl, db: config.influxDb, username: config.influxUsername, password: config.influxPassword };
  await waitForInflux(influx);
  await ensureDatabase(influx);
  phases.end('influx');

  mkdirSync(config.dataDir, { recursive: true });
  const spoolOf = (name: string) =>
    Spool.open(path.join(config.dataDir, 'spool', name), {
      fsyncMs: config.spoolFsyncMs,
      maxBytes: config.spoolMaxBytes,
      segmentBytes: config.spoolSegmentBytes,
      name,
    });
  const writerOpts = { ...influx, maxBuffered: config.writeBufferMax, concurrency: config.writeConcurrency };
  const lines = new SpooledWriter(spoolOf('ingest'), { ...writerOpts, batchSize: config.writeBatchSize, flushMs: config.writeFlushMs, name: 'ingest' });
  let alertLines: SpooledWriter;
  try {
    alertLines = new SpooledWriter(spoolOf('alerts'), { ...writerOpts, batchSize: 1000, flushMs: 50, concurrency: 1, name: 'alerts' });
  } catch (err) {
    await lines.close(0);
    throw err;
  }
  try {
    phases.end('spools');
    return await startStages({ config, registry, store, influx, lines, alertLines, now: clock.now ?? Date.now, phases });
  } catch (err) {
    await Promise.all([lines.close(0), alertLines.close(0)]);
    throw err;
  }
}

/** The clock of the alert lifecycle (raised, acknowledged, resolved times; the alert log's): tests set it rather than sleep. */
export interface PlatformClock {
  now?: () => number;
}

interface Foundations {
  now: () => number;
  config: Config;
  registry: LoadedRegistry;
  store: Store;
  influx: InfluxTarget;
  /** The ingest spool and its writer. */
  lines: SpooledWriter;
  /** The alert log's spool and its writer. */
  alertLines: SpooledWriter;
  phases: StartPhases;
}

/** Everything after the spools are open; a failure here closes them (so their lock is let go). */
async function startStages({ config, registry, store, influx, lines, alertLines, now, phases }: Foundations): Promise<Platform> {
  const writer = lines.writer;
  // What the last run left: written before anything reads InfluxDB back.
  alertLines.start();
  lines.start();
  if (!(await alertLines.settled(INFLUX_WAIT_MS))) {
    throw new Error(
      `the alert log spool holds ${alertLines.backlog().records} alert changes that InfluxDB did not take in ${INFLUX_WAIT_MS / 1000} s (${alertLines.writer.stats.lastError ?? 'no answer'}): not starting without them`,
    );
  }
  phases.end('alert-spool-replay');
  const outbox = new Outbox(path.join(config.dataDir, 'outbox.jsonl'));
  const notifier = new Notifier({
    outbox,
    publicUrl: config.publicUrl,
    targets: { webhook: config.notifyWebhookUrl, wecom: config.notifyWecomUrl, dingtalk: config.notifyDingtalkUrl },
  });
  const silences = new SilenceStore(path.join(config.dataDir, 'silences.json'));

  let hub: SocketHub | null = null;
  const lookup = (id: string) => registry.byId.get(id);
  // Each listener isolated: a failing one never keeps the others from the change.
  const listeners: ((c: AlertChange) => void)[] = [(c) => hub?.alertChanged(c), (c) => notifier.onAlertChange(c)];
  // A raised or resolved alert's statistics points ride in the same spool record as its log entry.
  const statLookups = { device: lookup, tenant: (id: string) => registry.tenantsById.get(id) };
  const alertLog = new InfluxAlertLog(alertLines, (e, ts) => statLines(e.alert, e.action, ts, statLookups), now);
  const alerts = new AlertManager({
    lookup,
    log: alertLog,
    now,
    escalation: { minutes: config.escalationMinutes, dispatchOverdueMinutes: config.dispatchOverdueMinutes },
    silences,
    onChange: (c) => {
      for (const l of listeners) {
        try {
          l(c);
        } catch (err) {
          log.error({ err, action: c.action }, 'alert listener failed');
        }
      }
    },
  });
  // Deadlines come from the restored alerts' own times, so escalation resumes on schedule after a restart.
  const alertFile = snapshotFile(config.dataDir, ALERT_SNAPSHOT_FILE, config.alertSnapshotSeconds);
  const restored = await loadActiveAlerts({ influx, days: config.alertLogDays, file: alertFile, now });
  alerts.restore(restored.alerts);
  alertLog.continueAfter(restored.mark);
  const alertSnapshot =
    alertFile === null ? null : alertSnapshots({ file: alertFile, influx, everyMs: config.alertSnapshotSeconds * 1000, alerts, log: alertLog });
  phases.end(`alerts-from-${restored.from}`);
  notifier.start();

  // The ingest identity: on the embedded broker a secret made for this run; on Mosquitto, MQTT_USERNAME/MQTT_PASSWORD.
  const ingestIdentity = {
    username: ingestUsername(config),
    secret: config.mqttUrl ? config.mqttPassword : randomBytes(24).toString('base64url'),
    clientId: config.mqttClientId,
  };
  let broker: EmbeddedBroker | null = null;
  let deviceAuth: DeviceAuthenticator | null = null;
  if (!config.mqttUrl) {
    const auth = (deviceAuth = new DeviceAuthenticator(store.credentials, ingestIdentity, { maxPayloadBytes: config.mqttMaxPacketBytes }));
    await auth.load();
    broker = new EmbeddedBroker({ host: config.mqttHost, port: config.mqttPort, auth, maxPacketBytes: config.mqttMaxPacketBytes });
    await broker.start();
  }
  const mqttUrl = config.mqttUrl ?? broker!.url;
  /** Mosquitto's password and ACL files follow the store, when MOSQUITTO_AUTH_DIR is set. */
  const syncBrokerAuth = async () => {
    // The embedded broker's cache reloads at once: a rotated secret stops working now, not at the next refresh.
    await deviceAuth?.load().catch((err) => log.error({ err }, 'could not reload device credentials'));
    if (!config.mosquittoAuthDir) return;
    try {
      await syncMosquittoFiles(store.credentials, {
        dir: config.mosquittoAuthDir,
        pidFile: config.mosquittoPidFile,
        ingestUsername: ingestIdentity.username,
        ingestPassword: config.mqttPassword,
      });
    } catch (err) {
      log.error({ err, dir: config.mosquittoAuthDir }, 'could not write the Mosquitto password and ACL files');
    }
  };
  await syncBrokerAuth();
  phases.end('broker');

  const ingest = new Ingest({
    mqtt: { url: mqttUrl, clientId: config.mqttClientId, username: ingestIdentity.username, password: ingestIdentity.secret },
    registry,
    writer: lines,
    deadLetterMax: config.deadLetterMax,
    onSignal: (s) => alerts.onSignal(s),
    onDeviceChange: (id) => hub?.deviceChanged(id),
    rules: { path: config.rulesPath, stateDir: config.dataDir, influx },
  });
  phases.end('ingest');
  // After the alert log's read-back, not beside it: at city size the two at once (with a replay) outlast InfluxDB's query timeout.
  if (!(await lines.settled(REPLAY_WAIT_MS)))
    log.warn({ backlog: lines.backlog() }, 'spool replay still running; latest values are read back without the rest of it');
  phases.end('ingest-spool-replay');
  const latestFile = snapshotFile(config.dataDir, LATEST_SNAPSHOT_FILE, config.latestSnapshotSeconds);
  const latest = await restoreLatestValues(ingest, { influx, file: latestFile });
  const latestSnapshot = latestFile === null ? null : latestSnapshots({ file: latestFile, influx, everyMs: config.latestSnapshotSeconds * 1000, ingest });
  phases.end(`latest-from-${latest.from}`);

  const views = new DeviceViews(registry.byId, ingest, alerts);
  const history = new HistoryReader(config.influxUrl, config.influxDb, config.influxUsername, config.influxPassword);
  const started = Date.now();
  const backlog = () => ({ ingest: lines.backlog(), alerts: alertLines.backlog() });
  const health = async (): Promise<Health> => {
    const ping = await pingInflux(influx);
    const brokerOk = ingest.source.connected && (broker ? broker.running : true);
    // InfluxDB answering but refusing new series (max-values-per-tag …): up, yet the city's newest devices are not stored.
    const refusing =
      writer.stats.cardinalityError && Date.now() - writer.stats.cardinalityError.at < CARDINALITY_DEGRADED_MS ? writer.stats.cardinalityError : null;
    const influxOk = ping.ok && !refusing;
    const influxDetail = refusing
      ? `refusing new series (${writer.stats.refusedCardinality} points dead-lettered): ${refusing.message.slice(0, 200)}`
      : writer.stats.lastError && !writer.healthy
        ? writer.stats.lastError
        : ping.detail;
    return {
      // A full spool holds acknowledgements: ingest is not taking messages.
      status: influxOk && brokerOk && !lines.full ? 'ok' : 'degraded',
      broker: { ok: brokerOk, url: mqttUrl, embedded: broker !== null, detail: ingest.source.lastError ?? undefined },
      influx: { ok: influxOk, url: config.influxUrl, detail: influxDetail },
      backlog: backlog(),
      uptimeS: Math.round((Date.now() - started) / 1000),
    };
  };

  const idleMs = config.sessionIdleMinutes * 60_000;
  const tls = config.publicUrl.startsWith('https:');
  const audit = new AuditTrail(store.audit);
  const hazards = new HazardRegister(store.hazards, registry, config.reportTimeZone);
  const hazardEscalation = new HazardEscalation({
    hazards: store.hazards,
    audit,
    notify: (h) => notifier.enqueueHazard(h),
    repeatMs: config.hazardEscalationRepeatMinutes * 60_000,
    checkMs: config.hazardCheckSeconds * 1000,
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders(tls));
  // Every JSON answer of meaningful size goes compressed (the device list of a city is megabytes).
  app.use(compression({ threshold: 1024 }));
  app.use('/api', noStore, sameOriginWrites(), sessionAuth(store.sessions, idleMs));
  app.use('/api/ingest', ingestRouter({ apiKeys: store.apiKeys, ingest, registry }));
  // JSON bodies for every other route (HTTP ingest above reads its body raw, to dead-letter it as sent).
  app.use('/api', express.json({ limit: '16kb' }));
  app.use(
    '/api',
    authRouter({
      store,
      audit,
      limiter: new LoginLimiter(config.loginFailuresPerMinute),
      idleMs,
      secureCookies: tls,
      onSessionEnded: (id) => hub?.endSession(id),
    }),
  );
  app.use(
    '/api',
    adminRouter({
      store,
      registry,
      audit,
      onUserSessionsEnded: (id) => hub?.endUser(id),
      onCredentialsChanged: syncBrokerAuth,
    }),
  );
  app.use(
    '/api',
    apiRouter({
      registry,
      ingest,
      alerts,
      views,
      history,
      health,
      writerStats: () => ({ ...writer.stats }),
      backlog,
      timeline: async (id) => {
        await alertLog.written(TIMELINE_WAIT_MS);
        return readTimeline(influx, id, config.alertLogDays);
      },
      notifications: {
        list: (limit) => outbox.list(limit),
        get stats() {
          return outbox.stats;
        },
      },
      silences,
      audit,
      auditLog: store.audit,
      hazards,
    }),
  );
  app.use('/api', hazardRouter({ register: hazards, audit }), shiftRouter({ shifts: store.shifts, hazards: store.hazards, alerts, audit }));
  const escalationLimits = { minutes: config.escalationMinutes, dispatchOverdueMinutes: config.dispatchOverdueMinutes };
  const stats = async (q: Parameters<typeof computeStats>[1]) => {
    await alertLog.written(TIMELINE_WAIT_MS);
    return computeStats(
      {
        influx,
        registry,
        // Every open alert (counted, not listed: a mass event's 100,000 count too).
        openAlerts: () => alerts.list({ state: 'open', limit: Number.MAX_SAFE_INTEGER }),
        limits: escalationLimits,
        now,
        rollup: true,
        shifts: (f, t) => store.shifts.inPeriod(f, t),
      },
      q,
    );
  };
  // Derived from alert_stat and made again when missing: not spooled. Written directly, not through the busy ingest writer: the weekly rollups read the daily ones back.
  const rollup = new DailyRollup({ influx, write: (ls) => influxWrite(influx, ls), now });
  app.use('/api', statsRouter({ stats, now }));
  const reports = new ReportService({
    store: store.reports,
    sources: {
      district: registry.district.name,
      stats,
      openAlerts: () => alerts.list({ state: 'open', limit: Number.MAX_SAFE_INTEGER }),
      overdueHazards: async (at) => {
        const r = await store.hazards.list({ state: 'overdue', limit: REPORT_MAX_ROWS }, at);
        return { total: r.total, items: r.items };
      },
      shifts: (from, to) => store.shifts.inPeriod(from, to),
    },
    notify: (entry, content) => notifier.enqueueReport(entry, content),
    timeZone: config.reportTimeZone,
    dailyHour: config.reportDailyHour,
    schedule: config.reportsSchedule,
    now,
  });
  app.use('/api', reportRouter({ store: store.reports, service: reports, audit, timeZone: config.reportTimeZone }));
  app.use('/api', (req) => {
    throw new HttpError(404, `no such API route: ${req.method} ${req.originalUrl.split('?')[0]}`);
  });
  if (existsSync(path.join(config.webDist, 'index.html'))) {
    app.use(express.static(config.webDist, { index: 'index.html', maxAge: '1h' }));
  } else {
    log.warn({ webDist: config.webDist }, 'dashboard not built (npm run build): serving the API only');
  }
  app.use(errorHandler);

  phases.end('api');
  const http: HttpServer = createServer(app);
  hub = new SocketHub(http, views, { sessions: store.sessions, idleMs, tenantOf: (id) => registry.byId.get(id)?.tenant });
  hub.start();
  await new Promise<void>((resolve, reject) => {
    http.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `PORT ${config.port} is already in use (set PORT)` : err.message)),
    );
    http.listen(config.port, config.host, () => resolve());
  });
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const httpUrl = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;

  phases.end('listen');
  await ingest.start();
  phases.end('ingest-start');
  alerts.start();
  hazardEscalation.start();
  reports.start();
  rollup.start();
  alertSnapshot?.start();
  latestSnapshot?.start();
  phases.end('timers');
  log.info({ httpUrl, mqttUrl, influx: config.influxUrl, db: config.influxDb, devices: registry.byId.size }, 'Lifeline is up');
  phases.report(log, 'start-up phases');

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await ingest.stop().catch((err) => log.error({ err }, 'ingest stop failed'));
      alerts.stop();
      await hazardEscalation.stop();
      await reports.stop();
      await rollup.stop();
      await hub!.stop();
      // close() waits for every connection to end; a browser's keep-alive connection would hold it, so end them now.
      const closed = new Promise<void>((r) => http.close(() => r()));
      http.closeAllConnections();
      await closed;
      if (broker) await broker.stop();
      await notifier.stop().catch((err) => log.error({ err }, 'outbox close failed'));
      // Nothing changes alerts or latest values any more: the next start reads these and only what the spools add.
      await alertSnapshot?.stop();
      await latestSnapshot?.stop();
      // Bounded even with InfluxDB down: what it does not take in time stays in the spools (and the log says so).
      await Promise.all([lines.close(STOP_WRITE_MS), alertLines.close(STOP_WRITE_MS)]).catch((err) => log.error({ err }, 'spool close failed'));
      await store.close().catch((err) => log.error({ err }, 'store close failed'));
      log.info('Lifeline stopped');
    })());

  return { config, httpUrl, mqttUrl, ingest, alerts, writer, notifier, outbox, silences, store, hazardEscalation, reports, rollup, backlog, stop };
}

/**
 * The file of a snapshot written every `seconds`, or null when they are off
 * (0): then an old one is removed, so that a later start with them on does not
 * take it for the last word on what came after.
 */
function snapshotFile(dir: string, name: string, seconds: number): string | null {
  const file = path.join(dir, name);
  if (seconds) return file;
  discardSnapshot(file);
  return null;
}

async function waitForInflux(t: InfluxTarget): Promise<void> {
  const until = Date.now() + INFLUX_WAIT_MS;
  for (;;) {
    const p = await pingInflux(t);
    if (p.ok) return;
    if (Date.now() > until) throw new Error(`InfluxDB is not answering at ${t.url} (INFLUX_URL): ${p.detail}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
