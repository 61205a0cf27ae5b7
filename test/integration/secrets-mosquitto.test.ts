/**
 * The store keeps device secrets as Mosquitto password-file hashes, so the
 * format is checked against Mosquitto itself both ways: what its
 * mosquitto_passwd writes, we verify; what we write, a real broker accepts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from '../../server/src/store/secrets.js';
import { freePort, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-mosquitto-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a hash written by mosquitto_passwd', () => {
  it('verifies with the store’s code for the right secret only', async () => {
    const file = path.join(dir, 'by-mosquitto.passwd');
    const secret = newDeviceSecret();
    await run('mosquitto_passwd', ['-c', '-b', file, 'gas-001', secret]);
    const [user, hash] = readFileSync(file, 'utf8').trim().split(':');
    expect(user).toBe('gas-001');
    expect(hash).toMatch(/^\$7\$101\$/);
    expect(verifyDeviceSecret(secret, hash!)).toBe(true);
    expect(verifyDeviceSecret(newDeviceSecret(), hash!)).toBe(false);
  });
});

describe('a hash written by the store, in a real Mosquitto’s password_file', () => {
  const secret = newDeviceSecret();
  let broker: ChildProcess;
  let url = '';
  let log = '';

  beforeAll(async () => {
    const port = await freePort();
    const passwd = path.join(dir, 'by-store.passwd');
    writeFileSync(passwd, `gas-002:${hashDeviceSecret(secret)}\n`, { mode: 0o600 });
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwd}`, 'persistence false', 'user root', 'log_dest stderr', ''].join('\n'),
    );
    broker = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    broker.stderr?.on('data', (b: Buffer) => (log += b.toString()));
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          if (broker.exitCode !== null) throw new Error(`mosquitto exited: ${log}`);
          const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
          s.on('error', () => resolve(false));
        }),
      { what: `mosquitto with a password_file on port ${port}`, timeoutMs: 10_000 },
    );
    url = `mqtt://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (broker?.exitCode === null) {
      broker.kill('SIGTERM');
      await new Promise((r) => broker.once('exit', r));
    }
  });

  const connect = (username: string, password: string) =>
    connectAsync(url, { username, password, clientId: uniqueName('auth'), reconnectPeriod: 0, connectTimeout: 5000 });

  it('lets the device connect with its secret', async () => {
    const c = await connect('gas-002', secret);
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('refuses the device with a wrong secret', async () => {
    await expect(connect('gas-002', newDeviceSecret())).rejects.toThrow(/not authori[sz]ed|bad user ?name or password/i);
  });

  it('refuses a username the file does not list', async () => {
    await expect(connect('gas-999', secret)).rejects.toThrow(/not authori[sz]ed|bad user ?name or password/i);
  });
});
