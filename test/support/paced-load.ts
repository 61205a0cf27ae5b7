/**
 * A paced QoS 1 load from several real MQTT connections: `rate` messages a
 * second in all, spread over the connections, every message made by `message(n)`
 * (n = 0, 1, 2 … in publish order). Counts the PUBACKs the broker sends back:
 * what the devices were told is safe.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { uniqueName } from './services.js';

export interface PacedLoadOptions {
  url: string;
  connections: number;
  /** Messages per second, all connections together. */
  rate: number;
  durationMs: number;
  message: (n: number) => { topic: string; payload: string };
}

export interface PacedLoad {
  readonly sent: number;
  readonly acked: number;
  readonly failed: number;
  /** Resolves once every message is published and answered (acknowledged or failed), connections closed. */
  done: Promise<void>;
}

/** Publishing runs in ticks of this length. */
const TICK_MS = 10;

export async function startPacedLoad(o: PacedLoadOptions): Promise<PacedLoad> {
  const clients: MqttClient[] = await Promise.all(
    Array.from({ length: o.connections }, () => mqtt.connectAsync(o.url, { clientId: uniqueName('load'), clean: true, reconnectPeriod: 500 })),
  );
  const total = Math.round((o.rate * o.durationMs) / 1000);
  const state = { sent: 0, acked: 0, failed: 0 };
  const started = Date.now();
  const done = new Promise<void>((resolve) => {
    const answered = () => {
      if (state.sent === total && state.acked + state.failed === total) {
        void Promise.all(clients.map((c) => c.endAsync())).then(() => resolve());
      }
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((Date.now() - started) * o.rate) / 1000));
      while (state.sent < due) {
        const n = state.sent++;
        const m = o.message(n);
        clients[n % clients.length]!.publish(m.topic, m.payload, { qos: 1 }, (err) => {
          if (err) state.failed++;
          else state.acked++;
          answered();
        });
      }
      if (state.sent < total) setTimeout(tick, TICK_MS);
    };
    tick();
  });
  return {
    get sent() {
      return state.sent;
    },
    get acked() {
      return state.acked;
    },
    get failed() {
      return state.failed;
    },
    done,
  };
}
