import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Alert, ClientToServerEvents, DevicePatch, ServerToClientEvents } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { AlertChange } from './alerts/alert-manager.js';
import type { DeviceViews } from './device-views.js';

const log = logger('socket-hub');

/** Plain repeats of an alert reach clients at most this often. */
const ALERT_REPEAT_MS = 1000;
/** Device patches are batched over this window: alerts and throttled state only, never raw telemetry. */
const DEVICE_PATCH_MS = 1000;
/** Larger batches are split so one event stays small. */
const MAX_PATCHES_PER_EVENT = 500;

/** Socket.IO fan-out to dashboards: every alert change, throttled device state. */
export class SocketHub {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents>;
  private readonly pendingAlerts = new Map<string, Alert>();
  private readonly dirtyDevices = new Set<string>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    http: HttpServer,
    private readonly views: DeviceViews,
  ) {
    this.io = new Server(http, { serveClient: false, cors: { origin: false } });
    this.io.on('connection', (socket) => {
      log.debug({ id: socket.id }, 'dashboard connected');
    });
  }

  start(): void {
    this.timers = [setInterval(() => this.flushAlerts(), ALERT_REPEAT_MS), setInterval(() => this.flushDevices(), DEVICE_PATCH_MS)];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }

  alertChanged(change: AlertChange): void {
    this.dirtyDevices.add(change.alert.device);
    if (change.important) {
      this.pendingAlerts.delete(change.alert.id);
      this.io.emit('alert', { ...change.alert });
    } else {
      this.pendingAlerts.set(change.alert.id, change.alert);
    }
  }

  deviceChanged(id: string): void {
    this.dirtyDevices.add(id);
  }

  private flushAlerts(): void {
    for (const a of this.pendingAlerts.values()) this.io.emit('alert', { ...a });
    this.pendingAlerts.clear();
  }

  private flushDevices(): void {
    if (this.dirtyDevices.size === 0) return;
    const patches: DevicePatch[] = [];
    for (const id of this.dirtyDevices) {
      const p = this.views.patch(id);
      if (p) patches.push(p);
    }
    this.dirtyDevices.clear();
    for (let i = 0; i < patches.length; i += MAX_PATCHES_PER_EVENT) this.io.emit('devices', patches.slice(i, i + MAX_PATCHES_PER_EVENT));
  }
}
