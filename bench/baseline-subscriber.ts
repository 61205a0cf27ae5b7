/**
 * The bare baseline: an mqtt.js subscriber that only parses JSON and writes
 * 5,000-line batches to InfluxDB. No validation, registry, rules or alerts,
 * and every QoS 1 message acknowledged on receipt (mqtt.js's default).
 *   node --import tsx bench/baseline-subscriber.ts <mqttUrl> <influxUrl> <db>
 * Prints READY on stdout once subscribed. Its session is clean: nothing queues
 * for it on the broker once it has gone, so it cannot load the next run.
 */
import mqtt from 'mqtt';
import { ensureDatabase } from '@lifeline/core/node';

const [url, influx, db] = process.argv.slice(2) as [string, string, string];
const BATCH = 5000;
let lines: string[] = [];
let inFlight = 0;

await ensureDatabase({ url: influx, db });

function flush(): void {
  if (!lines.length) return;
  const body = lines.join('\n');
  lines = [];
  inFlight++;
  void fetch(`${influx}/write?db=${db}&precision=ms`, { method: 'POST', body })
    .then((r) => r.arrayBuffer())
    .catch((err) => process.stderr.write(`baseline write failed: ${err}\n`))
    .finally(() => inFlight--);
}

const client = await mqtt.connectAsync(url, { clientId: `bench-baseline-${process.pid}`, clean: true });
client.on('message', (topic, payload) => {
  const parts = topic.split('/');
  const m = JSON.parse(payload.toString()) as { ts: number; values: Record<string, number> };
  let fields = '';
  for (const [k, v] of Object.entries(m.values)) fields += `${fields ? ',' : ''}${k}=${v}`;
  lines.push(`telemetry,tenant=${parts[2]},device=${parts[3]} ${fields} ${m.ts}`);
  if (lines.length >= BATCH) flush();
});
setInterval(flush, 250);
await client.subscribeAsync('lifeline/v1/+/+/telemetry', { qos: 1 });
process.stdout.write('READY\n');
void inFlight;
