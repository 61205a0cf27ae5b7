import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, so default paths work from any working directory. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

type Parser<T> = (raw: string, name: string) => T;

interface Key<T> {
  env: string;
  doc: string;
  default: T;
  parse: Parser<T>;
}

export class ConfigError extends Error {}

const int =
  (min: number, max: number): Parser<number> =>
  (raw, name) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
    }
    return n;
  };

const url =
  (protocols: string[]): Parser<string> =>
  (raw, name) => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new ConfigError(`${name} must be a URL, got "${raw}"`);
    }
    if (!protocols.includes(u.protocol)) {
      throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got "${u.protocol}"`);
    }
    return raw.replace(/\/+$/, '');
  };

const optionalUrl =
  (protocols: string[]): Parser<string | null> =>
  (raw, name) =>
    raw === '' ? null : url(protocols)(raw, name);

const text: Parser<string> = (raw) => raw;
const optionalText: Parser<string | null> = (raw) => (raw === '' ? null : raw);
const bool: Parser<boolean> = (raw, name) => {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), got "${raw}"`);
};
const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw, name) => {
    if (!(values as string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
    return raw as T;
  };
const file: Parser<string> = (raw) => path.resolve(raw);
const timeZone: Parser<string> = (raw, name) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw });
  } catch {
    throw new ConfigError(`${name} must be an IANA time zone such as Asia/Shanghai, got "${raw}"`);
  }
  return raw;
};

/** `red=5,orange=15,…`: minutes per level; fractions allowed (`red=0.5`). */
const minutesPerLevel: Parser<Record<'red' | 'orange' | 'yellow' | 'blue', number>> = (raw, name) => {
  const out: Record<string, number> = { red: 5, orange: 15, yellow: 60, blue: 240 };
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [level, value] = part.split('=').map((x) => x.trim());
    const n = Number(value);
    if (!level || !(level in out) || !Number.isFinite(n) || n <= 0) {
      throw new ConfigError(`${name} must look like "red=5,orange=15,yellow=60,blue=240" (minutes), got "${raw}"`);
    }
    out[level] = n;
  }
  return out as Record<'red' | 'orange' | 'yellow' | 'blue', number>;
};

/** Minutes, fractions allowed (tests use seconds' worth). */
const positiveMinutes: Parser<number> = (raw, name) => {
  const n = Number(raw);
  if (raw === '' || !Number.isFinite(n) || n <= 0 || n > 100_000) throw new ConfigError(`${name} must be a number of minutes above 0, got "${raw}"`);
  return n;
};

