import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Alert, ClientToServerEvents, DevicePatch, ServerToClientEvents } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { AlertChange } from './alerts/alert-manager.js';
import { readCookie, SESSION_COOKIE, tenantScope } from './auth/http-auth.js';
import { isSameOrigin } from './auth/security-headers.js';
import type { DeviceViews } from './device-views.js';
import type { SessionStore, User } from './store/types.js';

const log = logger('socket-hub');

/** Plain repeats of an alert reach clients at most this often. */
const ALERT_REPEAT_MS = 1000;
/** Device patches are batched over this window: alerts and throttled state only, never raw telemetry. */
const DEVICE_PATCH_MS = 1000;
/** Larger batches are split so one event stays small. */
const MAX_PATCHES_PER_EVENT = 500;
/** How often open sockets' sessions are checked again (a session ended elsewhere, a disabled user). */
const SESSION_RECHECK_MS = 60_000;
/** Every city-wide role's sockets share this room; an enterprise's join `tenant:<id>`. */
const STAFF_ROOM = 'staff';
const tenantRoom = (tenant: string) => `tenant:${tenant}`;
const sessionRoom = (id: string) => `session:${id}`;
const userRoom = (id: string) => `user:${id}`;

interface SocketData {
  user: User;
  sessionId: string;
  token: string;
}
type HubSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface SocketHubOptions {
  sessions: SessionStore;
  idleMs: number;
  /** The tenant of a device, so its patches reach only that tenant's room and the staff. */
  tenantOf: (deviceId: string) => string | undefined;
}

/**
 * Socket.IO fan-out to logged-in dashboards: every alert change, throttled
 * device state — each only to the sockets that may see it. A socket needs the
 * session cookie of a live session and, from a browser, our own Origin.
 */
export class SocketHub {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  private readonly pendingAlerts = new Map<string, Alert>();
  private readonly dirtyDevices = new Set<string>();
  private timers: NodeJS.Timeout[] = [];

  constructor(
    http: HttpServer,
    private readonly views: DeviceViews,
    private readonly opts: SocketHubOptions,
  ) {
    this.io = new Server(http, { serveClient: false, cors: { origin: false } });
    this.io.use((socket, next) => {
      this.admit(socket).then(
        (reason) => (reason ? next(new Error(reason)) : next()),
        (err: unknown) => {
          log.error({ err }, 'could not check a socket session');
          next(new Error('unavailable'));
        },
      );
    });
    this.io.on('connection', (socket) => {
      const { user, sessionId } = socket.data;
      const t = tenantScope(user);
      void socket.join([t === null ? STAFF_ROOM : tenantRoom(t), sessionRoom(sessionId), userRoom(user.id)]);
      log.debug({ id: socket.id, user: user.username }, 'dashboard connected');
    });
  }

  start(): void {
    this.timers = [
      setInterval(() => this.flushAlerts(), ALERT_REPEAT_MS),
      setInterval(() => this.flushDevices(), DEVICE_PATCH_MS),
      setInterval(() => void this.recheckSessions(), SESSION_RECHECK_MS),
    ];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }

  /** Closes the sockets of a session that ended (logout). */
  endSession(sessionId: string): void {
    this.io.in(sessionRoom(sessionId)).disconnectSockets(true);
  }

  /** Closes every socket of a user (disabled, password reset). */
  endUser(userId: string): void {
    this.io.in(userRoom(userId)).disconnectSockets(true);
  }

  alertChanged(change: AlertChange): void {
    this.dirtyDevices.add(change.alert.device);
    if (change.important) {
      this.pendingAlerts.delete(change.alert.id);
      this.emitAlert(change.alert);
    } else {
      this.pendingAlerts.set(change.alert.id, change.alert);
    }
  }

  deviceChanged(id: string): void {
    this.dirtyDevices.add(id);
  }

  /** Why a socket may not connect, or null when it may. */
  private async admit(socket: HubSocket): Promise<string | null> {
    const headers = socket.handshake.headers;
    // Browsers always send Origin; a page of another site must not ride our cookie.
    if (headers.origin && !isSameOrigin(headers.origin, headers.host)) {
      log.warn({ origin: headers.origin }, 'socket from a foreign origin refused');
      return 'forbidden origin';
    }
    const token = readCookie(headers.cookie, SESSION_COOKIE);
    const found = token ? await this.opts.sessions.resolve(token, this.opts.idleMs) : undefined;
    if (!found || !token) return 'unauthorized';
    socket.data = { user: found.user, sessionId: found.session.id, token };
    return null;
  }

  private emitAlert(a: Alert): void {
    this.io
      .to(STAFF_ROOM)
      .to(tenantRoom(a.tenant))
      .emit('alert', { ...a });
  }

  private flushAlerts(): void {
    for (const a of this.pendingAlerts.values()) this.emitAlert(a);
    this.pendingAlerts.clear();
  }

  private flushDevices(): void {
    if (this.dirtyDevices.size === 0) return;
    const rooms = this.io.sockets.adapter.rooms;
    const staff = rooms.has(STAFF_ROOM);
    const all: DevicePatch[] = [];
    const byTenant = new Map<string, DevicePatch[]>();
    for (const id of this.dirtyDevices) {
      const tenant = this.opts.tenantOf(id);
      const room = tenant === undefined ? undefined : tenantRoom(tenant);
      const wanted = room !== undefined && rooms.has(room);
      if (!staff && !wanted) continue;
      const p = this.views.patch(id);
      if (!p) continue;
      if (staff) all.push(p);
      if (wanted) (byTenant.get(room!) ?? byTenant.set(room!, []).get(room!)!).push(p);
    }
    this.dirtyDevices.clear();
    this.emitPatches(STAFF_ROOM, all);
    for (const [room, patches] of byTenant) this.emitPatches(room, patches);
  }

  private emitPatches(room: string, patches: DevicePatch[]): void {
    for (let i = 0; i < patches.length; i += MAX_PATCHES_PER_EVENT) this.io.to(room).emit('devices', patches.slice(i, i + MAX_PATCHES_PER_EVENT));
  }

  /** Sessions ended or expired while their sockets stayed open lose them. */
  private async recheckSessions(): Promise<void> {
    const bySession = new Map<string, HubSocket[]>();
    for (const s of this.io.sockets.sockets.values()) {
      const list = bySession.get(s.data.sessionId);
      if (list) list.push(s);
      else bySession.set(s.data.sessionId, [s]);
    }
    for (const sockets of bySession.values()) {
      try {
        const found = await this.opts.sessions.resolve(sockets[0]!.data.token, this.opts.idleMs);
        if (!found) for (const s of sockets) s.disconnect(true);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'could not re-check a socket session');
        return;
      }
    }
  }
}
