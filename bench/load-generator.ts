/**
 * A fleet of simulated devices for benchmarks: many MQTT connections, each
 * publishing QoS 0 telemetry for its share of devices, at a target rate.
 * Connections are opened with mqtt.js; PUBLISH packets are then encoded here
 * and written straight to each socket, so the generator costs the machine as
 * little as possible and the thing measured is the broker and what subscribes.
 * Run as its own process so it does not share an event loop with what it loads.
 *   node --import tsx bench/load-generator.ts <mqttUrl> <registry.json> <connections> <ratePerS> <total>
 * Prints `READY` on stdout once connected (publishing starts then), and a JSON summary at the end.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { Registry } from '@lifeline/core';

const [url, registryPath, connArg, rateArg, totalArg] = process.argv.slice(2);
if (!url || !registryPath) {
  console.error('usage: load-generator <mqttUrl> <registry.json> <connections> <ratePerS> <total>');
  process.exit(2);
}
const connections = Number(connArg ?? 1000);
const rate = Number(rateArg ?? 10_000);
const total = Number(totalArg ?? 100_000);
const TICK_MS = 10;

const registry = JSON.parse(readFileSync(registryPath, 'utf8')) as Registry;
const devices = registry.devices;
const lastTs = new Map<string, number>();

async function connectAll(): Promise<MqttClient[]> {
  const clients: MqttClient[] = [];
  for (let i = 0; i < connections; i += 100) {
    const batch = Array.from({ length: Math.min(100, connections - i) }, (_, j) =>
      mqtt.connectAsync(url!, { clientId: `bench-dev-${process.pid}-${i + j}`, clean: true, reconnectPeriod: 0, keepalive: 300 }),
    );
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

/** An MQTT 3.1.1 PUBLISH, QoS 0. */
function publishPacket(topic: string, payload: string): Buffer {
  const t = Buffer.from(topic);
  const p = Buffer.from(payload);
  let remaining = 2 + t.length + p.length;
  const len: number[] = [];
  do {
    let byte = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) byte |= 0x80;
    len.push(byte);
  } while (remaining > 0);
  return Buffer.concat([Buffer.from([0x30, ...len, t.length >> 8, t.length & 0xff]), t, p]);
}

const clients = await connectAll();
process.stdout.write('READY\n');
process.stderr.write(`load: ${clients.length} connections, ${devices.length} devices, target ${rate}/s, ${total} messages\n`);
let sent = 0;
let nextClient = 0;
const cursor: number[] = [];
const PER_WRITE = 50;
const started = Date.now();
let carry = 0;
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    carry += (rate * TICK_MS) / 1000;
    const n = Math.min(Math.floor(carry), total - sent);
    carry -= n;
    // A rotating slice of connections sends each tick, ~50 messages per socket write:
    // one write per message would make the generator, not the system under test, the bottleneck.
    const now = Date.now();
    const writers = Math.max(1, Math.min(clients.length, Math.ceil(n / PER_WRITE)));
    for (let w = 0; w < writers; w++) {
      const c = nextClient++ % clients.length;
      const share = Math.floor(n / writers) + (w < n % writers ? 1 : 0);
      const pkts: Buffer[] = [];
      for (let k = 0; k < share; k++) {
        // Connection c owns devices c, c + C, c + 2C, …
        const owned = Math.ceil((devices.length - c) / clients.length);
        const slot = (cursor[c] = ((cursor[c] ?? 0) + 1) % owned);
        const dev = devices[c + slot * clients.length]!;
        // Distinct times per device, or InfluxDB would keep one point of two in the same ms.
        const ts = Math.max(now, (lastTs.get(dev.id) ?? 0) + 1);
        lastTs.set(dev.id, ts);
        pkts.push(publishPacket(`lifeline/v1/${dev.tenant}/${dev.id}/telemetry`, `{"ts":${ts},"values":{"ch4":${(Math.random() * 2).toFixed(2)}}}`));
      }
      if (pkts.length) clients[c]!.stream.write(Buffer.concat(pkts));
    }
    sent += n;
    if (sent >= total) {
      clearInterval(timer);
      resolve();
    }
  }, TICK_MS);
});
const elapsed = (Date.now() - started) / 1000;
// Let the sockets drain before closing.
await new Promise((r) => setTimeout(r, 500));
await Promise.all(clients.map((c) => c.endAsync()));
process.stdout.write(JSON.stringify({ sent, elapsedS: elapsed, publishRate: Math.round(sent / elapsed) }) + '\n');
