import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert } from '@lifeline/core';
import { loadRegistry } from '@lifeline/core/node';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { createTestDatabase } from '../support/pg.js';
import { uniqueDbName, uniqueName, tempDataDir } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

const registry = loadRegistry(new URL('../../data/qingxin-registry.json', import.meta.url).pathname);
const panel = [...registry.byId.values()].find((d) => d.kind === 'fire_panel')!;
const gas = [...registry.byId.values()].find((d) => d.kind === 'gas')!;

describe('a restart of the platform', () => {
  const influxUrl = inject('influxUrl');
  let broker: PrivateBroker;
  let mqttUrl: string;
  const db = uniqueDbName('restart');
  const ingestId = uniqueName('ingest');
  // The same data dir across the restart: rule state and outbox carry over, as on a real server.
  const dataDir = tempDataDir('restart');
  // …and the same PostgreSQL database: the accounts and audit log carry over too.
  let pg: { url: string; drop(): Promise<void> };
  const start = () => startTestPlatform({ mqttUrl, influxUrl, influxDb: db, mqttClientId: ingestId, dataDir }, { databaseUrl: pg.url });
  let platform: TestPlatform | null = null;

  beforeAll(async () => {
    broker = await startPrivateBroker();
    mqttUrl = broker.url;
    pg = await createTestDatabase(inject('pgUrl'), 'restart');
  });

  afterAll(async () => {
    await platform?.stop();
    await broker?.stop();
    await pg?.drop();
  });

  const openAlerts = async (p: TestPlatform) => (await (await p.login('duty')).get<Alert[]>('/alerts?state=open')).body;

  it('still lists an open alert, acknowledged before the restart, and keeps counting it afterwards', async () => {
    platform = await start();
    const device = await mqtt.connectAsync(mqttUrl, { clientId: uniqueName('panel') });
    await device.publishAsync(`lifeline/v1/${panel.tenant}/${panel.id}/event`, JSON.stringify({ type: 'fire', point: '2-1-015', detail: '二楼感烟探测器' }), {
      qos: 1,
    });
    const [fire] = await waitFor(
      async () => {
        const open = await openAlerts(platform!);
        return open.length ? open : null;
      },
      { what: 'the fire alert' },
    );
    expect(fire).toMatchObject({ level: 'red', rule: 'event:fire', event: 'fire', state: 'raised' });
    const ack = await (await platform.login('duty')).post(`/alerts/${fire!.id}/acknowledge`, { note: '已电话联系场所负责人' });
    expect(ack.status).toBe(200);
    await platform.stop();
    platform = null;

    // While the platform is down the broker keeps the persistent session's messages.
    await device.publishAsync(`lifeline/v1/${gas.tenant}/${gas.id}/telemetry`, JSON.stringify({ values: { ch4: 55 } }), { qos: 1 });
    await device.publishAsync(`lifeline/v1/${panel.tenant}/${panel.id}/event`, JSON.stringify({ type: 'fire', point: '2-1-016' }), { qos: 1 });
    await device.endAsync();

    platform = await start();
    const after = await waitFor(
      async () => {
        const open = await openAlerts(platform!);
        return open.length >= 2 && open.find((a) => a.id === fire!.id)?.count === 2 ? open : null;
      },
      { what: 'the restored fire alert and the gas alert sent during the restart' },
    );
    expect(after.find((a) => a.id === fire!.id)).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'duty', level: 'red', count: 2 });
    expect(after.find((a) => a.device === gas.id && a.rule === 'ch4_high')).toMatchObject({ level: 'red', value: 55 });
    expect(after.filter((a) => a.device === panel.id)).toHaveLength(1);
  });
});
