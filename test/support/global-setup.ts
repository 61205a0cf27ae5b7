/**
 * Starts one real Mosquitto, one real InfluxDB and one real PostgreSQL for the
 * whole test run, on ephemeral ports in a temp dir, and provides their URLs to
 * every test:
 *
 *   import { inject } from 'vitest';
 *   const mqttUrl = inject('mqttUrl');     // mqtt://127.0.0.1:PORT
 *   const influxUrl = inject('influxUrl'); // http://127.0.0.1:PORT
 *   const pgUrl = inject('pgUrl');         // postgres://lifeline:…@127.0.0.1:PORT/lifeline (a superuser)
 *
 * Tests share them: use `uniqueDbName()` / `uniqueName()` from
 * `./services.ts` for databases, client ids and tenants, and
 * `createTestDatabase(pgUrl)` from `./pg.ts` for a PostgreSQL database of
 * the test file's own.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { SERVICES_DIR_PREFIX, runServicesScript, startServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mqttUrl: string;
    influxUrl: string;
    /** The PostgreSQL superuser's DATABASE_URL: create a database per test file with it. */
    pgUrl: string;
  }
}

/** Stops services left by earlier runs whose process is gone (killed before teardown). */
async function reapAbandoned(): Promise<void> {
  const tmp = os.tmpdir();
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith(SERVICES_DIR_PREFIX)) continue;
    const dir = path.join(tmp, name);
    let owner: number;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // not ours to judge
    }
    if (Number.isInteger(owner) && isAlive(owner)) continue;
    await runServicesScript(['stop', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await reapAbandoned().catch(() => undefined);
  const services = await startServices({ mqtt: true, pg: true });
  project.provide('mqttUrl', services.mqttUrl!);
  project.provide('influxUrl', services.influxUrl);
  project.provide('pgUrl', services.databaseUrl!);
  return async () => {
    await services.stop();
  };
}
