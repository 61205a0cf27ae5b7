/**
 * Publish → `alert` on Socket.IO under background load: one device at a time
 * goes red (60 %LEL), seen by a logged-in admin's socket.
 */
import path from 'node:path';
import mqtt from 'mqtt';
import { io } from 'socket.io-client';
import type { Alert } from '@lifeline/core';
import type { Bench } from './context.js';
import { clearSession } from './consumers.js';
import { figure, percentile, say, sleep } from './report.js';

const PROBE_GAP_MS = 50;

export async function alertLatency(b: Bench, rate: number): Promise<void> {
  const f = b.flags;
  await b.quiet('alerts');
  const db = b.fresh('alerts');
  await b.influx.create(db);
  const clientId = `bench-ingest-${db}`;
  const p = await b.lifeline({ db, registry: b.registry(f.devices), dataDir: path.join(b.dir, db), clientId });
  const cookie = await b.user.login(p.httpUrl);
  const socket = io(p.httpUrl, { transports: ['websocket'], extraHeaders: { cookie } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  socket.on('alert', (a: Alert) => {
    const t = sentAt.get(a.device);
    if (t !== undefined && a.state === 'raised' && a.count === 1) {
      latencies.push(Date.now() - t);
      sentAt.delete(a.device);
    }
  });
  const fleet = await b.fleet(f.devices, f.connections, { probeRate: 0 });
  const prober = await mqtt.connectAsync(b.s.mqttUrl, { clientId: `bench-prober-${db}` });
  await fleet.rate(rate);
  await sleep(2000);
  say(`alerts: ${f.alertProbes} red readings under ${rate}/s background load`);
  for (let i = 0; i < f.alertProbes; i++) {
    const id = `b-${f.devices - 1 - i}`;
    sentAt.set(id, Date.now());
    prober.publish(`lifeline/v1/bench/${id}/telemetry`, JSON.stringify({ values: { ch4: 60 } }), { qos: 1 });
    await sleep(PROBE_GAP_MS);
  }
  await sleep(2000);
  await fleet.end();
  await prober.endAsync();
  socket.close();
  const rss = p.peakRssMb();
  await p.stop();
  await clearSession(b.s.mqttUrl, clientId);
  await b.influx.drop(db);
  figure('alerts.load_msgs_per_s', rate);
  figure('alerts.samples', `${latencies.length}/${f.alertProbes}`);
  figure('alerts.p50_ms', percentile(latencies, 50));
  figure('alerts.p99_ms', percentile(latencies, 99));
  figure('alerts.platform_peak_rss_mb', rss ?? 'n/a');
}
