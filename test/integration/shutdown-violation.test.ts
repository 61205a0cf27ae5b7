import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Alert } from '@lifeline/core';
import { CONFIG_KEYS, loadRegistry, setLogLevel } from '@lifeline/core/node';
import { startTestPlatform, type ApiClient, type TestPlatform } from '../support/platform.js';
import { Simulator } from '../../simulators/src/simulator.js';
import { defaultStoppedEnterprise } from '../../simulators/src/incidents.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';
import { tempDataDir, uniqueDbName } from '../support/services.js';
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
  let t: TestPlatform;
  let duty: ApiClient;
  let sim: Simulator;

  beforeAll(async () => {
    setLogLevel('warn');
    broker = await startPrivateBroker();
    const dataDir = tempDataDir('violation');
    t = await startTestPlatform({
      mqttUrl: broker.url,
      influxUrl: inject('influxUrl'),
      influxDb: uniqueDbName('violation'),
      dataDir,
      rulesPath: quickRules(dataDir),
      logLevel: 'warn',
    });
    duty = await t.login('duty');
  });

  afterAll(async () => {
    await sim?.stop();
    await t?.stop();
    await broker?.stop();
  });

  it('raises "suspected illegal production" for the enterprise under 停产整顿 that draws a working load, and for no other', async () => {
    // Thirty times faster: each meter reports every 2 s; the violation starts at once.
    sim = new Simulator({ url: broker.url, registry, only: ['power'], speed: 30, seed: 3, incident: null, violation: { tenantId: violator.id, atS: 0 } });
    await sim.start();
    const alert = await waitFor(
      async () => {
        const open = (await duty.get<Alert[]>('/alerts?state=open&kind=power')).body;
        return open.find((a) => a.rule === 'power_stopped');
      },
      { what: 'the shutdown-violation alert', timeoutMs: 25_000, intervalMs: 250 },
    );
    expect(alert).toMatchObject({ tenant: violator.id, level: 'orange', ruleType: 'power', state: 'raised' });
    expect(alert.detail).toMatch(/停产整顿/);
    const all = (await duty.get<Alert[]>('/alerts?state=open&kind=power')).body;
    expect(all.filter((a) => a.rule === 'power_stopped').map((a) => a.tenant)).toEqual([violator.id]);
  });
});
