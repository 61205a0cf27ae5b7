import { createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { logger } from '@lifeline/core/node';
import type { DeviceAuthenticator, Principal } from './auth/device-auth.js';

const log = logger('broker');

/** Refusals are logged at debug one by one, and as one warning with counts at most this often. */
const REFUSAL_SUMMARY_MS = 10_000;
/** Refusals quoted in a summary, so it shows what is going on without growing with the flood. */
const REFUSAL_EXAMPLES = 5;
/** Packets Aedes holds for a client before its CONNECT is authenticated, bounded in bytes with the packet cap. */
const PRE_CONNECT_QUEUE_BYTES = 8 * 1024 * 1024;

export interface EmbeddedBrokerOptions {
  /** Address to bind (MQTT_HOST); 0.0.0.0 lets devices on the network in. */
  host: string;
  /** Port (MQTT_PORT); 0 picks a free one. */
  port: number;
  /** Who may connect, publish and subscribe. */
  auth: DeviceAuthenticator;
  /** Largest MQTT packet accepted, headers included (MQTT_MAX_PACKET_BYTES); a client sending a larger one is disconnected. */
  maxPacketBytes: number;
}

type Will = { topic: string; payload: Buffer | string; retain?: boolean };

/**
 * The embedded Aedes broker for demos and small sites (no MQTT_URL set). It
 * keeps persistent sessions in memory only; production uses Mosquitto.
 * Device credentials are enforced as the generated Mosquitto files do
 * (auth/device-auth.ts): anonymous and wrong pairs get a refusing CONNACK, a
 * publish outside the credential's topics closes the connection (MQTT 3.1.1
 * §3.3.5 allows that or a silent drop; Mosquitto drops), a refused
 * subscription gets the SUBACK failure 0x80, and a packet over the cap closes
 * the connection before it is buffered, as Mosquitto's max_packet_size does.
 */
export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private readonly principals = new WeakMap<Client, Principal>();
  /** Connected devices and gateways by username (= client id), to cut off a revoked credential. */
  private readonly sessions = new Map<string, Client>();
  /** CONNECT's will, from preConnect to authenticate (Aedes passes only the username and password there). */
  private readonly wills = new WeakMap<Client, Will | null>();
  private readonly refusals = new RefusalLog();
  port = 0;

  constructor(private readonly opts: EmbeddedBrokerOptions) {
    // As Mosquitto does on SIGHUP: a disabled, rotated or changed credential's connection ends.
    opts.auth.onRevoke((usernames) => {
      for (const u of usernames) {
        const client = this.sessions.get(u);
        if (!client) continue;
        this.sessions.delete(u);
        log.info({ client: u }, 'credential disabled or changed: disconnecting its client');
        client.close();
      }
    });
  }

  get url(): string {
    const h = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    return `mqtt://${h}:${this.port}`;
  }

  get running(): boolean {
    return this.server?.listening ?? false;
  }

  async start(): Promise<void> {
    const { auth, maxPacketBytes } = this.opts;
    try {
      await auth.load();
    } catch (err) {
      // Devices get CONNACK "server unavailable" until the store answers; ingest's identity does not need it.
      log.warn({ err: (err as Error).message }, 'device credentials not loaded yet; device connects are refused until the store answers');
    }
    const aedes = await Aedes.createBroker({
      queueLimit: Math.max(42, Math.floor(PRE_CONNECT_QUEUE_BYTES / maxPacketBytes)),
      preConnect: (client, packet, done) => {
        this.wills.set(client, packet.will ?? null);
        done(null, true);
      },
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        const p = client ? this.principals.get(client) : undefined;
        const d = p
          ? auth.mayPublish(p, packet.topic, packet.retain, Buffer.byteLength(packet.payload))
          : { ok: false as const, reason: 'no authenticated client' };
        if (d.ok) return done(null);
        this.refusals.note('publish', `${packet.topic}: ${d.reason}`, client);
        done(new Error(d.reason));
      },
      authorizeSubscribe: (client, sub, done) => {
        const p = this.principals.get(client);
        const d = p ? auth.maySubscribe(p, sub.topic) : { ok: false as const, reason: 'no authenticated client' };
        if (d.ok) return done(null, sub);
        this.refusals.note('subscribe', `${sub.topic}: ${d.reason}`, client);
        done(null, null); // a negated subscription: SUBACK 0x80, the connection stays
      },
    });
    this.aedes = aedes;
    aedes.on('clientDisconnect', (client) => {
      if (this.sessions.get(client.id) === client) this.sessions.delete(client.id);
    });
    auth.watch();
    aedes.on('clientError', (client, err) => log.debug({ client: client.id, err: err.message }, 'client error'));
    const server = createServer((socket) => {
      const conn = new FrameGuard(socket, maxPacketBytes, (bytes) => {
        const what = Number.isFinite(bytes) ? `a packet of ${bytes} bytes` : 'a malformed packet length';
        this.refusals.note('packet', `${what} exceeds the ${maxPacketBytes}-byte cap; disconnected`, (conn as FrameGuard & { client?: Client }).client ?? null);
      });
      aedes.handle(conn);
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(err.code === 'EADDRINUSE' ? `MQTT_PORT ${this.opts.port} is already in use (set MQTT_PORT, or MQTT_URL to use that broker)` : err.message),
        ),
      );
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.refusals.start();
    log.info({ url: this.url, maxPacketBytes }, 'embedded MQTT broker (Aedes) listening; device credentials enforced');
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    this.refusals.stop();
    this.opts.auth.unwatch();
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: (err: AuthenticateError | null, ok: boolean | null) => void,
  ): void {
    const will = this.wills.get(client) ?? null;
    this.wills.delete(client);
    const refuse = (code: number, reason: string) => {
      this.refusals.note('connect', reason, client, undefined, username);
      done(Object.assign(new Error(reason), { returnCode: code }) as AuthenticateError, null);
    };
    this.opts.auth.check(username, password, client.id).then(
      (r) => {
        if (!r.ok) return refuse(r.code, r.reason);
        if (will) {
          const d = this.opts.auth.mayPublish(r.principal, will.topic, will.retain ?? false, Buffer.byteLength(will.payload));
          if (!d.ok) return refuse(5, `last will on ${will.topic}: ${d.reason}`);
        }
        this.principals.set(client, r.principal);
        if (r.principal.kind !== 'ingest') this.sessions.set(r.principal.username, client);
        done(null, true);
      },
      (err: Error) => refuse(3, `authentication failed: ${err.message}`),
    );
  }
}

