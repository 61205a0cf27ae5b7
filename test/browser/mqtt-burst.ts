/** Many devices' readings at once over one MQTT connection, as a burst after an outage would bring them. */
import mqtt from 'mqtt';
import { deviceTopic } from '@lifeline/core';
import { uniqueName } from '../support/services.js';
import { sleep } from '../support/wait.js';

export interface BurstMessage {
  device: { id: string; tenant: string };
  payload: string;
}

/** Publishes `messages` (QoS 1) spread evenly over about `overMs`, in slices of `slice`. */
export async function publishBurst(mqttUrl: string, messages: BurstMessage[], overMs: number, slice = 250): Promise<void> {
  const client = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('burst') });
  try {
    const slices = Math.max(1, Math.ceil(messages.length / slice));
    const pause = overMs / slices;
    for (let i = 0; i < messages.length; i += slice) {
      const started = Date.now();
      await Promise.all(
        messages.slice(i, i + slice).map((m) => client.publishAsync(deviceTopic(m.device.tenant, m.device.id, 'telemetry'), m.payload, { qos: 1 })),
      );
      await sleep(Math.max(0, pause - (Date.now() - started)));
    }
  } finally {
    await client.endAsync();
  }
}
