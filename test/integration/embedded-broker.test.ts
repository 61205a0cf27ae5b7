import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert } from '@lifeline/core';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { uniqueDbName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const drains = [...registry.byId.values()].filter((d) => d.kind === 'drainage');
const [drain, other] = [drains[0]!, drains[1]!];
const topic = (d: { tenant: string; id: string }) => `lifeline/v1/${d.tenant}/${d.id}/telemetry`;

describe('the platform without MQTT_URL', () => {
  const influxUrl = inject('influxUrl');
  const db = uniqueDbName('embedded');
  let t: TestPlatform;
  let admin: ApiClient;
  let duty: ApiClient;

  beforeAll(async () => {
    t = await startTestPlatform({ mqttUrl: null, mqttPort: 0, influxUrl, influxDb: db });
    [admin, duty] = await Promise.all([t.login('admin'), t.login('duty')]);
  });

  afterAll(async () => {
    await t?.stop();
  });

  const issue = async (id: string) => {
    const r = await admin.post<{ secret: string }>('/credentials', { username: id, kind: 'device', tenant: registry.byId.get(id)!.tenant });
    expect(r.status).toBe(201);
    return r.body.secret;
  };
  const openDrainAlerts = async () => (await duty.get<Alert[]>('/alerts?state=open&kind=drainage')).body;

  it('runs its own Aedes broker on 127.0.0.1 that a device publishes to with its own credentials, and reports it as embedded', async () => {
    expect(t.platform.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    const secret = await issue(drain.id);
    const device = await mqtt.connectAsync(t.platform.mqttUrl, { clientId: drain.id, username: drain.id, password: secret, reconnectPeriod: 0 });
    await device.publishAsync(topic(drain), JSON.stringify({ values: { level_m: 3.2 } }), { qos: 1 });
    await device.endAsync();
    const alerts = await waitFor(
      async () => {
        const open = await openDrainAlerts();
        return open.length ? open : null;
      },
      { what: 'the drainage alert' },
    );
    expect(alerts[0]).toMatchObject({ device: drain.id, level: 'red', rule: 'level_high', value: 3.2 });
    await waitFor(async () => (await influxQuery({ url: influxUrl, db }, 'SELECT * FROM "telemetry"')).length > 0, { what: 'the reading in InfluxDB' });
    const health = (await admin.get<{ broker: { embedded: boolean; ok: boolean } }>('/health')).body;
    expect(health.broker).toMatchObject({ embedded: true, ok: true });
  });

  it('refuses an anonymous device, and raises no alert from one device publishing as another', async () => {
    await expect(mqtt.connectAsync(t.platform.mqttUrl, { clientId: 'anon', reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow();
    const secret = await issue(drain.id);
    const a = await mqtt.connectAsync(t.platform.mqttUrl, { clientId: drain.id, username: drain.id, password: secret, reconnectPeriod: 0 });
    const closed = new Promise<void>((r) => a.once('close', () => r()));
    a.publish(topic(other), JSON.stringify({ values: { level_m: 3.5 } }), { qos: 1 });
    await closed;
    // A sentinel through the device's own topic after the forged one: once it is stored, the forged one would be too.
    const again = await mqtt.connectAsync(t.platform.mqttUrl, { clientId: drain.id, username: drain.id, password: secret, reconnectPeriod: 0 });
    await again.publishAsync(topic(drain), JSON.stringify({ values: { level_m: 0.4 } }), { qos: 1 });
    await again.endAsync();
    await waitFor(
      async () => (await influxQuery({ url: influxUrl, db }, `SELECT * FROM "telemetry" WHERE "device" = '${drain.id}' AND "level_m" = 0.4`)).length > 0,
      { what: 'the sentinel reading' },
    );
    expect((await openDrainAlerts()).filter((x) => x.device === other.id)).toEqual([]);
    expect(await influxQuery({ url: influxUrl, db }, `SELECT * FROM "telemetry" WHERE "device" = '${other.id}'`)).toEqual([]);
  });

  it('refuses a rotated secret: the old one no longer connects', async () => {
    const old = await issue(other.id);
    const fresh = await issue(other.id);
    await expect(
      mqtt.connectAsync(t.platform.mqttUrl, { clientId: other.id, username: other.id, password: old, reconnectPeriod: 0, connectTimeout: 5000 }),
    ).rejects.toThrow();
    const ok = await mqtt.connectAsync(t.platform.mqttUrl, { clientId: other.id, username: other.id, password: fresh, reconnectPeriod: 0 });
    await ok.endAsync();
    expect((await duty.post('/credentials', { username: other.id, kind: 'device', tenant: other.tenant })).status).toBe(403);
  });
});