/**
 * Sits between the socket and Aedes and reads only MQTT fixed headers: a
 * packet whose declared length exceeds the cap closes the connection before
 * its body is buffered (mqtt-packet's parser has no size limit and would
 * collect up to 256 MB). The bytes themselves pass through untouched.
 */
class FrameGuard extends Duplex {
  /** Body bytes of the current packet still to pass. */
  private need = 0;
  private inLength = false;
  private length = 0;
  private lengthBytes = 0;
  readonly remoteAddress: string | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly max: number,
    private readonly onOversize: (bytes: number) => void,
  ) {
    super({ allowHalfOpen: false });
    this.remoteAddress = socket.remoteAddress;
    socket.on('data', (chunk: Buffer) => {
      const over = this.scan(chunk);
      if (over !== null) {
        this.onOversize(over);
        this.destroy();
      } else if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  /** The size of the first packet over the cap (Infinity for a malformed length), or null. */
  private scan(b: Buffer): number | null {
    let i = 0;
    while (i < b.length) {
      if (this.need > 0) {
        const n = Math.min(this.need, b.length - i);
        this.need -= n;
        i += n;
      } else if (!this.inLength) {
        i++; // the packet type and flags
        this.inLength = true;
        this.length = 0;
        this.lengthBytes = 0;
      } else {
        const byte = b[i++]!;
        this.length += (byte & 0x7f) * 128 ** this.lengthBytes++;
        if (byte & 0x80) {
          if (this.lengthBytes === 4) return Infinity;
          continue;
        }
        const total = 1 + this.lengthBytes + this.length;
        if (total > this.max) return total;
        this.need = this.length;
        this.inLength = false;
      }
    }
    return null;
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.socket.write(chunk, encoding)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], cb: (err?: Error | null) => void): void {
    this.socket.cork();
    let ok = true;
    for (const c of chunks) ok = this.socket.write(c.chunk, c.encoding);
    this.socket.uncork();
    if (ok) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

type Refused = 'connect' | 'publish' | 'subscribe' | 'packet';
const clip = (s: string | undefined, n = 120) => (s && s.length > n ? `${s.slice(0, n)}…` : s);

/** Refusals: one debug line each (built only when debug is on), a warning with counts every REFUSAL_SUMMARY_MS at most. */
class RefusalLog {
  private counts: Record<Refused, number> = { connect: 0, publish: 0, subscribe: 0, packet: 0 };
  private total = 0;
  private examples: object[] = [];
  private timer: NodeJS.Timeout | null = null;

  note(what: Refused, reason: string, client: Client | null, address?: string, username?: string): void {
    const addr = address ?? (client?.conn as { remoteAddress?: string } | undefined)?.remoteAddress;
    const event = () => ({ what, reason: clip(reason, 300), client: clip(client?.id ?? undefined), username: clip(username), address: addr });
    if (log.isLevelEnabled('debug')) log.debug(event(), 'MQTT request refused');
    this.counts[what]++;
    this.total++;
    if (this.examples.length < REFUSAL_EXAMPLES) this.examples.push(event());
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), REFUSAL_SUMMARY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }

  private flush(): void {
    if (this.total === 0) return;
    log.warn({ refused: this.counts, examples: this.examples }, `refused ${this.total} MQTT requests in the last ${REFUSAL_SUMMARY_MS / 1000} s`);
    this.counts = { connect: 0, publish: 0, subscribe: 0, packet: 0 };
    this.total = 0;
    this.examples = [];
  }
}
