import mqtt, { type MqttClient } from 'mqtt';
import { DEVICE_TOPIC_FILTER } from '@lifeline/core';
import { logger } from '@lifeline/core/node';

const log = logger('mqtt-source');

export interface MqttSourceOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Shared-subscription group, so several ingest workers split the load. */
  shareGroup?: string;
  /**
   * Called for every message; must not throw (errors are caught and logged).
   * Returns null when the message may be acknowledged now, or a promise that
   * holds the ack (and, since mqtt.js takes a client's packets one at a time,
   * the stream: the broker keeps the rest) until it resolves.
   */
  onMessage: (topic: string, payload: Buffer) => Promise<void> | null | void;
  /**
   * Called once after the messages of one turn of the event loop, before
   * their acknowledgements leave the process: makes them durable (one write
   * for the lot). Throws when they could not be kept: then their acks are
   * dropped with the connection, and the broker delivers them again.
   */
  onBatchEnd?: () => void;
}

/**
 * The ingest subscription: a persistent QoS 1 session (clean: false, fixed client
 * id), so the broker keeps messages while ingest restarts. The consumer says when a
 * message may be acknowledged; a held ack pushes back on the broker instead of growing memory.
 */
export class MqttSource {
  private client: MqttClient | null = null;
  connected = false;
  lastError: string | null = null;
  received = 0;
  private batchStream: MqttClient['stream'] | null = null;

  constructor(private readonly opts: MqttSourceOptions) {}

  get topic(): string {
    return this.opts.shareGroup ? `$share/${this.opts.shareGroup}/${DEVICE_TOPIC_FILTER}` : DEVICE_TOPIC_FILTER;
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.clientId,
      clean: false,
      username: this.opts.username || undefined,
      password: this.opts.password || undefined,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
      // mqtt.js's own `debug` logging only at LOG_LEVEL=trace: it is called ~15 times a packet, building its arguments each time.
      log: log.isLevelEnabled('trace') ? undefined : () => undefined,
    });
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.received++;
      this.beginBatch(client);
      let wait: Promise<void> | null | void = null;
      try {
        wait = this.opts.onMessage(packet.topic, packet.payload as Buffer);
      } catch (err) {
        log.error({ err, topic: packet.topic }, 'message handler failed');
      }
      if (!wait) {
        done();
        return;
      }
      // An ack held past our own stop is never sent: the broker delivers the message again to the next session.
      const ack = () => {
        if (this.client === client) done();
      };
      void wait.then(ack, ack);
    };
    client.on('connect', (ack) => {
      this.connected = true;
      this.lastError = null;
      log.info({ url: this.opts.url, sessionPresent: ack.sessionPresent }, 'connected to broker');
      // Subscribing again on a present session is harmless and covers a broker that lost it.
      client.subscribe(this.topic, { qos: 1 }, (err) => {
        if (err) log.error({ err }, `could not subscribe to ${this.topic}`);
      });
    });
    client.on('close', () => {
      // Our own stop closes the connection too: only an unplanned close is worth a warning.
      if (this.connected && this.client === client) log.warn({ url: this.opts.url }, 'broker connection closed; reconnecting');
      this.connected = false;
    });
    client.on('error', (err) => {
      this.lastError = err.message;
      log.error({ err: err.message, url: this.opts.url }, 'broker error');
    });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`cannot connect to broker ${this.opts.url}: ${this.lastError ?? 'timed out'}`)), 15_000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * The messages parsed in this turn of the event loop are one batch: the
   * socket is corked, so their PUBACKs queue in the process (one writev for
   * all of them, not one per message) and leave only after `onBatchEnd` has
   * made the batch durable. A kill before that sends none of them.
   */
  private beginBatch(client: MqttClient): void {
    if (this.batchStream) return;
    const stream = client.stream;
    stream.cork();
    this.batchStream = stream;
    setImmediate(() => this.endBatch(stream));
  }

  private endBatch(stream: MqttClient['stream']): void {
    if (this.batchStream === stream) this.batchStream = null;
    try {
      this.opts.onBatchEnd?.();
    } catch (err) {
      log.error({ err }, 'could not keep the last messages; dropping the connection so the broker delivers them again');
      stream.destroy();
      return;
    }
    stream.uncork();
  }

  /** Disconnects without ending the session: the broker keeps queueing for us. */
  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync();
    this.connected = false;
  }
}
