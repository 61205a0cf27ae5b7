/**
 * The relational store of record (PostgreSQL): users, sessions, device and
 * gateway credentials, API keys and the audit log. Routes, the CLI, the
 * brokers and tests program against these interfaces; `open-store.ts` gives
 * the PostgreSQL implementation.
 */
import type { AuditEntry, AuditQuery, Role } from '@lifeline/core';
import type { HazardStore, ShiftStore } from './register-types.js';
import type { ReportStore } from './reports.js';

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** Set for tenant-scoped roles (enterprise), null otherwise. */
  tenant: string | null;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  username: string;
  displayName?: string;
  role: Role;
  tenant?: string | null;
  password: string;
}

export interface UserStore {
  /** Throws StoreError('conflict') when the username is taken, ('invalid') for a bad name/password/tenant rule. */
  create(u: NewUser): Promise<User>;
  get(id: string): Promise<User | undefined>;
  byUsername(username: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** The user when the pair is right and the user is enabled; otherwise undefined (same time either way, roughly). */
  verify(username: string, password: string): Promise<User | undefined>;
  setPassword(id: string, password: string): Promise<void>;
  setDisabled(id: string, disabled: boolean): Promise<void>;
  setRole(id: string, role: Role, tenant: string | null): Promise<void>;
}

export interface Session {
  /** The id kept server-side (a hash of the cookie's token, never the token). */
  id: string;
  userId: string;
  createdAt: number;
  lastSeenAt: number;
  ip: string | null;
  userAgent: string | null;
}

export interface SessionStore {
  /** A new session for the user; returns the cookie token (random, ≥ 32 bytes) and the stored session. */
  create(userId: string, meta: { ip: string | null; userAgent: string | null }): Promise<{ token: string; session: Session }>;
  /**
   * The session of a cookie token, if it exists and was seen within `idleMs`;
   * touches lastSeenAt (at most once a minute, to spare the database).
   */
  resolve(token: string, idleMs: number): Promise<{ session: Session; user: User } | undefined>;
  /** Ends one session (logout). */
  end(sessionId: string): Promise<void>;
  /** Ends every session of a user (disabled, password reset); returns their ids. */
  endAllOf(userId: string): Promise<string[]>;
  /** Deletes sessions idle past idleMs; returns how many. */
  purge(idleMs: number): Promise<number>;
}

/** A device's own credential (username = device id) or a gateway's, covering several devices of one tenant. */
export interface DeviceCredential {
  /** The MQTT username: the device id, or the gateway id. */
  username: string;
  kind: 'device' | 'gateway';
  tenant: string;
  /** The devices it may publish for: [username] for a device credential. */
  devices: string[];
  /** Mosquitto-compatible PBKDF2-SHA512 hash (`$7$101$salt$hash`), usable in a password_file as is. */
  secretHash: string;
  createdAt: number;
  rotatedAt: number;
  disabled: boolean;
}

export interface DeviceCredentialStore {
  /** Creates or rotates the credential; returns the new secret (shown once, never stored). */
  issue(c: { username: string; kind: 'device' | 'gateway'; tenant: string; devices: string[] }): Promise<string>;
  /** Issues many at once (one transaction, fast: the demo issues one per device at city scale). */
  issueMany(cs: { username: string; kind: 'device' | 'gateway'; tenant: string; devices: string[] }[]): Promise<Map<string, string>>;
  get(username: string): Promise<DeviceCredential | undefined>;
  list(): Promise<DeviceCredential[]>;
  /** The credential when the secret matches and it is enabled. */
  verify(username: string, secret: string): Promise<DeviceCredential | undefined>;
  setDisabled(username: string, disabled: boolean): Promise<void>;
  /** Increases on every change, so a cache (the embedded broker's, the Mosquitto files) knows to reload. */
  version(): Promise<number>;
}

export interface ApiKey {
  id: string;
  name: string;
  tenant: string;
  /** Devices it may post for; empty = every device of the tenant. */
  devices: string[];
  /** The first characters of the key, to tell keys apart in lists. */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface ApiKeyStore {
  /** Returns the key (shown once; stored as a SHA-256 hash) and its record. */
  create(k: { name: string; tenant: string; devices?: string[] }): Promise<{ key: string; record: ApiKey }>;
  /** The enabled key record matching the presented key. */
  verify(key: string): Promise<ApiKey | undefined>;
  list(tenant?: string): Promise<ApiKey[]>;
  revoke(id: string): Promise<boolean>;
}

export interface AuditInput {
  actor: string | null;
  role: string | null;
  tenant: string | null;
  ip: string | null;
  session: string | null;
  action: string;
  target: string | null;
  before?: unknown;
  after?: unknown;
  outcome?: 'ok' | 'denied' | 'failed';
  detail?: string | null;
  at?: number;
}

/** Append-only: there is no update nor delete. */
export interface AuditStore {
  append(e: AuditInput): Promise<void>;
  list(q: AuditQuery & { tenant?: string }): Promise<AuditEntry[]>;
}

export interface Store {
  users: UserStore;
  sessions: SessionStore;
  credentials: DeviceCredentialStore;
  apiKeys: ApiKeyStore;
  audit: AuditStore;
  /** The hazard register (隐患清单). */
  hazards: HazardStore;
  /** Duty shifts (值班交接班): `shifts.dutyOfficerAt(t)` says who was on duty. */
  shifts: ShiftStore;
  /** Reports kept (日报/周报/月报), with their workbooks. */
  reports: ReportStore;
  /** The migrations applied, newest last. */
  migrations(): Promise<string[]>;
  ping(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}

export class StoreError extends Error {
  constructor(
    readonly code: 'conflict' | 'invalid' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
