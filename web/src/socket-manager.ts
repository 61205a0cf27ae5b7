/**
 * The one Socket.IO connection of the dashboard. Device patches are merged by
 * id and delivered on the screen's beat (screen-beat.ts); alerts are delivered as they come
 * (they are rare and each matters). After a reconnect the owner is told to
 * resync, since events sent while disconnected are lost. The session cookie
 * goes with the handshake (same origin); a socket the server refuses as
 * 'unauthorized' is reported, and stays down until `resume()` after a login.
 */
import { io, type Socket } from 'socket.io-client';
import type { Alert, ClientToServerEvents, DevicePatch, ServerToClientEvents } from '@lifeline/core';
import { onNextBeat } from './screen-beat.js';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

export interface SocketHandlers {
  onAlert(alert: Alert): void;
  onDevicePatches(patches: DevicePatch[]): void;
  onConnection(state: ConnectionState): void;
  /** Called on every connect after the first: refetch what may have been missed. */
  onResync(): void;
  /** The server refused the socket for want of a valid session (connect_error 'unauthorized'). */
  onUnauthorized(): void;
}

/** The `connect_error` message of a handshake without a valid session. */
export const UNAUTHORIZED = 'unauthorized';

const RECONNECT_DELAY_MS = 1_000;
const RECONNECT_DELAY_MAX_MS = 10_000;

export class SocketManager {
  private socket: Socket<ServerToClientEvents, ClientToServerEvents> | null = null;
  private pending = new Map<string, DevicePatch>();
  private connects = 0;
  private retryTimer = 0;
  private paused = false;

  constructor(private readonly handlers: SocketHandlers) {}

  start(): void {
    if (this.socket) return;
    this.handlers.onConnection('connecting');
    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
    });
    this.socket = socket;
    socket.on('connect', () => {
      this.connects += 1;
      this.handlers.onConnection('connected');
      if (this.connects > 1) this.safe('resync', () => this.handlers.onResync());
    });
    socket.on('disconnect', (reason) => {
      this.handlers.onConnection('disconnected');
      // A server shutting down gracefully disconnects us itself, and Socket.IO
      // does not retry after that: a 24-hour screen must, or it stays dark.
      if (reason === 'io server disconnect' && !this.paused) {
        this.retryTimer = window.setTimeout(() => this.socket?.connect(), RECONNECT_DELAY_MS);
      }
    });
    socket.on('connect_error', (err) => {
      this.handlers.onConnection('disconnected');
      // Refused by the server's auth middleware: Socket.IO does not retry that by itself, and must not until a login.
      if (err?.message === UNAUTHORIZED) this.safe('unauthorized', () => this.handlers.onUnauthorized());
    });
    socket.on('alert', (alert) => {
      if (!alert || typeof alert.id !== 'string') return;
      this.safe('alert', () => this.handlers.onAlert(alert));
    });
    socket.on('devices', (patches) => {
      if (!Array.isArray(patches)) return;
      for (const p of patches) {
        if (!p || typeof p.id !== 'string') continue;
        // Later patches of a device win; fields a patch omits keep the earlier value.
        const prev = this.pending.get(p.id);
        this.pending.set(p.id, prev ? { ...prev, ...p } : p);
      }
      onNextBeat(this.flushJob);
    });
  }

  /** Whether a connection was ever made (later ones resync by themselves). */
  get connectedBefore(): boolean {
    return this.connects > 0;
  }

  /** The session is gone: disconnect, and stay so until `resume()`. */
  pause(): void {
    this.paused = true;
    clearTimeout(this.retryTimer);
    this.socket?.disconnect();
  }

  /** After a login: connect again (also a socket the server refused, which Socket.IO leaves down). */
  resume(): void {
    this.paused = false;
    if (this.socket && !this.socket.connected) this.socket.connect();
  }

  stop(): void {
    clearTimeout(this.retryTimer);
    this.pending.clear();
    this.socket?.close();
    this.socket = null;
  }

  private readonly flushJob = () => this.flush();

  private flush(): void {
    if (!this.pending.size) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.safe('devices', () => this.handlers.onDevicePatches(batch));
  }

  /** A failing listener must not break the socket's own dispatch. */
  private safe(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      console.error(`socket ${what} handler failed`, err);
    }
  }
}
