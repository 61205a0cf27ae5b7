/**
 * Who may connect to the embedded broker, and what each may publish and
 * subscribe: the same rules the generated Mosquitto password and ACL files
 * give (mosquitto-files.ts), so both brokers enforce one contract.
 *
 * - A device or gateway connects with its credential (username = its id) and
 *   with the client id equal to its username, so nobody can take over
 *   another's session; it publishes only `lifeline/v1/<its tenant>/<one of its
 *   devices>/(telemetry|event|status)`, retained only on status, and
 *   subscribes to nothing.
 * - The ingest identity (MQTT_USERNAME/MQTT_PASSWORD, client id
 *   MQTT_CLIENT_ID or `<MQTT_CLIENT_ID>-<worker>`) reads `lifeline/v1/…` and
 *   publishes nothing. Its username and client id are reserved.
 *
 * Credentials are cached in memory and reloaded when the store's version
 * changes (asked at most every `refreshMs`, and on a cache miss), so a city's
 * devices reconnecting after an outage do not each query the database.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TOPIC_ROOT, parseTopic } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import { UNKNOWN_DEVICE_HASH, verifyDeviceSecret } from '../store/secrets.js';
import type { DeviceCredential, DeviceCredentialStore } from '../store/types.js';

const log = logger('device-auth');

export type Principal = { kind: 'ingest' } | { kind: 'device' | 'gateway'; username: string; tenant: string; devices: ReadonlySet<string> };

export interface IngestIdentity {
  username: string;
  secret: string;
  /** Ingest's own session; `<clientId>-<suffix>` is also ingest's (one per scaled-out worker). */
  clientId: string;
}

export type Decision = { ok: true } | { ok: false; reason: string };

/** CONNACK return codes of MQTT 3.1.1 (§3.2.2.3) that a refusal carries. */
export type RefusalCode = 2 | 3 | 4 | 5;
export type AuthResult = { ok: true; principal: Principal } | { ok: false; code: RefusalCode; reason: string };