/** Every setting: its env var, what it does and its default. Only this module reads process.env. */
export const CONFIG_KEYS = {
  port: { env: 'PORT', doc: 'HTTP port of the dashboard and API', default: 8080, parse: int(0, 65535) },
  host: { env: 'HOST', doc: 'Address the HTTP server binds', default: '0.0.0.0', parse: text },
  mqttUrl: {
    env: 'MQTT_URL',
    doc: 'Broker to use (mqtt://host:port). Unset: run an embedded Aedes broker',
    default: null,
    parse: optionalUrl(['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
  },
  mqttHost: {
    env: 'MQTT_HOST',
    doc: 'Address the embedded broker binds (only without MQTT_URL); 0.0.0.0 lets devices on the network in',
    default: '127.0.0.1',
    parse: text,
  },
  mqttPort: { env: 'MQTT_PORT', doc: 'Port of the embedded broker (only without MQTT_URL)', default: 1883, parse: int(0, 65535) },
  mqttUsername: { env: 'MQTT_USERNAME', doc: 'Username of the ingest client', default: '', parse: text },
  mqttPassword: { env: 'MQTT_PASSWORD', doc: 'Password of the ingest client', default: '', parse: text },
  mqttClientId: {
    env: 'MQTT_CLIENT_ID',
    doc: 'Client id of the ingest session (persistent: the broker queues for it while ingest restarts)',
    default: 'lifeline-ingest',
    parse: text,
  },
  mqttMaxPacketBytes: {
    env: 'MQTT_MAX_PACKET_BYTES',
    doc: 'Largest MQTT packet a device may send to the embedded broker (Mosquitto: max_packet_size in its config)',
    default: 65_536,
    parse: int(1024, 16 * 1024 * 1024),
  },
  mosquittoAuthDir: {
    env: 'MOSQUITTO_AUTH_DIR',
    doc: 'Directory where the Mosquitto password and ACL files are written from the store (unset: not written)',
    default: null,
    parse: optionalText,
  },
  mosquittoPidFile: {
    env: 'MOSQUITTO_PID_FILE',
    doc: 'Pid file of the Mosquitto to send SIGHUP after its password and ACL files change (unset: none)',
    default: null,
    parse: optionalText,
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    doc: 'PostgreSQL of record for users, sessions, credentials and the audit log (postgres://user:password@host:port/db)',
    default: null,
    parse: optionalUrl(['postgres:', 'postgresql:']),
  },
  demo: {
    env: 'LIFELINE_DEMO',
    doc: 'Demo mode: allows the published change-me secrets of env.example (never in production)',
    default: false,
    parse: bool,
  },
  sessionIdleMinutes: {
    env: 'SESSION_IDLE_MINUTES',
    doc: 'A login ends after this many minutes without a request (a 12-hour duty shift by default)',
    default: 720,
    parse: positiveMinutes,
  },
  loginFailuresPerMinute: {
    env: 'LOGIN_FAILURES_PER_MINUTE',
    doc: 'Failed logins allowed per address and per username in a minute; the next answer is 429',
    default: 10,
    parse: int(1, 10_000),
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    doc: 'Hops of reverse proxy to trust for the client address (X-Forwarded-For); 0 behind none',
    default: 0,
    parse: int(0, 10),
  },
  influxUrl: { env: 'INFLUX_URL', doc: 'InfluxDB v1 HTTP API', default: 'http://127.0.0.1:8086', parse: url(['http:', 'https:']) },
  influxDb: { env: 'INFLUX_DB', doc: 'InfluxDB database (created if missing)', default: 'lifeline', parse: text },
  influxUsername: { env: 'INFLUX_USERNAME', doc: 'InfluxDB user, if auth is on', default: '', parse: text },
  influxPassword: { env: 'INFLUX_PASSWORD', doc: 'InfluxDB password, if auth is on', default: '', parse: text },
  registryPath: {
    env: 'REGISTRY_PATH',
    doc: 'Device registry JSON file',
    default: path.join(REPO_ROOT, 'data/qingxin-registry.json'),
    parse: file,
  },
  dataDir: {
    env: 'DATA_DIR',
    doc: 'Where rule state, the notification outbox, silences and the spool are kept across restarts',
    default: path.join(REPO_ROOT, '.run/data'),
    parse: file,
  },
  rulesPath: {
    env: 'RULES_PATH',
    doc: 'Rules file (validated at start-up, reloaded when it changes)',
    default: path.join(REPO_ROOT, 'data/rules.json'),
    parse: file,
  },
  escalationMinutes: {
    env: 'ESCALATION_MINUTES',
    doc: 'Minutes an alert may stay unacknowledged, per level, before it escalates',
    default: { red: 5, orange: 15, yellow: 60, blue: 240 },
    parse: minutesPerLevel,
  },
  dispatchOverdueMinutes: {
    env: 'DISPATCH_OVERDUE_MINUTES',
    doc: 'Minutes a dispatched alert may stay unresolved before it escalates',
    default: 120,
    parse: positiveMinutes,
  },
  hazardEscalationRepeatMinutes: {
    env: 'HAZARD_ESCALATION_REPEAT_MINUTES',
    doc: 'Minutes between escalations (督办) of a hazard past its rectification deadline and not signed off',
    default: 24 * 60,
    parse: int(1, 365 * 24 * 60),
  },
  hazardCheckSeconds: {
    env: 'HAZARD_CHECK_SECONDS',
    doc: 'Seconds between checks for hazards past their deadline (each check reads only the hazards due, by an index)',
    default: 60,
    parse: int(1, 3600),
  },
  publicUrl: {
    env: 'PUBLIC_URL',
    doc: 'Address of the dashboard as people reach it, for links in notifications',
    default: 'http://localhost:8080',
    parse: url(['http:', 'https:']),
  },
  notifyWebhookUrl: {
    env: 'NOTIFY_WEBHOOK_URL',
    doc: 'Generic JSON webhook for notifications (unset: none)',
    default: null,
    parse: optionalUrl(['http:', 'https:']),
  },
  notifyWecomUrl: {
    env: 'NOTIFY_WECOM_URL',
    doc: 'WeCom (企业微信) group-robot webhook (unset: none)',
    default: null,
    parse: optionalUrl(['http:', 'https:']),
  },
  notifyDingtalkUrl: {
    env: 'NOTIFY_DINGTALK_URL',
    doc: 'DingTalk (钉钉) group-robot webhook (unset: none)',
    default: null,
    parse: optionalUrl(['http:', 'https:']),
  },
  webDist: { env: 'WEB_DIST', doc: 'Built dashboard to serve', default: path.join(REPO_ROOT, 'web/dist'), parse: file },
  writeBatchSize: { env: 'WRITE_BATCH_SIZE', doc: 'Lines per InfluxDB write', default: 5000, parse: int(1, 100_000) },
  writeFlushMs: { env: 'WRITE_FLUSH_MS', doc: 'Longest a line waits before it is written', default: 250, parse: int(10, 60_000) },
  writeBufferMax: {
    env: 'WRITE_BUFFER_MAX',
    doc: 'Lines held in memory for InfluxDB while it is slow or down; beyond it they wait in the spool on disk and are read back as it catches up',
    default: 500_000,
    parse: int(1000, 10_000_000),
  },
  spoolFsyncMs: {
    env: 'SPOOL_FSYNC_MS',
    doc: "How often the spool (write-ahead log of acknowledged messages) is fsync'd: a power cut loses at most this window; 0 fsyncs every message before it is acknowledged",
    default: 100,
    parse: int(0, 60_000),
  },
  spoolMaxBytes: {
    env: 'SPOOL_MAX_BYTES',
    doc: 'Bytes the spool may hold on disk while InfluxDB is behind or down; when full, ingest holds its acknowledgements and the broker keeps the messages',
    default: 2 * 1024 ** 3,
    parse: int(1024 * 1024, 2 ** 50),
  },
  spoolSegmentBytes: {
    env: 'SPOOL_SEGMENT_BYTES',
    doc: 'Size of one spool segment file; a segment is deleted once every message in it is written (at most a quarter of SPOOL_MAX_BYTES is used)',
    default: 16 * 1024 * 1024,
    parse: int(64 * 1024, 1024 ** 3),
  },
  writeConcurrency: { env: 'WRITE_CONCURRENCY', doc: 'Concurrent write requests to InfluxDB', default: 2, parse: int(1, 16) },
  deadLetterMax: { env: 'DEAD_LETTER_MAX', doc: 'Rejected messages kept for operators to see', default: 1000, parse: int(10, 1_000_000) },
  alertLogDays: {
    env: 'ALERT_LOG_DAYS',
    doc: 'How far back the alert log is read to rebuild open alerts at start-up',
    default: 90,
    parse: int(1, 3650),
  },
  alertSnapshotSeconds: {
    env: 'ALERT_SNAPSHOT_SECONDS',
    doc: 'How often the active alerts are written to DATA_DIR/alerts.snapshot (and at stop), so a start reads only the alert log after it; 0: never, the whole log is read',
    default: 30,
    parse: int(0, 86_400),
  },
  latestSnapshotSeconds: {
    env: 'LATEST_SNAPSHOT_SECONDS',
    doc: "How often every device's latest values are written to DATA_DIR/latest.snapshot (and at stop), so a start reads only the telemetry after it; 0: never, the last day is read",
    default: 60,
    parse: int(0, 86_400),
  },
  reportDailyHour: {
    env: 'REPORT_DAILY_HOUR',
    doc: 'Hour of the day (0–23, in REPORT_TIMEZONE) when the daily report (日报) of the day before is made; weekly ones on Mondays, monthly on the 1st, at the same hour',
    default: 8,
    parse: int(0, 23),
  },
  reportTimeZone: {
    env: 'REPORT_TIMEZONE',
    doc: 'Time zone of the reports: their days, weeks and months, and the times they show (an IANA name)',
    default: 'Asia/Shanghai',
    parse: timeZone,
  },
  reportsSchedule: {
    env: 'REPORTS_SCHEDULE',
    doc: 'Make the reports on their own at REPORT_DAILY_HOUR (0: only on request and from `npm run reports`)',
    default: true,
    parse: bool,
  },
  logLevel: {
    env: 'LOG_LEVEL',
    doc: 'pino log level',
    default: 'info' as const,
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  },
} satisfies Record<string, Key<unknown>>;

type Keys = typeof CONFIG_KEYS;
export type Config = { [K in keyof Keys]: Keys[K]['default'] extends null ? string | null : ReturnType<Keys[K]['parse']> };

/** The placeholder of env.example: refused outside the demo. */
export const DEFAULT_SECRET_MARK = 'change-me';

/** Reads and validates every setting; throws a ConfigError naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, Key<unknown>][]) {
    const raw = env[spec.env];
    out[key] = raw === undefined ? spec.default : spec.parse(raw.trim(), spec.env);
  }
  const config = { ...(out as Config), ...overrides };
  if (!config.demo) refuseDefaultSecrets(config);
  return config;
}

/** Every secret-bearing setting, so none ships with the published placeholder. */
function refuseDefaultSecrets(c: Config): void {
  const secrets: [string, string | null][] = [
    ['MQTT_PASSWORD', c.mqttPassword],
    ['INFLUX_PASSWORD', c.influxPassword],
    ['DATABASE_URL', c.databaseUrl],
    ['INFLUX_URL', c.influxUrl],
    ['MQTT_URL', c.mqttUrl],
  ];
  for (const [name, value] of secrets) {
    if (value && value.toLowerCase().includes(DEFAULT_SECRET_MARK)) {
      throw new ConfigError(`${name} holds the placeholder secret "${DEFAULT_SECRET_MARK}": set a real one (only LIFELINE_DEMO=1 accepts it)`);
    }
  }
}
