/** MQTT topic contract: lifeline/v1/{tenant}/{device}/{channel}. */
export const TOPIC_ROOT = 'lifeline/v1';
export const CHANNELS = ['telemetry', 'event', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Subscription that covers every device topic. */
export const DEVICE_TOPIC_FILTER = `${TOPIC_ROOT}/+/+/+`;

export function deviceTopic(tenant: string, device: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${tenant}/${device}/${channel}`;
}

export type ParsedTopic = { ok: true; tenant: string; device: string; channel: Channel } | { ok: false; reason: string };

const TOPIC_PREFIX = `${TOPIC_ROOT}/`;
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);

/** Runs for every message: found by indexOf rather than split, which allocates an array and a joined root per call. */
export function parseTopic(topic: string): ParsedTopic {
  const a = TOPIC_PREFIX.length;
  const b = topic.startsWith(TOPIC_PREFIX) ? topic.indexOf('/', a) : -1;
  const c = b < 0 ? -1 : topic.indexOf('/', b + 1);
  if (c < 0 || topic.indexOf('/', c + 1) >= 0) {
    return { ok: false, reason: `topic is not ${TOPIC_ROOT}/{tenant}/{device}/{channel}` };
  }
  const tenant = topic.slice(a, b);
  const device = topic.slice(b + 1, c);
  const channel = topic.slice(c + 1);
  if (!tenant || !device) return { ok: false, reason: 'topic has an empty tenant or device' };
  if (!CHANNEL_SET.has(channel)) {
    return { ok: false, reason: `unknown channel "${channel}" (expected ${CHANNELS.join(', ')})` };
  }
  return { ok: true, tenant, device, channel: channel as Channel };
}
