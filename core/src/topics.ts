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

export function parseTopic(topic: string): ParsedTopic {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) {
    return { ok: false, reason: `topic is not ${TOPIC_ROOT}/{tenant}/{device}/{channel}` };
  }
  const [, , tenant, device, channel] = parts as [string, string, string, string, string];
  if (!tenant || !device) return { ok: false, reason: 'topic has an empty tenant or device' };
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    return { ok: false, reason: `unknown channel "${channel}" (expected ${CHANNELS.join(', ')})` };
  }
  return { ok: true, tenant, device, channel: channel as Channel };
}
