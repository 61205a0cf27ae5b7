/**
 * MQTT credentials of devices and gateways. Each change bumps one version
 * counter in the same transaction, and takes that counter's row lock first:
 * credential changes are serialised (two rotations of one name cannot race),
 * and a broker that sees a new version knows to reload.
 */
import { ID_PATTERN, USERNAME_PATTERN } from '@lifeline/core';
import type { PoolClient } from 'pg';
import { UNKNOWN_DEVICE_HASH, hashDeviceSecretAsync, newDeviceSecret, verifyDeviceSecret } from './secrets.js';
import { inTransaction, ms, placeholders, type StoreContext } from './store-context.js';
import { StoreError, type DeviceCredential, type DeviceCredentialStore } from './types.js';

type CredentialInput = Parameters<DeviceCredentialStore['issue']>[0];

const USERNAME = new RegExp(USERNAME_PATTERN);
/** Tenants and device ids become topic levels and ACL lines: no "/", "+", "#" or spaces. */
const ID = new RegExp(ID_PATTERN);
/**
 * Credentials per INSERT and per round of hashing: 8 values a row stays far
 * below PostgreSQL's 65,535 parameters, and 1000 hashes keep every
 * thread-pool worker busy.
 */
const CHUNK = 1000;

interface CredentialRow {
  username: string;
  kind: 'device' | 'gateway';
  tenant: string;
  devices: string;
  secret_hash: string;
  created_at: string;
  rotated_at: string;
  disabled: boolean;
}

const COLUMNS = 'username, kind, tenant, devices, secret_hash, created_at, rotated_at, disabled';

function toCredential(r: CredentialRow): DeviceCredential {
  return {
    username: r.username,
    kind: r.kind,
    tenant: r.tenant,
    devices: JSON.parse(r.devices) as string[],
    secretHash: r.secret_hash,
    createdAt: ms(r.created_at),
    rotatedAt: ms(r.rotated_at),
    disabled: r.disabled,
  };
}

/** Checks one input and returns it with its device list settled. */
function normalize(c: CredentialInput): CredentialInput {
  const where = `credential ${JSON.stringify(c?.username)}`;
  if (typeof c?.username !== 'string' || !USERNAME.test(c.username))
    throw new StoreError('invalid', `${where}: the username does not match ${USERNAME_PATTERN}`);
  if (typeof c.tenant !== 'string' || !ID.test(c.tenant))
    throw new StoreError('invalid', `${where}: tenant ${JSON.stringify(c.tenant)} does not match ${ID_PATTERN}`);
  const devices = c.devices ?? [];
  if (c.kind === 'device') {
    if (!ID.test(c.username)) throw new StoreError('invalid', `${where}: a device credential's username is the device id and must match ${ID_PATTERN}`);
    if (devices.length > 1 || (devices.length === 1 && devices[0] !== c.username)) {
      throw new StoreError('invalid', `${where}: a device credential covers only its own device (${c.username})`);
    }
    return { username: c.username, kind: 'device', tenant: c.tenant, devices: [c.username] };
  }
  if (c.kind !== 'gateway') throw new StoreError('invalid', `${where}: kind must be device or gateway`);
  if (devices.length === 0) throw new StoreError('invalid', `${where}: a gateway credential needs the devices it publishes for`);
  const bad = devices.find((d) => typeof d !== 'string' || !ID.test(d));
  if (bad !== undefined) throw new StoreError('invalid', `${where}: device id ${JSON.stringify(bad)} does not match ${ID_PATTERN}`);
  if (new Set(devices).size !== devices.length) throw new StoreError('invalid', `${where}: the device list has duplicates`);
  return { username: c.username, kind: 'gateway', tenant: c.tenant, devices: [...devices] };
}

/** Bumps the version and, by locking its row, waits for any other credential change to commit. */
async function bumpVersion(c: PoolClient): Promise<void> {
  await c.query('UPDATE credential_version SET version = version + 1 WHERE id = 1');
}

