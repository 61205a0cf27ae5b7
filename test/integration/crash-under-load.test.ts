import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import mqtt from 'mqtt';
import type { Alert, SpoolBacklog } from '@lifeline/core';
import { influxQuery, loadRegistry } from '@lifeline/core/node';
import { openStore } from '../../server/src/store/open-store.js';
import { login, testPassword } from '../support/platform.js';
import { restartableOverrides, startPlatformChild, type PlatformChild } from '../support/platform-child.js';
import { startPacedLoad } from '../support/paced-load.js';
import { createTestDatabase } from '../support/pg.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { REPO_ROOT, uniqueDbName, uniqueName } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';

const registry = loadRegistry(path.join(REPO_ROOT, 'data/qingxin-registry.json'));
const detectors = [...registry.byId.values()].filter((d) => d.kind === 'gas');
/** The one detector that reads a leak throughout: its alert is raised before the kill and must not be raised again after it. */
const leaking = detectors[0]!;

const RATE = 2000;
const CONNECTIONS = 16;
const LOAD_MS = 10_000;
/** The kill comes once this share of the load is sent, however fast the machine is. */
const KILL_AT = 0.4;

describe('a platform killed (SIGKILL) under a paced QoS 1 load and restarted on the same session', () => {
  const influxUrl = inject('influxUrl');
  const db = uniqueDbName('crashload');
  const clientId = uniqueName('ingest');
  let broker: PrivateBroker;
  let pg: { url: string; drop(): Promise<void> };
  let dir: string;
  let child: PlatformChild | null = null;

  beforeAll(async () => {
    broker = await startPrivateBroker();
    pg = await createTestDatabase(inject('pgUrl'), 'crashload');
    const store = await openStore(pg.url);
    await store.users.create({ username: 'admin', role: 'admin', password: testPassword('admin') });
    await store.close();
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-crashload-'));
  });

  afterAll(async () => {
    await child?.kill('SIGKILL');
    await broker?.stop();
    await pg?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every reading the broker acknowledged exactly once, and raises no alert twice', async () => {
    const overrides = restartableOverrides({
      mqttUrl: broker.url,
      influxUrl,
      influxDb: db,
      mqttClientId: clientId,
      dir,
      databaseUrl: pg.url,
      logLevel: 'info',
    });
    child = await startPlatformChild(dir, overrides);
    const base = Date.now() - 3_600_000;
    // The leak is raised before the load, so its alert is in the log when the kill comes.
    const device = await mqtt.connectAsync(broker.url, { clientId: uniqueName('leak') });
    await device.publishAsync(`lifeline/v1/${leaking.tenant}/${leaking.id}/telemetry`, JSON.stringify({ ts: base - 1, values: { ch4: 60 } }), { qos: 1 });
    await device.endAsync();
    const admin1 = await login(child.httpUrl, 'admin', testPassword('admin'));
    await waitFor(async () => (await admin1.get<Alert[]>('/alerts?state=open')).body.some((a) => a.device === leaking.id && a.rule === 'ch4_high'), {
      what: 'the leak alert before the load',
    });
    // Message n: detector n mod 150 at time base + n, so every (device, ts) is unique.
    const load = await startPacedLoad({
      url: broker.url,
      connections: CONNECTIONS,
      rate: RATE,
      durationMs: LOAD_MS,
      message: (n) => {
        const d = detectors[n % detectors.length]!;
        const ch4 = d === leaking ? 60 : 1 + (n % 7) / 10;
        return { topic: `lifeline/v1/${d.tenant}/${d.id}/telemetry`, payload: JSON.stringify({ ts: base + n, values: { ch4 } }) };
      },
    });
    const total = Math.round((RATE * LOAD_MS) / 1000);
    await waitFor(() => load.sent >= KILL_AT * total, { what: 'the load to be under way', timeoutMs: LOAD_MS, intervalMs: 10 });
    const before = (await influxQuery({ url: influxUrl, db }, 'SELECT count("ch4") FROM "telemetry"'))[0]?.values[0]?.[1];
    const killedAt = load.sent;
    const first = child;
    expect((await child.kill('SIGKILL')).signal).toBe('SIGKILL');
    // Killed with readings acknowledged but not yet in InfluxDB: the case that lost them before the spool.
    expect(Number(before)).toBeLessThan(killedAt);
    child = await startPlatformChild(dir, overrides);
    const restartedAt = load.sent;

    await load.done;
    expect(load.failed).toBe(0);
    // The load's acknowledged publishes and the one leak reading before it.
    expect(load.acked).toBe(total);
    const acked = load.acked + 1;
    const count = async () => Number((await influxQuery({ url: influxUrl, db }, 'SELECT count("ch4") FROM "telemetry"'))[0]?.values[0]?.[1] ?? 0);
    let stored = 0;
    try {
      await waitFor(async () => (stored = await count()) >= acked, { what: `${acked} readings in InfluxDB`, timeoutMs: 60_000, intervalMs: 500 });
    } catch (err) {
      // What the platform said is the first thing to read when this fails.
      console.error(
        `stored ${stored} of ${acked}; the platform's log:\n${first.output().split('\n').slice(-20).join('\n')}\n---\n${child.output().split('\n').slice(-40).join('\n')}`,
      );
      throw err;
    }
    // Exactly: none lost, and the replayed duplicates are the same points (same series and time).
    await sleep(1000);
    expect(await count()).toBe(acked);

    const admin2 = await login(child.httpUrl, 'admin', testPassword('admin'));
    const metrics = (await admin2.get<{ spool: { ingest: SpoolBacklog } }>('/metrics')).body;
    // The restarted platform found the killed one's records and wrote them again.
    expect(metrics.spool.ingest.replayed).toBeGreaterThan(0);

    const raised = await influxQuery({ url: influxUrl, db }, `SELECT count("alert_id") FROM "alert_event" WHERE "action" = 'raised' GROUP BY "device", "rule"`);
    const twice = raised.filter((s) => Number(s.values[0]?.[1]) > 1).map((s) => `${s.tags?.device}/${s.tags?.rule}`);
    expect(twice).toEqual([]);
    const leak = raised.find((s) => s.tags?.device === leaking.id && s.tags?.rule === 'ch4_high');
    expect(Number(leak?.values[0]?.[1])).toBe(1);
    const open = (await admin2.get<Alert[]>('/alerts?state=open')).body.filter((a) => a.device === leaking.id && a.rule === 'ch4_high');
    expect(open).toHaveLength(1);

    const stopped = await child.kill('SIGTERM');
    expect(stopped.code).toBe(0);
    child = null;
    console.log(
      `crash under load: ${acked} acknowledged, ${acked} stored; ${before} stored just before the kill (after ${killedAt} sent), restarted after ${restartedAt} sent; ` +
        `${metrics.spool.ingest.replayed} records replayed`,
    );
  }, 120_000);
});