export interface DeviceAuthOptions {
  /** Largest payload a device may publish, in bytes (the broker's packet cap; MQTT_MAX_PACKET_BYTES). */
  maxPayloadBytes?: number;
  /** While the cache answers, the store's version is asked at most this often (ms). */
  refreshMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 65_536;
export const DEFAULT_REFRESH_MS = 2_000;
const FAILURE_LOG_MS = 10_000;

const ALLOW: Decision = { ok: true };
const INGEST: Principal = Object.freeze({ kind: 'ingest' });
const READ_PREFIX = `${TOPIC_ROOT}/`;
const SHARE = /^\$share\/[^/+#]+\/(.+)$/;

interface Entry {
  hash: string;
  principal: Principal & { kind: 'device' | 'gateway' };
  /** SHA-256 of the last secret that matched `hash`: a reconnect skips PBKDF2. */
  verified: Buffer | null;
}

function samePrincipal(a: Entry['principal'], b: Entry['principal']): boolean {
  return a.kind === b.kind && a.tenant === b.tenant && a.devices.size === b.devices.size && [...a.devices].every((d) => b.devices.has(d));
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export class DeviceAuthenticator {
  private readonly maxPayloadBytes: number;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly ingestDigest: Buffer;
  private cache = new Map<string, Entry>();
  private version: number | null = null;
  private checkedAt = -Infinity;
  private syncing: Promise<void> | null = null;
  private failureLoggedAt = -Infinity;
  private watcher: NodeJS.Timeout | null = null;
  private readonly revokeListeners: ((usernames: string[]) => void)[] = [];

  constructor(
    private readonly store: DeviceCredentialStore,
    private readonly ingest: IngestIdentity,
    opts: DeviceAuthOptions = {},
  ) {
    if (!ingest.username || !ingest.secret || !ingest.clientId) {
      throw new Error('the ingest identity needs a username, a secret and a client id (MQTT_USERNAME, MQTT_PASSWORD, MQTT_CLIENT_ID)');
    }
    this.maxPayloadBytes = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.refreshMs = opts.refreshMs ?? DEFAULT_REFRESH_MS;
    this.now = opts.now ?? Date.now;
    this.ingestDigest = sha256(ingest.secret);
  }

  /** Loads the credentials now (at start-up, so the first connects need no round-trip); throws when the store fails. */
  async load(): Promise<void> {
    await this.sync(true);
  }

  /**
   * Asks the store's version every refreshMs even while nobody connects, so a
   * credential disabled, rotated or changed reaches onRevoke (and connected
   * clients are cut off) within refreshMs, as Mosquitto does on SIGHUP.
   */
  watch(): void {
    this.watcher ??= setInterval(() => void this.sync(false), this.refreshMs);
    this.watcher.unref();
  }

  unwatch(): void {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = null;
  }

  /** Called after a reload with the usernames whose credential was disabled, removed or changed. */
  onRevoke(listener: (usernames: string[]) => void): void {
    this.revokeListeners.push(listener);
  }

  /** The principal of a right username/secret/client id, or null. */
  async authenticate(username: string | undefined, password: string | Buffer | undefined, clientId: string): Promise<Principal | null> {
    const r = await this.check(username, password, clientId);
    return r.ok ? r.principal : null;
  }

  /** Like authenticate, with the CONNACK code and the reason of a refusal (for the broker and its log). */
  async check(username: string | undefined, password: string | Buffer | undefined, clientId: string): Promise<AuthResult> {
    if (!username) return { ok: false, code: 5, reason: 'anonymous connect' };
    const secret = password === undefined ? '' : typeof password === 'string' ? password : password.toString('utf8');

    if (username === this.ingest.username) {
      if (!timingSafeEqual(sha256(secret), this.ingestDigest)) return { ok: false, code: 4, reason: 'wrong secret for the ingest identity' };
      if (!this.isIngestClientId(clientId)) {
        return {
          ok: false,
          code: 2,
          reason: `the ingest identity must use client id ${this.ingest.clientId} (or ${this.ingest.clientId}-<worker>), not "${clientId}"`,
        };
      }
      return { ok: true, principal: INGEST };
    }

    let entry: Entry | undefined;
    try {
      entry = await this.lookup(username);
    } catch (err) {
      return { ok: false, code: 3, reason: `credential store unavailable: ${(err as Error).message}` };
    }
    if (!entry) {
      verifyDeviceSecret(secret, UNKNOWN_DEVICE_HASH); // an unknown name answers no faster than a wrong secret
      return { ok: false, code: 4, reason: 'unknown or disabled credential' };
    }
    if (!this.secretMatches(entry, secret)) {
      // Perhaps rotated a moment ago: the new secret works at once, not after the next check.
      await this.sync(false);
      const fresh = this.cache.get(username);
      if (!fresh || fresh.hash === entry.hash || !this.secretMatches(fresh, secret)) return { ok: false, code: 4, reason: 'wrong secret' };
      entry = fresh;
    }
    if (clientId !== username) return { ok: false, code: 2, reason: `client id "${clientId}" is not the username` };
    return { ok: true, principal: entry.principal };
  }

  mayPublish(p: Principal, topic: string, retain: boolean, bytes: number): Decision {
    if (p.kind === 'ingest') return { ok: false, reason: 'the ingest identity publishes nothing' };
    const t = parseTopic(topic);
    if (!t.ok) return { ok: false, reason: t.reason };
    if (t.tenant !== p.tenant) return { ok: false, reason: `tenant "${t.tenant}" is not the credential's (${p.tenant})` };
    if (!p.devices.has(t.device)) return { ok: false, reason: `device "${t.device}" is not one the credential publishes for` };
    if (retain && t.channel !== 'status') return { ok: false, reason: `retain is allowed on status only, not on ${t.channel}` };
    if (bytes > this.maxPayloadBytes) return { ok: false, reason: `payload of ${bytes} bytes exceeds the ${this.maxPayloadBytes}-byte cap` };
    return ALLOW;
  }

  /**
   * Only ingest subscribes, and only under `lifeline/v1/` (`lifeline/v1/#`,
   * the `lifeline/v1/+/+/+` that MqttSource uses, or either behind
   * `$share/<group>/`): what Mosquitto's `topic read lifeline/v1/#` lets through.
   */
  maySubscribe(p: Principal, filter: string): Decision {
    if (p.kind !== 'ingest') return { ok: false, reason: `a ${p.kind} credential subscribes to nothing` };
    const base = SHARE.exec(filter)?.[1] ?? filter;
    if (!base.startsWith(READ_PREFIX) || base.length === READ_PREFIX.length) return { ok: false, reason: `"${filter}" is not under ${READ_PREFIX}` };
    return ALLOW;
  }

  private isIngestClientId(clientId: string): boolean {
    const id = this.ingest.clientId;
    return clientId === id || (clientId.startsWith(`${id}-`) && clientId.length > id.length + 1);
  }

  private secretMatches(entry: Entry, secret: string): boolean {
    const digest = sha256(secret);
    if (entry.verified && timingSafeEqual(entry.verified, digest)) return true;
    if (!verifyDeviceSecret(secret, entry.hash)) return false;
    entry.verified = digest;
    return true;
  }

  private async lookup(username: string): Promise<Entry | undefined> {
    if (this.version === null) {
      await this.sync(true);
      return this.cache.get(username);
    }
    if (this.now() - this.checkedAt >= this.refreshMs) void this.sync(false);
    const hit = this.cache.get(username);
    if (hit) return hit;
    // A credential issued a moment ago: ask the store's version before saying no.
    await this.sync(false);
    return this.cache.get(username);
  }

  /** One check at a time; every caller meanwhile waits for it. `mustLoad` rethrows a failure (nothing loaded yet). */
  private sync(mustLoad: boolean): Promise<void> {
    this.syncing ??= this.refresh().finally(() => {
      this.syncing = null;
    });
    return mustLoad ? this.syncing : this.syncing.catch(() => undefined);
  }

  private async refresh(): Promise<void> {
    this.checkedAt = this.now();
    let version: number;
    try {
      version = await this.store.version();
      if (version === this.version) return;
      // Reading the version first: a change during list() shows up at the next check.
      const list = await this.store.list();
      this.replace(list);
      this.version = version;
    } catch (err) {
      // Every miss retries while the store is down: one warning per FAILURE_LOG_MS, the rest at debug.
      const quiet = this.checkedAt - this.failureLoggedAt < FAILURE_LOG_MS;
      if (!quiet) this.failureLoggedAt = this.checkedAt;
      log[quiet ? 'debug' : 'warn']({ err: (err as Error).message, cached: this.cache.size }, 'could not refresh device credentials; keeping the cached ones');
      throw err;
    }
    log.info({ credentials: this.cache.size, version }, 'device credentials loaded');
  }

  private replace(list: DeviceCredential[]): void {
    const next = new Map<string, Entry>();
    for (const c of list) {
      if (c.disabled) continue;
      if (c.username === this.ingest.username || this.isIngestClientId(c.username)) {
        log.warn({ username: c.username }, 'a device credential uses the reserved ingest username or client id; ignored');
        continue;
      }
      const old = this.cache.get(c.username);
      next.set(c.username, {
        hash: c.secretHash,
        principal: Object.freeze({ kind: c.kind, username: c.username, tenant: c.tenant, devices: new Set(c.devices) }),
        verified: old && old.hash === c.secretHash ? old.verified : null,
      });
    }
    const revoked: string[] = [];
    for (const [username, old] of this.cache) {
      const now = next.get(username);
      if (!now || now.hash !== old.hash || !samePrincipal(now.principal, old.principal)) revoked.push(username);
    }
    this.cache = next;
    if (revoked.length === 0) return;
    for (const l of this.revokeListeners) {
      try {
        l(revoked);
      } catch (err) {
        log.error({ err }, 'credential revocation listener failed');
      }
    }
  }
}
