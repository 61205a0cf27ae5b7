/**
 * A Mosquitto of one test file's own. The contract's topics are fixed
 * (`lifeline/v1/...`), so platforms of test files running side by side on one
 * broker would see each other's messages; each file that starts a platform
 * gets a broker of its own instead (it starts in milliseconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './services.js';
import { waitFor } from './wait.js';

export interface PrivateBroker {
  url: string;
  stop(): Promise<void>;
}

/**
 * `settings` replace the default `allow_anonymous true`: e.g. a password and
 * ACL file of a test's own, to check who may publish what.
 */
export async function startPrivateBroker(opts: { settings?: string[] } = {}): Promise<PrivateBroker> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-broker-'));
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  const settings = opts.settings ?? ['allow_anonymous true'];
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, ...settings, 'persistence false', 'max_queued_messages 1000000', 'set_tcp_nodelay true', 'user root', ''].join('\n'),
  );
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`mosquitto exited: ${stderr}`);
        const s = net.connect(port, '127.0.0.1', () => {
          s.end();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    { what: `a private mosquitto on port ${port}`, timeoutMs: 10_000 },
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
