import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpoolBacklog } from '@lifeline/core';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { startPacedLoad } from '../support/paced-load.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { runServicesScript, startServices, tempDataDir, uniqueName, type Services } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const meters = [...registry.byId.values()].filter((d) => d.kind === 'water_pressure');

const RATE = 1000;
const LOAD_MS = 15_000;
/** Lines the writer may hold in memory: far less than the outage brings, so the rest must wait on disk. */
const MEMORY_LINES = 1000;

describe('an InfluxDB outage under load, longer than the writer’s memory holds', () => {
  let influx: Services;
  let broker: PrivateBroker;
  let t: TestPlatform;
  let admin: ApiClient;
  const dataDir = tempDataDir('outage');
  const clientId = uniqueName('ingest');
  const overrides = () => ({
    mqttUrl: broker.url,
    influxUrl: influx.influxUrl,
    influxDb: 'lifeline',
    logLevel: 'error' as const,
    writeBufferMax: MEMORY_LINES,
    dataDir,
    mqttClientId: clientId,
  });
  const count = async () =>
    Number((await influxQuery({ url: influx.influxUrl, db: 'lifeline' }, 'SELECT count("mpa") FROM "telemetry"'))[0]?.values[0]?.[1] ?? 0);

  beforeAll(async () => {
    influx = await startServices({ mqtt: false });
    broker = await startPrivateBroker();
    t = await startTestPlatform(overrides());
    admin = await t.login('admin');
  });

  afterAll(async () => {
    await t?.stop();
    await broker?.stop();
    await influx?.stop();
  });

  it('keeps what memory cannot hold in the spool, shows the backlog while InfluxDB is down, and stores every acknowledged reading once it is back', async () => {
    const base = Date.now() - 3_600_000;
    const load = await startPacedLoad({
      url: broker.url,
      connections: 10,
      rate: RATE,
      durationMs: LOAD_MS,
      message: (n) => {
        const m = meters[n % meters.length]!;
        return { topic: `lifeline/v1/${m.tenant}/${m.id}/telemetry`, payload: JSON.stringify({ ts: base + n, values: { mpa: 0.3 + (n % 5) / 100 } }) };
      },
    });
    await sleep(1500);
    const stop = await runServicesScript(['stop', '--dir', influx.dir]);
    expect(stop.code, stop.stderr).toBe(0);

    // Down: more waits than memory holds, and the admin sees how much, how old, and that it is not draining.
    const down = await waitFor(
      async () => {
        const b = (await admin.get<{ spool: { ingest: SpoolBacklog } }>('/metrics')).body.spool.ingest;
        return b.records > 3 * MEMORY_LINES ? b : null;
      },
      { what: 'a backlog beyond the writer’s memory', timeoutMs: 15_000 },
    );
    expect(down.inMemoryLines).toBeLessThanOrEqual(MEMORY_LINES);
    expect(down.bytes).toBeGreaterThan(0);
    expect(down.oldestAgeS).toBeGreaterThanOrEqual(1);
    expect(down.drainEtaS).toBeNull();
    expect(down.full).toBe(false);
    const health = await admin.get<{ status: string; backlog: { ingest: SpoolBacklog } }>('/health');
    expect(health.status).toBe(503);
    expect(health.body.backlog.ingest.records).toBeGreaterThan(3 * MEMORY_LINES);
    // Anonymous callers learn up or down, not the backlog.
    expect((await t.anonymous.get('/health')).body).toEqual({ status: 'degraded' });

    await sleep(3000);
    const start = await runServicesScript(['start', '--dir', influx.dir, '--influx-port', String(influx.influxPort), '--no-mqtt']);
    expect(start.code, start.stderr).toBe(0);
    await load.done;
    expect(load.failed).toBe(0);
    const acked = load.acked;
    expect(acked).toBe((RATE * LOAD_MS) / 1000);
    await waitFor(async () => (await count()) >= acked, { what: `${acked} readings in InfluxDB`, timeoutMs: 60_000, intervalMs: 500 });
    await sleep(500);
    expect(await count()).toBe(acked);
    expect(t.platform.writer.stats.dropped).toBe(0);
    const after = await waitFor(
      async () => {
        const b = (await admin.get<{ spool: { ingest: SpoolBacklog } }>('/metrics')).body.spool.ingest;
        return b.records === 0 ? b : null;
      },
      { what: 'the backlog to drain' },
    );
    expect(after).toMatchObject({ records: 0, drainEtaS: 0, oldestAgeS: null });
    console.log(
      `outage under load: ${acked} acknowledged, ${acked} stored; backlog while down ${down.records} records (${down.bytes} bytes, ${down.inMemoryLines} lines in memory)`,
    );
  }, 120_000);

  it('stops in bounded time while InfluxDB is down, leaving what it did not write in the spool for the next start', async () => {
    const stored = await count();
    const accepted = t.platform.ingest.stats.accepted;
    const stop = await runServicesScript(['stop', '--dir', influx.dir]);
    expect(stop.code, stop.stderr).toBe(0);
    const base = Date.now() - 1_800_000;
    const load = await startPacedLoad({
      url: broker.url,
      connections: 2,
      rate: 500,
      durationMs: 2000,
      message: (n) => {
        const m = meters[n % meters.length]!;
        return { topic: `lifeline/v1/${m.tenant}/${m.id}/telemetry`, payload: JSON.stringify({ ts: base + n, values: { mpa: 0.31 } }) };
      },
    });
    await load.done;
    await waitFor(() => t.platform.ingest.stats.accepted >= accepted + 1000, { what: 'the platform to take the load' });
    const t0 = Date.now();
    await t.platform.stop();
    // Five seconds for InfluxDB to take what is in memory, then the rest stays on disk.
    expect(Date.now() - t0).toBeLessThan(12_000);

    const start = await runServicesScript(['start', '--dir', influx.dir, '--influx-port', String(influx.influxPort), '--no-mqtt']);
    expect(start.code, start.stderr).toBe(0);
    t = await startTestPlatform(overrides(), { databaseUrl: t.databaseUrl });
    expect(t.platform.backlog().ingest.replayed).toBeGreaterThanOrEqual(1000);
    await waitFor(async () => (await count()) >= stored + 1000, { what: 'the left lines written by the next run', timeoutMs: 30_000, intervalMs: 500 });
    expect(await count()).toBe(stored + 1000);
  }, 90_000);
});
