/**
 * The simulator feeds every device with its own credential: a platform with
 * the embedded broker (which refuses anonymous clients), a credential issued
 * for every registry device, the credentials file in the simulator's format,
 * and the simulator's CLI run with it; the duty officer's dashboard sees the
 * devices come online, and go offline again when the simulator stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialsFile } from '@lifeline/core';
import type { TestPlatform } from '../support/platform.js';
import { REPO_ROOT, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startBrowserPlatform, type BrowserPlatform } from './browser-platform.js';
import { logInAs, registry, screenshot, type PageWatch } from './dashboard-page.js';

const DEVICES = registry.devices.length;
/** "Online" in the header: at least this share of the devices within ONLINE_WITHIN_MS of the simulator's start. */
const ONLINE_SHARE = 0.9;
const ONLINE_WITHIN_MS = 30_000;

describe('the simulator on the embedded broker, each device with its own credential', () => {
  let b: BrowserPlatform;
  let t: TestPlatform;
  let page: Page;
  let watch: PageWatch;
  let dir: string;
  let sim: ChildProcess | null = null;
  let simOutput = '';

  const stat = async (id: string) => Number(await page.textContent(`#${id}`));

  beforeAll(async () => {
    b = await startBrowserPlatform({ db: 'browser_sim', embeddedBroker: true });
    ({ t, page, watch } = b);
    // What `npm run users -- credentials issue --all` does: one device credential per registry device.
    const plans = registry.devices.map((d) => ({ username: d.id, kind: 'device' as const, tenant: d.tenant, devices: [d.id] }));
    const secrets = await t.platform.store.credentials.issueMany(plans);
    dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-sim-creds-'));
    const file: CredentialsFile = {
      version: 1,
      credentials: plans.map((p) => ({ username: p.username, secret: secrets.get(p.username)!, tenant: p.tenant, devices: p.devices })),
    };
    writeFileSync(path.join(dir, 'credentials.json'), JSON.stringify(file), { mode: 0o600 });
  }, 240_000);

  afterAll(async () => {
    if (sim && sim.exitCode === null && sim.signalCode === null) {
      sim.kill('SIGKILL');
      await new Promise((r) => sim!.once('exit', r));
    }
    await b?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an anonymous client: only credentials get in', async () => {
    expect(t.platform.config.mqttUrl).toBeNull();
    const refused = await mqtt.connectAsync(t.platform.mqttUrl, { clientId: uniqueName('anon'), reconnectPeriod: 0, connectTimeout: 5000 }).then(
      async (c) => (await c.endAsync(true), 'accepted'),
      (err: { code?: number }) => `refused ${err.code}`,
    );
    expect(refused).toMatch(/^refused [245]$/);
  });

  it("shows every device online in the duty officer's dashboard while the simulator runs, and offline once it stops", async () => {
    await page.goto(t.url);
    await logInAs(page, 'duty');
    expect(await stat('stat-total')).toBe(DEVICES);
    expect(await stat('stat-online')).toBe(0);

    sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'simulators/src/cli.ts',
        '--url',
        t.platform.mqttUrl,
        '--credentials',
        path.join(dir, 'credentials.json'),
        '--no-incident',
        '--speed',
        '10',
        '--quiet',
      ],
      // The packages' sources, as the tests use them: no build needed.
      { cwd: REPO_ROOT, env: { ...process.env, TSX_TSCONFIG_PATH: 'test/tsconfig.json', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    sim.stdout!.on('data', (b: Buffer) => (simOutput += b.toString()));
    sim.stderr!.on('data', (b: Buffer) => (simOutput += b.toString()));
    const exited = new Promise<number | null>((r) => sim!.once('exit', (code) => r(code)));

    // One connection per device, each logging in as that device.
    await waitFor(() => /connecting \d+ devices/.test(simOutput) || sim!.exitCode !== null, { timeoutMs: 20_000, what: 'the simulator to start' });
    expect(simOutput).toMatch(new RegExp(`connecting ${DEVICES} devices from .* over ${DEVICES} connections`));
    const want = Math.ceil(DEVICES * ONLINE_SHARE);
    await waitFor(async () => (await stat('stat-online')) >= want || sim!.exitCode !== null, {
      timeoutMs: ONLINE_WITHIN_MS,
      what: `${want} of ${DEVICES} devices online in the header`,
    });
    expect(sim.exitCode, simOutput).toBeNull();
    expect(await stat('stat-online')).toBeGreaterThanOrEqual(want);
    await screenshot(page, 'simulator-online.png');
    expect(simOutput).not.toMatch(/refused/);

    // SIGTERM: every device is announced offline on its own connection before the simulator exits.
    sim.kill('SIGTERM');
    expect(await exited, simOutput).toBe(0);
    expect(simOutput).toMatch(/stopped: \d+ messages sent/);
    expect(simOutput).not.toMatch(/connections refused/);
    await waitFor(async () => (await stat('stat-offline')) >= want, { timeoutMs: 15_000, what: `${want} devices offline in the header after the stop` });
    expect(watch.errors).toEqual([]);
    expect(watch.csp).toEqual([]);
  }, 90_000);
});
