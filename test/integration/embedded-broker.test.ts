import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert } from '@lifeline/core';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { uniqueDbName, uniqueName, tempDataDir } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const drain = [...registry.byId.values()].find((d) => d.kind === 'drainage')!;

describe('the platform without MQTT_URL', () => {
  const influxUrl = inject('influxUrl');
  const db = uniqueDbName('embedded');
  let platform: Platform;

  beforeAll(async () => {
    platform = await startPlatform({ port: 0, host: '127.0.0.1', mqttUrl: null, mqttPort: 0, influxUrl, influxDb: db, mqttClientId: uniqueName('ingest'), dataDir: tempDataDir(), logLevel: 'warn' });
  });

  afterAll(async () => {
    await platform?.stop();
  });

  it('runs its own Aedes broker that devices publish to, and reports it as embedded', async () => {
    expect(platform.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const device = await mqtt.connectAsync(platform.mqttUrl, { clientId: uniqueName('drain') });
    await device.publishAsync(`lifeline/v1/${drain.tenant}/${drain.id}/telemetry`, JSON.stringify({ values: { level_m: 3.2 } }), { qos: 1 });
    await device.endAsync();
    const alerts = await waitFor(async () => {
      const open = (await (await fetch(`${platform.httpUrl}/api/alerts?state=open&kind=drainage`)).json()) as Alert[];
      return open.length ? open : null;
    }, { what: 'the drainage alert' });
    expect(alerts[0]).toMatchObject({ device: drain.id, level: 'red', rule: 'level_high', value: 3.2 });
    await waitFor(async () => (await influxQuery({ url: influxUrl, db }, 'SELECT * FROM "telemetry"')).length > 0, { what: 'the reading in InfluxDB' });
    const health = (await (await fetch(`${platform.httpUrl}/api/health`)).json()) as { broker: { embedded: boolean; ok: boolean } };
    expect(health.broker).toMatchObject({ embedded: true, ok: true });
  });
});
