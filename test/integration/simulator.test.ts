import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deviceEvent, parseTopic, telemetryPayload, type Device, type Registry } from '@lifeline/core';
import { CONFIG_KEYS, loadRegistry, setLogLevel } from '@lifeline/core/node';
import { Simulator } from '../../simulators/src/simulator.js';
import { freePort, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { startPrivateBroker, type PrivateBroker } from '../support/private-broker.js';

const sample = loadRegistry(CONFIG_KEYS.registryPath.default);

interface Received {
  topic: string;
  tenant: string;
  device: string;
  channel: string;
  payload: string;
  retain: boolean;
}

/** A few devices of the sample under tenant ids of their own, so parallel tests on the broker never mix. */
function smallRegistry(): Registry {
  const tag = uniqueName('sim');
  const stopped = sample.tenants.find((t) => t.enterprise?.state === 'stopped')!;
  const picks: Device[] = [
    sample.devices.find((d) => d.kind === 'gas' && d.town === '太和镇' && d.name.includes('厨房') && !d.thresholds)!,
    sample.devices.find((d) => d.kind === 'fire_panel')!,
    sample.devices.find((d) => d.tenant === stopped.id)!,
    sample.devices.find((d) => d.kind === 'water_pressure')!,
  ];
  const rename = (id: string) => `${id}-${tag}`.slice(0, 64);
  const tenantIds = new Set(picks.map((d) => d.tenant));
  return {
    ...sample,
    tenants: sample.tenants.filter((t) => tenantIds.has(t.id)).map((t) => ({ ...t, id: rename(t.id) })),
    devices: picks.map((d) => ({ ...d, tenant: rename(d.tenant) })),
  };
}

function listen(url: string, tenants: Set<string>): Promise<{ client: MqttClient; got: Received[] }> {
  const client = mqtt.connect(url, { clientId: uniqueName('sub') });
  const got: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    const t = parseTopic(topic);
    if (t.ok && tenants.has(t.tenant)) got.push({ topic, ...t, payload: payload.toString(), retain: packet.retain });
  });
  return new Promise((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => client.subscribe('lifeline/v1/+/+/+', { qos: 1 }, (err) => (err ? reject(err) : resolve({ client, got }))));
  });
}

describe('Simulator', () => {
  let url: string;
  const cleanup: (() => Promise<unknown> | void)[] = [];
  let broker: PrivateBroker;
  beforeAll(async () => {
    setLogLevel('warn');
    // A broker of its own: the simulator's feeds would otherwise reach other test files' platforms.
    broker = await startPrivateBroker();
    url = broker.url;
  });
  afterAll(async () => {
    await broker?.stop();
  });
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('announces every device online, publishes valid telemetry on the contract topics and runs the leak and the fire', async () => {
    const registry = smallRegistry();
    const tenants = new Set(registry.tenants.map((t) => t.id));
    const sub = await listen(url, tenants);
    cleanup.push(() => sub.client.endAsync());
    const gas = registry.devices[0]!;
    const panel = registry.devices[1]!;
    const sim = new Simulator({ url, registry, speed: 60, seed: 1, incident: { deviceId: gas.id, atS: 0 }, fire: { deviceId: panel.id, atS: 30 } });
    cleanup.push(() => sim.stop());
    await sim.start();
    expect(sim.stats().connections).toBe(tenants.size);

    const ch4 = (r: Received) => (r.device === gas.id && r.channel === 'telemetry' ? (JSON.parse(r.payload).values.ch4 as number) : 0);
    await waitFor(() => sub.got.some((r) => ch4(r) >= 50), { timeoutMs: 15_000, what: 'the leak to reach red (≥ 50 %LEL)' });
    await waitFor(() => sub.got.some((r) => r.device === panel.id && r.channel === 'event' && r.payload.includes('"fire"')), {
      what: 'a fire event from the panel',
    });

    for (const d of registry.devices) {
      expect(sub.got.find((r) => r.device === d.id && r.channel === 'status')?.payload, d.id).toBe('online');
      expect(sub.got.every((r) => r.device !== d.id || r.tenant === d.tenant)).toBe(true);
    }
    for (const r of sub.got) {
      if (r.channel === 'telemetry') expect(telemetryPayload.check(JSON.parse(r.payload)).ok, r.payload).toBe(true);
      if (r.channel === 'event') expect(deviceEvent.check(JSON.parse(r.payload)).ok, r.payload).toBe(true);
    }
    // The leak passes every level on the way up, in order.
    const levels = sub.got.map(ch4).filter((v) => v > 0);
    const firstAt = (bound: number) => levels.findIndex((v) => v >= bound);
    expect(firstAt(5)).toBeLessThan(firstAt(10));
    expect(firstAt(10)).toBeLessThan(firstAt(25));
    expect(firstAt(25)).toBeLessThan(firstAt(50));
    expect(sim.stats().incident?.stage).toBe('red');
  });

  it('leaves every device retained offline after a clean stop', async () => {
    const registry = smallRegistry();
    const sim = new Simulator({ url, registry, speed: 10, incident: null });
    await sim.start();
    await sim.stop();
    const sub = await listen(url, new Set(registry.tenants.map((t) => t.id)));
    cleanup.push(() => sub.client.endAsync());
    await waitFor(() => sub.got.filter((r) => r.channel === 'status').length >= registry.devices.length, { what: 'retained statuses' });
    for (const r of sub.got.filter((x) => x.channel === 'status')) {
      expect(r.retain).toBe(true);
      expect(r.payload).toBe('offline');
    }
  });

  it('fails to start with an error naming the broker URL when nothing listens there', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const sim = new Simulator({ url: dead, registry: smallRegistry(), connectTimeoutMs: 3000 });
    await expect(sim.start()).rejects.toThrow(`cannot connect to the MQTT broker at ${dead}`);
  });

  it('refuses an incident device that is not in the registry', () => {
    expect(() => new Simulator({ url: 'mqtt://127.0.0.1:1', registry: sample, incident: { deviceId: 'gas-9999', atS: 0 } })).toThrow(
      /device "gas-9999" is not in the registry/,
    );
  });
});
