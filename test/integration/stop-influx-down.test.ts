/**
 * SIGTERM while InfluxDB is down: the platform stops within a bound instead of
 * waiting for InfluxDB, keeps what InfluxDB did not take in its spool (the log
 * says how much and where), and the next start writes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { restartableOverrides, startPlatformChild, type PlatformChild } from '../support/platform-child.js';
import { createTestDatabase } from '../support/pg.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { runServicesScript, startServices, uniqueName, type Services } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const meters = [...registry.byId.values()].filter((d) => d.kind === 'water_pressure').slice(0, 5);
/** What the platform's stop may take with InfluxDB down: its 5 s write bound, and the rest of the stop. */
const STOP_WITHIN_MS = 15_000;

describe('a SIGTERM while InfluxDB is down', () => {
  let influx: Services;
  let broker: PrivateBroker;
  let pg: { url: string; drop(): Promise<void> };
  let dir: string;
  let child: PlatformChild | null = null;

  beforeAll(async () => {
    influx = await startServices({ mqtt: false });
    broker = await startPrivateBroker();
    pg = await createTestDatabase(inject('pgUrl'), 'stopdown');
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-stopdown-'));
  });

  afterAll(async () => {
    await child?.kill('SIGKILL');
    await broker?.stop();
    await pg?.drop();
    await influx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops within a bound, keeps the unwritten readings in the spool (and says where), and writes them at the next start', async () => {
    const overrides = restartableOverrides({
      mqttUrl: broker.url,
      influxUrl: influx.influxUrl,
      influxDb: 'lifeline',
      mqttClientId: uniqueName('ingest'),
      dir,
      databaseUrl: pg.url,
      logLevel: 'info',
    });
    child = await startPlatformChild(dir, overrides);
    const stopped = await runServicesScript(['stop', '--dir', influx.dir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('meters') });
    for (let round = 0; round < 20; round++) {
      for (const m of meters) {
        await device.publishAsync(`lifeline/v1/${m.tenant}/${m.id}/telemetry`, JSON.stringify({ ts: Date.now() - 60_000 + round, values: { mpa: 0.3 } }), {
          qos: 1,
        });
      }
    }
    await device.endAsync();

    const sent = Date.now();
    const exit = await child.kill('SIGTERM');
    const took = Date.now() - sent;
    const out = child.output();
    child = null;
    console.log(`SIGTERM with InfluxDB down: stopped in ${took} ms`);
    expect(exit.code).toBe(0);
    expect(took).toBeLessThan(STOP_WITHIN_MS);
    const left = out
      .split('\n')
      .filter((l) => l.includes('stopped with records not yet in InfluxDB'))
      .map((l) => JSON.parse(l) as { spool: string; records: number; dir: string });
    expect(left.find((l) => l.spool === 'ingest')).toMatchObject({ records: 100, dir: path.join(dir, 'data', 'spool', 'ingest') });

    // InfluxDB back, the platform started again: the spool's readings are written.
    const start = await runServicesScript(['start', '--dir', influx.dir, '--influx-port', String(influx.influxPort), '--no-mqtt']);
    expect(start.code, start.stderr).toBe(0);
    child = await startPlatformChild(dir, { ...overrides, mqttClientId: uniqueName('ingest') });
    const stored = await waitFor(
      async () => {
        const s = await influxQuery({ url: influx.influxUrl, db: 'lifeline' }, 'SELECT count("mpa") FROM "telemetry"');
        const n = Number(s[0]?.values[0]?.[1] ?? 0);
        return n >= 100 ? n : null;
      },
      { what: 'the 100 spooled readings in InfluxDB', timeoutMs: 30_000 },
    );
    expect(stored).toBe(100);
  }, 120_000);
});
