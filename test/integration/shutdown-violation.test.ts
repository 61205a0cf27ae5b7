import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Alert } from '@lifeline/core';
import { CONFIG_KEYS, loadRegistry, setLogLevel } from '@lifeline/core/node';
import { startPlatform, type Platform } from '../../server/src/platform.js';
import { Simulator } from '../../simulators/src/simulator.js';
import { defaultStoppedEnterprise } from '../../simulators/src/incidents.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { tempDataDir, uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const registry = loadRegistry(CONFIG_KEYS.registryPath.default);
const violator = defaultStoppedEnterprise([...registry.byId.values()], registry.tenants)!;

/** The district's rules file, with the shutdown rule's sustained periods cut from 10/60 minutes to seconds. */
function quickRules(dir: string): string {
  const rules = JSON.parse(readFileSync(CONFIG_KEYS.rulesPath.default, 'utf8')) as { rules: { id: string; levels?: Record<string, number> }[] };
  const rule = rules.rules.find((r) => r.id === 'power_stopped')!;
  rule.levels = { orange: 4, red: 30 };
  const file = path.join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify(rules));
  return file;
}

describe('the enterprise shutdown-violation rule on a simulated feed', () => {
  let broker: PrivateBroker;
  let platform: Platform;
  let sim: Simulator;

  beforeAll(async () => {
    setLogLevel('warn');
    broker = await startPrivateBroker();
    const dataDir = tempDataDir('violation');
    platform = await startPlatform({
      port: 0,
      host: '127.0.0.1',
      mqttUrl: broker.url,
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('violation'),
      mqttClientId: uniqueName('ingest'),
      dataDir,
      rulesPath: quickRules(dataDir),
      logLevel: 'warn',
    });
  });

  afterAll(async () => {
    await sim?.stop();
    await platform?.stop();
    await broker?.stop();
  });

  it('raises "suspected illegal production" for the enterprise under 停产整顿 that draws a working load, and for no other', async () => {
    // Thirty times faster: each meter reports every 2 s; the violation starts at once.
    sim = new Simulator({ url: broker.url, registry, only: ['power'], speed: 30, seed: 3, incident: null, violation: { tenantId: violator.id, atS: 0 } });
    await sim.start();
    const alert = await waitFor(
      async () => {
        const open = (await (await fetch(`${platform.httpUrl}/api/alerts?state=open&kind=power`)).json()) as Alert[];
        return open.find((a) => a.rule === 'power_stopped');
      },
      { what: 'the shutdown-violation alert', timeoutMs: 25_000, intervalMs: 250 },
    );
    expect(alert).toMatchObject({ tenant: violator.id, level: 'orange', ruleType: 'power', state: 'raised' });
    expect(alert.detail).toMatch(/停产整顿/);
    const all = (await (await fetch(`${platform.httpUrl}/api/alerts?state=open&kind=power`)).json()) as Alert[];
    expect(all.filter((a) => a.rule === 'power_stopped').map((a) => a.tenant)).toEqual([violator.id]);
  });
});
