import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { logger } from '@lifeline/core/node';

const log = logger('broker');

/**
 * The embedded Aedes broker for demos and small sites (no MQTT_URL set). It
 * keeps persistent sessions in memory only; production uses Mosquitto.
 */
export class EmbeddedBroker {
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly wantedPort: number,
  ) {}

  get url(): string {
    const h = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `mqtt://${h}:${this.port}`;
  }

  get running(): boolean {
    return this.server?.listening ?? false;
  }

  async start(): Promise<void> {
    const aedes = await Aedes.createBroker({ queueLimit: 10_000 });
    this.aedes = aedes;
    aedes.on('clientError', (client, err) => log.debug({ client: client.id, err: err.message }, 'client error'));
    const server = createServer(aedes.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE' ? `MQTT_PORT ${this.wantedPort} is already in use (set MQTT_PORT, or MQTT_URL to use that broker)` : err.message)),
      );
      server.listen(this.wantedPort, this.host, () => resolve());
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.wantedPort;
    log.info({ url: this.url }, 'embedded MQTT broker (Aedes) listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    this.server = null;
    this.aedes = null;
    if (aedes) await new Promise<void>((r) => aedes.close(() => r()));
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
