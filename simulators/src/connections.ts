/**
 * The simulator's MQTT connections: opened a bounded number at a time so
 * thousands of devices connect smoothly, each reconnecting on its own, and a
 * connection the broker refuses (bad username or password, not authorized)
 * reported once and left closed while the others go on.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { logger } from '@lifeline/core/node';
import type { PlannedConnection } from './connection-plan.js';

const log = logger('sim-connections');
const noLog = (): void => undefined;

/** Connections being opened at once. */
export const CONNECT_CONCURRENCY = 50;
/** Reconnect delay; each connection adds up to as much again at random, so a broker restart is not met by every device at once. */
const RECONNECT_MS = 2000;
/**
 * CONNACK codes that no retry will change (MQTT 3.1.1 and 5): identifier
 * rejected, bad username or password, not authorized, client id not valid,
 * banned, bad authentication method. Others (server unavailable, busy) are retried.
 */
const REFUSALS = new Set([2, 4, 5, 133, 134, 135, 138, 140]);

export type LinkState = 'idle' | 'connecting' | 'up' | 'down' | 'refused' | 'closed';

export interface Link {
  readonly plan: PlannedConnection;
  /** Indexes of the simulator's slots (devices) that publish through it. */
  readonly slots: number[];
  client: MqttClient | null;
  state: LinkState;
  /** Why the broker refused it, or why the last attempt failed. */
  reason: string | null;
  /** Messages published through it and not yet acknowledged. */
  inFlight: number;
}

export interface LinkCounts {
  total: number;
  up: number;
  refused: number;
}

export interface ConnectionsOptions {
  url: string;
  /** The URL as it may be printed. */
  shownUrl: string;
  connectTimeoutMs: number;
  concurrency?: number;
  /** Every time a link comes up, the first time and after each reconnect. */
  onUp(link: Link, first: boolean): void;
  /** Once per link the broker refuses, with the broker's reason. */
  onRefused(link: Link, reason: string): void;
}

/** Nothing came up: the broker is unreachable, or refused every credential. */
export class ConnectError extends Error {}

export class Connections {
  readonly links: Link[];
  private up = 0;
  private refused = 0;
  private closing = false;
  /** First attempts still waiting for an outcome: a close settles them, so a start in progress ends at once. */
  private readonly pending = new Set<() => void>();

  constructor(
    plans: readonly PlannedConnection[],
    slotsOf: (plan: PlannedConnection) => number[],
    private readonly opts: ConnectionsOptions,
  ) {
    this.links = plans.map((plan) => ({ plan, slots: slotsOf(plan), client: null, state: 'idle', reason: null, inFlight: 0 }));
  }

  counts(): LinkCounts {
    return { total: this.links.length, up: this.up, refused: this.refused };
  }

