/**
 * The platform in a child process of its own (tsx, packages resolved to their
 * sources as in the tests), so a test can kill it without any flush:
 *
 *   const p = await startPlatformChild(dir, { ...overrides, databaseUrl });
 *   await p.kill('SIGKILL');
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '@lifeline/core/node';
import { REPO_ROOT } from './services.js';

export interface PlatformChild {
  child: ChildProcess;
  httpUrl: string;
  /** What it has written to stdout (its JSON log lines) and stderr so far. */
  output(): string;
  /** Sends the signal and resolves with the exit once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the platform in a child and resolves once it is up (it prints `READY <httpUrl>`). */
export function startPlatformChild(dir: string, overrides: Partial<Config>, startTimeoutMs = 60_000): Promise<PlatformChild> {
  const script = path.join(dir, 'run-platform.mts');
  writeFileSync(
    script,
    [
      `import { startPlatform } from ${JSON.stringify(path.join(REPO_ROOT, 'server/src/platform.ts'))};`,
      `const p = await startPlatform(JSON.parse(process.env.LIFELINE_OVERRIDES!));`,
      'process.stdout.write(`READY ${p.httpUrl}\\n`);',
      // As main.ts: a SIGTERM stops the platform (bounded) and exits.
      `process.on('SIGTERM', () => void p.stop().then(() => process.exit(0)));`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'test/tsconfig.json'), LIFELINE_OVERRIDES: JSON.stringify(overrides) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  // Read both pipes whole, always: a child whose pipe fills up blocks.
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform child did not start: ${err}${out}`)), startTimeoutMs);
    const onData = () => {
      const m = /READY (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({
        child,
        httpUrl: m[1]!,
        output: () => out + err,
        kill: (signal) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`platform child exited (${code ?? signal}): ${err}${out}`));
    });
  });
}

export interface RestartableSetup {
  mqttUrl: string;
  influxUrl: string;
  influxDb: string;
  /** Fixed across the runs of a test, so the broker keeps the ingest session while the platform is down. */
  mqttClientId: string;
  /** The test's temp dir: the platform's data dir (spools, snapshots, rule state) is `data/` in it. */
  dir: string;
  databaseUrl: string;
  logLevel?: Config['logLevel'];
}

/**
 * What the platform of a stop, crash or restart test is started with, run
 * after run: an ephemeral HTTP port on loopback, the test's broker and
 * database, one ingest session and one data dir. The test adds its own.
 */
export function restartableOverrides(o: RestartableSetup): Partial<Config> {
  return {
    port: 0,
    host: '127.0.0.1',
    mqttUrl: o.mqttUrl,
    influxUrl: o.influxUrl,
    influxDb: o.influxDb,
    mqttClientId: o.mqttClientId,
    logLevel: o.logLevel ?? 'error',
    dataDir: path.join(o.dir, 'data'),
    databaseUrl: o.databaseUrl,
  };
}
