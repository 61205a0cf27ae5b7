/**
 * CPU cost of one message through ingest (topic, JSON, validation, registry,
 * line protocol, rules) and of the rule engine alone, in microseconds.
 * No broker or database: the writer posts its batches to a local sink that answers 204. Run: node --import tsx bench/ingest-cost.ts
 */
import { createServer } from 'node:http';
import { InfluxWriter, checkRegistry } from '@lifeline/core/node';
import type { Registry } from '@lifeline/core';
import { Ingest, RuleEngine } from '@lifeline/ingest';

const N = 10_000;
const MESSAGES = 300_000;
const reg: Registry = {
  version: 1,
  district: { code: '441803', name: '清新区', city: '清远市', center: [113, 23.7] },
  towns: ['太和镇'],
  tenants: [{ id: 'bench', name: '压测', type: 'utility' }],
  devices: Array.from({ length: N }, (_, i) => ({
    id: `b-${i}`,
    tenant: 'bench',
    kind: 'gas' as const,
    name: `燃气 ${i}`,
    town: '太和镇',
    lon: 113,
    lat: 23.7,
  })),
};
const registry = checkRegistry(reg);
const sink = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
}).listen(0, '127.0.0.1');
await new Promise((r) => sink.once('listening', r));
const port = (sink.address() as { port: number }).port;
const writer = new InfluxWriter({ url: `http://127.0.0.1:${port}`, db: 'x', batchSize: 5000, flushMs: 250, maxBuffered: 10_000_000, concurrency: 2 });
let signals = 0;
const ingest = new Ingest({ mqtt: { url: 'mqtt://127.0.0.1:9', clientId: 'x' }, registry, writer, deadLetterMax: 100, onSignal: () => signals++ });
const topics = reg.devices.map((d) => `lifeline/v1/bench/${d.id}/telemetry`);
const payloads = Array.from({ length: 100 }, (_, i) => Buffer.from(`{"ts":${1_795_000_000_000 + i},"values":{"ch4":${(i % 20) / 10}}}`));

function time(label: string, fn: (i: number) => void, n: number): void {
  for (let i = 0; i < Math.min(n, 20_000); i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
  console.log(`${label}: ${us.toFixed(2)} us/msg (${Math.round(1e6 / us)} msg/s on one core)`);
}

time('ingest.handle_us_per_msg', (i) => ingest.handle(topics[i % N]!, payloads[i % 100]!), MESSAGES);
const engine = new RuleEngine({ lookup: (id) => registry.byId.get(id), onSignal: () => signals++ });
const devs = reg.devices;
time('rules.on_reading_us_per_msg', (i) => engine.onReading(devs[i % N]!, { ts: i, values: { ch4: (i % 20) / 10 } }), MESSAGES);
await writer.close();
console.log(`(signals: ${signals}, lines written to the sink: ${writer.stats.written})`);
process.exit(0);