  /**
   * Opens every link, `concurrency` at a time, and resolves once each has
   * come up, been refused or failed its first attempt (a failed one goes on
   * retrying). Rejects when none came up, or when the first batch all failed
   * to reach the broker: then it is the broker, not the credentials.
   */
  async open(): Promise<void> {
    const width = Math.max(1, Math.min(this.opts.concurrency ?? CONNECT_CONCURRENCY, this.links.length));
    let next = 0;
    let failed = 0;
    let firstFailure: Link | null = null;
    let patient = false;
    const unreachable = (): boolean => !patient && this.up === 0 && this.refused === 0 && failed >= width;
    const worker = async (): Promise<void> => {
      while (next < this.links.length && !this.closing && !unreachable()) {
        const link = this.links[next++]!;
        if ((await this.attempt(link)) === 'failed') {
          failed++;
          firstFailure ??= link;
        }
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
    // A late success among the first batch: the broker is there after all, so open the rest.
    if (next < this.links.length && this.up > 0 && !this.closing) {
      patient = true;
      await Promise.all(Array.from({ length: width }, worker));
    }
    if (this.up > 0 || this.closing) return;
    const first = firstFailure as Link | null;
    if (this.refused === 0 && first) {
      throw new ConnectError(`cannot connect to the MQTT broker at ${this.opts.shownUrl} as "${first.plan.name}": ${first.reason}`);
    }
    const refusedOne = this.links.find((l) => l.state === 'refused');
    throw new ConnectError(
      `the MQTT broker at ${this.opts.shownUrl} refused ${this.refused === this.links.length ? 'every connection' : `${this.refused} connections and no other came up`}` +
        (refusedOne ? ` (e.g. "${refusedOne.plan.name}": ${refusedOne.reason})` : ''),
    );
  }

  /** One link's first attempt; afterwards it lives on its own. */
  private attempt(link: Link): Promise<'up' | 'refused' | 'failed'> {
    const p = link.plan;
    const client = mqtt.connect(this.opts.url, {
      clientId: p.clientId,
      ...(p.username !== undefined ? { username: p.username } : {}),
      ...(p.password !== undefined ? { password: p.password } : {}),
      ...(p.will ? { will: p.will } : {}),
      clean: true,
      reconnectPeriod: Math.round(RECONNECT_MS * (1 + Math.random())),
      // A refusal is judged here: a permanent one ends the client, a passing one (server busy) is retried.
      reconnectOnConnackError: true,
      connectTimeout: this.opts.connectTimeoutMs,
      queueQoSZero: false,
      // mqtt.js's debug logging costs a tenth of a publish even when off: the load mode publishes tens of thousands a second.
      log: noLog,
      // Keepalive pings on their own period, not re-armed at every publish (a timer reset per message).
      reschedulePings: false,
    });
    link.client = client;
    link.state = 'connecting';
    let first = true;
    let settle: ((r: 'up' | 'refused' | 'failed') => void) | null = null;
    const settled = new Promise<'up' | 'refused' | 'failed'>((resolve) => (settle = resolve));
    const done = (r: 'up' | 'refused' | 'failed'): void => {
      clearTimeout(timer);
      this.pending.delete(cancel);
      settle?.(r);
      settle = null;
    };
    const cancel = (): void => done('failed');
    this.pending.add(cancel);
    const timer = setTimeout(() => {
      link.reason = `no answer within ${this.opts.connectTimeoutMs / 1000} s`;
      done('failed');
    }, this.opts.connectTimeoutMs);

    client.on('connect', () => {
      if (this.closing) return;
      if (link.state !== 'up') this.up++;
      link.state = 'up';
      link.reason = null;
      const wasFirst = first;
      first = false;
      if (!wasFirst) log.debug({ connection: p.name }, 'MQTT reconnected');
      try {
        this.opts.onUp(link, wasFirst);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'onUp listener failed');
      }
      done('up');
    });
    const lost = (): void => {
      if (link.state === 'up') this.up--;
      if (link.state === 'up' || link.state === 'connecting') {
        link.state = 'down';
        log.debug({ connection: p.name }, 'MQTT connection lost; reconnecting');
      }
    };
    client.on('close', lost);
    client.on('error', (err: Error & { code?: unknown }) => {
      if (this.closing) return;
      if (typeof err.code === 'number' && REFUSALS.has(err.code)) {
        lost();
        link.state = 'refused';
        link.reason = err.message.replace(/^Connection refused: /, '');
        this.refused++;
        // Ended here, before mqtt.js's reconnect: a refused credential must not knock every 2 s.
        client.end(true);
        try {
          this.opts.onRefused(link, link.reason);
        } catch (e) {
          log.warn({ err: (e as Error).message }, 'onRefused listener failed');
        }
        done('refused');
        return;
      }
      link.reason = err.message;
      log.debug({ connection: p.name, err: err.message }, 'MQTT error');
      done('failed');
    });
    return settled;
  }

  /**
   * Closes every link at once: a clean DISCONNECT (so no last will) where the
   * link is up and the broker has acknowledged what was sent, a dropped socket
   * otherwise, and after `graceMs` a dropped socket whatever the broker does:
   * stop must be prompt even when the broker has stalled. A grace of 0 drops
   * every socket at once (the broker is known to be behind: a goodbye would
   * wait behind everything it has not read yet).
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const cancel of [...this.pending]) cancel();
    const ends = this.links.map((l) => {
      const c = l.client;
      l.state = 'closed';
      if (!c) return Promise.resolve();
      // mqtt.js's clean end waits for every unacknowledged message: for ever, if the broker stalled.
      const force = graceMs <= 0 || !c.connected || Object.keys(c.outgoing).length > 0;
      return c.endAsync(force).catch(() => undefined);
    });
    const all = Promise.all(ends);
    if ((await within(all, graceMs)) === 'late') {
      log.warn({ waitedMs: graceMs }, 'broker did not take the goodbyes in time; dropping the connections');
      for (const l of this.links) l.client?.stream?.destroy();
      await within(all, graceMs);
    }
    this.up = 0;
  }
}

/** Resolves with `work`'s outcome, or 'late' after `ms`. */
export async function within(work: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([work.then(() => 'done' as const), late]);
  clearTimeout(timer);
  return r;
}
