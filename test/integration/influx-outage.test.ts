import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient } from '../support/platform.js';
import type { Platform } from '../../server/src/platform.js';
import { runServicesScript, startServices, uniqueName, type Services } from '../support/services.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const meters = [...registry.byId.values()].filter((d) => d.kind === 'water_pressure').slice(0, 5);

describe('an InfluxDB outage', () => {
  let influx: Services;
  let broker: PrivateBroker;
  let platform: Platform;
  let stopPlatform: () => Promise<void>;
  let admin: ApiClient;

  beforeAll(async () => {
    influx = await startServices({ mqtt: false });
    broker = await startPrivateBroker();
    const t = await startTestPlatform({ mqttUrl: broker.url, influxUrl: influx.influxUrl, influxDb: 'lifeline', logLevel: 'error' });
    platform = t.platform;
    stopPlatform = t.stop;
    admin = await t.login('admin');
  });

  afterAll(async () => {
    await stopPlatform?.();
    await broker?.stop();
    await influx?.stop();
  });

  it('turns health to 503, holds the readings, and stores every one once InfluxDB is back', async () => {
    const device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('meters') });
    const send = async (round: number) => {
      for (const m of meters)
        await device.publishAsync(`lifeline/v1/${m.tenant}/${m.id}/telemetry`, JSON.stringify({ ts: Date.now() - 60_000 + round, values: { mpa: 0.3 } }), {
          qos: 1,
        });
    };
    await send(0);
    const stop = await runServicesScript(['stop', '--dir', influx.dir]);
    expect(stop.code, stop.stderr).toBe(0);

    for (let round = 1; round <= 20; round++) await send(round);
    const down = await waitFor(
      async () => {
        const r = await admin.get<{ influx: { ok: boolean } }>('/health');
        return r.status === 503 ? r.body : null;
      },
      { what: 'health to report InfluxDB down' },
    );
    expect(down.influx.ok).toBe(false);
    await waitFor(() => platform.writer.stats.retries > 0, { what: 'the writer to retry' });

    const start = await runServicesScript(['start', '--dir', influx.dir, '--influx-port', String(influx.influxPort), '--no-mqtt']);
    expect(start.code, start.stderr).toBe(0);
    await waitFor(async () => (await fetch(`${platform.httpUrl}/api/health`)).status === 200, { what: 'health to recover', timeoutMs: 20_000 });
    const stored = await waitFor(
      async () => {
        const s = await influxQuery({ url: influx.influxUrl, db: 'lifeline' }, 'SELECT count("mpa") FROM "telemetry"');
        const n = Number(s[0]?.values[0]?.[1] ?? 0);
        return n >= 105 ? n : null;
      },
      { what: 'all 105 readings in InfluxDB', timeoutMs: 20_000 },
    );
    expect(stored).toBe(105);
    expect(platform.writer.stats.dropped).toBe(0);
    await device.endAsync();
  });
});