export function deviceCredentialStore(ctx: StoreContext): DeviceCredentialStore {
  const { pool, now } = ctx;

  /** Replaces or inserts one chunk's rows; a rotation keeps the credential's creation time. */
  const writeChunk = async (c: PoolClient, chunk: CredentialInput[], hashes: string[], t: number): Promise<void> => {
    const names = chunk.map((it) => it.username);
    // Delete-then-insert rather than ON CONFLICT: plain SQL that every
    // PostgreSQL-compatible database runs.
    const existing = await c.query<{ username: string; created_at: string }>(
      `SELECT username, created_at FROM device_credentials WHERE username IN (${placeholders(1, names.length)})`,
      names,
    );
    const createdAt = new Map(existing.rows.map((r) => [r.username, ms(r.created_at)]));
    if (createdAt.size) {
      const gone = [...createdAt.keys()];
      await c.query(`DELETE FROM device_credentials WHERE username IN (${placeholders(1, gone.length)})`, gone);
    }
    const values: unknown[] = [];
    const rows = chunk.map((it, j) => {
      values.push(it.username, it.kind, it.tenant, JSON.stringify(it.devices), hashes[j], createdAt.get(it.username) ?? t, t, false);
      return `(${placeholders(j * 8 + 1, 8)})`;
    });
    await c.query(`INSERT INTO device_credentials (${COLUMNS}) VALUES ${rows.join(', ')}`, values);
  };

  const issueMany = async (inputs: CredentialInput[]): Promise<Map<string, string>> => {
    const items = inputs.map(normalize);
    const seen = new Set<string>();
    for (const it of items) {
      if (seen.has(it.username)) throw new StoreError('invalid', `credential ${it.username} appears twice in one batch`);
      seen.add(it.username);
    }
    const secrets = new Map<string, string>();
    if (items.length === 0) return secrets;
    const chunks: CredentialInput[][] = [];
    for (let i = 0; i < items.length; i += CHUNK) chunks.push(items.slice(i, i + CHUNK));
    const hashChunk = (chunk: CredentialInput[]) =>
      Promise.all(
        chunk.map((it) => {
          const secret = newDeviceSecret();
          secrets.set(it.username, secret);
          return hashDeviceSecretAsync(secret);
        }),
      );
    const t = now();
    // A pipeline: the thread pool hashes chunk k+1 while PostgreSQL writes
    // chunk k, so 100k credentials cost about the longer of the two, not both.
    let next = hashChunk(chunks[0]!);
    await inTransaction(pool, async (c) => {
      await bumpVersion(c);
      for (let k = 0; k < chunks.length; k++) {
        const hashes = await next;
        if (k + 1 < chunks.length) {
          next = hashChunk(chunks[k + 1]!);
          next.catch(() => undefined); // awaited next round; a write failing first must not leave it unhandled
        }
        await writeChunk(c, chunks[k]!, hashes, t);
      }
    });
    return secrets;
  };

  const get = async (username: string): Promise<DeviceCredential | undefined> => {
    const r = await pool.query<CredentialRow>(`SELECT ${COLUMNS} FROM device_credentials WHERE username = $1`, [username]);
    return r.rows[0] && toCredential(r.rows[0]);
  };

  return {
    async issue(c) {
      const secrets = await issueMany([c]);
      return secrets.get(c.username)!;
    },

    issueMany,

    get,

    async list() {
      const r = await pool.query<CredentialRow>(`SELECT ${COLUMNS} FROM device_credentials ORDER BY username`);
      return r.rows.map(toCredential);
    },

    async verify(username, secret) {
      const cred = typeof username === 'string' ? await get(username) : undefined;
      const ok = verifyDeviceSecret(typeof secret === 'string' ? secret : '', cred?.secretHash ?? UNKNOWN_DEVICE_HASH);
      return cred && ok && !cred.disabled ? cred : undefined;
    },

    async setDisabled(username, disabled) {
      await inTransaction(pool, async (c) => {
        await bumpVersion(c);
        const r = await c.query('UPDATE device_credentials SET disabled = $2 WHERE username = $1', [username, disabled]);
        if (r.rowCount === 0) throw new StoreError('not_found', `no credential ${username}`);
      });
    },

    async version() {
      const r = await pool.query<{ version: string }>('SELECT version FROM credential_version WHERE id = 1');
      return ms(r.rows[0]?.version ?? 0);
    },
  };
}
