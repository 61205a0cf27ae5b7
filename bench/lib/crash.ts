/**
 * Crash and outage: under a paced QoS 1 load, (1) SIGKILL the platform and
 * restart it on the same data dir and MQTT client id, (2) separately, stop
 * InfluxDB and start it again. Each publisher remembers which `(device, ts)`
 * the broker acknowledged (PUBACK); after the drain the stored points are
 * listed and the difference is the exact loss.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bench } from './context.js';
import { clearSession, metrics } from './consumers.js';
import { figure, say, sleep } from './report.js';
import { restartInflux, stopInflux } from './services.js';

/** The incident comes this far into the load, so there is a steady state before and a recovery after. */
const INCIDENT_AT = 0.3;
/** Stored count unchanged this long after the load ends: drained. */
const SETTLED_MS = 10_000;
const DRAIN_MAX_MS = 180_000;

type Scenario = 'kill' | 'outage';

async function scenario(b: Bench, name: Scenario): Promise<void> {
  const f = b.flags;
  await b.quiet(`crash ${name}`);
  const db = b.fresh(`crash_${name}`);
  await b.influx.create(db);
  const opts = { db, registry: b.registry(f.crashDevices), dataDir: path.join(b.dir, db), clientId: `bench-crash-${db}` };
  let p = await b.lifeline(opts);
  const ackedFile = path.join(b.dir, `${db}.acked`);
  const fleet = await b.fleet(f.crashDevices, f.crashConnections, { probeRate: 0, ackedFile });
  const total = f.crashRate * f.crashSeconds;
  say(`crash ${name}: ${total} messages at ${f.crashRate}/s from ${f.crashConnections} connections, ${f.crashDevices} devices`);
  const burst = fleet.burst(f.crashRate, total);
  await burst.started;
  await sleep(f.crashSeconds * 1000 * INCIDENT_AT);
  let incident: string;
  if (name === 'kill') {
    const t0 = Date.now();
    await p.kill();
    say(`crash kill: platform SIGKILLed after ${fleet.latest?.acked ?? '?'} acknowledged; restarting in ${f.restartAfter} s`);
    await sleep(f.restartAfter * 1000);
    p = await b.lifeline(opts);
    incident = `SIGKILL, restarted after ${f.restartAfter} s, healthy again ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill`;
  } else {
    await stopInflux(b.s);
    say(`crash outage: InfluxDB stopped after ${fleet.latest?.acked ?? '?'} acknowledged; starting it in ${f.outageSeconds} s`);
    await sleep(f.outageSeconds * 1000);
    restartInflux(b.s);
    incident = `InfluxDB stopped for ${f.outageSeconds} s`;
  }
  say(`crash ${name}: ${incident}; load continues`);
  await burst.done;
  const end = await fleet.end();

  // Drain: wait for the stored count to settle (InfluxDB's own counters restart with it, so count exactly).
  const drainStart = Date.now();
  let stored = -1;
  let changed = Date.now();
  while (Date.now() - changed < SETTLED_MS && Date.now() - drainStart < DRAIN_MAX_MS) {
    await sleep(1000);
    const n = await b.influx.count(db).catch(() => stored);
    if (n !== stored) [stored, changed] = [n, Date.now()];
    if (stored >= end.acked && Date.now() - changed > 2000) break;
  }
  const keys = await b.influx.keys(db);
  const acked = readFileSync(ackedFile, 'utf8').split('\n').filter(Boolean);
  const lost = acked.filter((k) => !keys.has(k)).length;
  const writer = (await metrics(p.httpUrl, await b.user.login(p.httpUrl)).catch(() => null))?.influx as Record<string, unknown> | undefined;
  await p.stop();
  await clearSession(b.s.mqttUrl, opts.clientId);
  await b.influx.drop(db);

  figure(`crash.${name}.incident`, incident);
  figure(`crash.${name}.published`, end.sent);
  figure(`crash.${name}.acknowledged`, acked.length);
  figure(`crash.${name}.stored`, keys.size);
  figure(`crash.${name}.lost`, lost);
  figure(`crash.${name}.stored_unacknowledged`, keys.size - (acked.length - lost));
  figure(`crash.${name}.drain_s`, ((Date.now() - drainStart) / 1000).toFixed(1));
  if (writer)
    figure(
      `crash.${name}.writer_after`,
      `written ${writer.written} dropped ${writer.dropped} rejected ${writer.rejected} retries ${writer.retries} buffered ${writer.buffered}`,
    );
}

export async function crash(b: Bench): Promise<void> {
  const f = b.flags;
  say(`crash: SIGKILL + restart, then a ${f.outageSeconds} s InfluxDB outage, each under ${f.crashRate}/s QoS ${f.qos} for ${f.crashSeconds} s`);
  await scenario(b, 'kill');
  await scenario(b, 'outage');
  figure(
    'crash.setup',
    `${f.crashRate}/s x ${f.crashSeconds} s, QoS ${f.qos}, ${f.crashDevices} devices over ${f.crashConnections} connections, incident at ${INCIDENT_AT * 100} % of the load`,
  );
}
