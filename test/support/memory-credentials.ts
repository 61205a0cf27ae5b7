/**
 * A DeviceCredentialStore in memory, for tests of the brokers' credential
 * checks without PostgreSQL. Hashes as the real store does (secrets.ts), and
 * counts the calls, so a test can tell what reached "the database".
 */
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from '../../server/src/store/secrets.js';
import { StoreError, type DeviceCredential, type DeviceCredentialStore } from '../../server/src/store/types.js';

type NewCredential = { username: string; kind: 'device' | 'gateway'; tenant: string; devices: string[] };

export class MemoryCredentialStore implements DeviceCredentialStore {
  private readonly items = new Map<string, DeviceCredential>();
  private changes = 0;
  /** Calls per method, e.g. `calls.list` (the expensive one). */
  readonly calls = { version: 0, list: 0, get: 0, verify: 0 };
  /** Set to make every call fail, as a database that is down would. */
  failing: Error | null = null;

  async issue(c: NewCredential): Promise<string> {
    return (await this.issueMany([c])).get(c.username)!;
  }

  async issueMany(cs: NewCredential[]): Promise<Map<string, string>> {
    this.fail();
    const out = new Map<string, string>();
    for (const c of cs) {
      if (c.devices.length === 0) throw new StoreError('invalid', `${c.username}: a credential needs at least one device`);
      if (c.kind === 'device' && (c.devices.length !== 1 || c.devices[0] !== c.username)) {
        throw new StoreError('invalid', `${c.username}: a device credential publishes for itself only`);
      }
      const secret = newDeviceSecret();
      const now = Date.now();
      const old = this.items.get(c.username);
      this.items.set(c.username, {
        ...c,
        devices: [...c.devices],
        secretHash: hashDeviceSecret(secret),
        createdAt: old?.createdAt ?? now,
        rotatedAt: now,
        disabled: false,
      });
      out.set(c.username, secret);
    }
    this.changes++;
    return out;
  }

  async get(username: string): Promise<DeviceCredential | undefined> {
    this.fail();
    this.calls.get++;
    const c = this.items.get(username);
    return c && { ...c, devices: [...c.devices] };
  }

  async list(): Promise<DeviceCredential[]> {
    this.fail();
    this.calls.list++;
    return [...this.items.values()].map((c) => ({ ...c, devices: [...c.devices] }));
  }

  async verify(username: string, secret: string): Promise<DeviceCredential | undefined> {
    this.fail();
    this.calls.verify++;
    const c = this.items.get(username);
    return c && !c.disabled && verifyDeviceSecret(secret, c.secretHash) ? { ...c, devices: [...c.devices] } : undefined;
  }

  async setDisabled(username: string, disabled: boolean): Promise<void> {
    this.fail();
    const c = this.items.get(username);
    if (!c) throw new StoreError('not_found', `no credential ${username}`);
    c.disabled = disabled;
    this.changes++;
  }

  async version(): Promise<number> {
    this.fail();
    this.calls.version++;
    return this.changes;
  }

  private fail(): void {
    if (this.failing) throw this.failing;
  }
}
