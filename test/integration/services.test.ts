import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import mqtt, { connectAsync, type MqttClient } from 'mqtt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureDatabase, influxQuery, pingInflux } from '@lifeline/core/node';
import { createTestDatabase } from '../support/pg.js';
import { freePort, parseUrls, runServicesScript, startServices, uniqueDbName, uniqueName } from '../support/services.js';
import { waitFor } from '../support/wait.js';

const mqttUrl = inject('mqttUrl');
const influxUrl = inject('influxUrl');
const pgUrl = inject('pgUrl');

/** Runs `fn` on a fresh connection to `url`, closed afterwards. */
async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

const withPassword = (url: string, password: string) => {
  const u = new URL(url);
  u.password = password;
  return u.toString();
};

describe('the InfluxDB started by scripts/services.sh', () => {
  const target = { url: influxUrl, db: uniqueDbName('services') };

  beforeAll(async () => {
    await ensureDatabase(target);
  });

  afterAll(async () => {
    await fetch(`${influxUrl}/query?q=${encodeURIComponent(`DROP DATABASE "${target.db}"`)}`, { method: 'POST' });
  });

  it('answers /ping with 204 and its version', async () => {
    const res = await fetch(`${influxUrl}/ping`);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-influxdb-version')).toMatch(/^1\./);
    expect((await pingInflux(target)).ok).toBe(true);
  });

  it('listens on 127.0.0.1 at the port it was given', () => {
    expect(influxUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('stores a line-protocol write and returns it to a query', async () => {
    const ts = Date.now();
    const body = [`telemetry,tenant=city,device=gas-001,kind=gas ch4=12.5 ${ts}`, `telemetry,tenant=city,device=gas-001,kind=gas ch4=13.25 ${ts + 1000}`].join(
      '\n',
    );
    const res = await fetch(`${influxUrl}/write?db=${target.db}&precision=ms`, { method: 'POST', body });
    expect(res.status).toBe(204);

    const series = await influxQuery(target, `SELECT ch4 FROM telemetry WHERE device = 'gas-001' ORDER BY time`);
    expect(series).toHaveLength(1);
    expect(series[0]!.columns).toEqual(['time', 'ch4']);
    expect(series[0]!.values).toEqual([
      [ts, 12.5],
      [ts + 1000, 13.25],
    ]);
  });

  it('refuses a malformed line with a 400 and keeps the database usable', async () => {
    const res = await fetch(`${influxUrl}/write?db=${target.db}`, { method: 'POST', body: 'telemetry ch4=' });
    expect(res.status).toBe(400);
    expect((await pingInflux(target)).ok).toBe(true);
  });
});

describe('the Mosquitto started by scripts/services.sh', () => {
  const clients: MqttClient[] = [];
  const connect = async (opts: Parameters<typeof connectAsync>[1] = {}) => {
    const c = await connectAsync(mqttUrl, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    return c;
  };

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  });

  it('relays a QoS 1 message from one client to another', async () => {
    const topic = `lifeline/v1/${uniqueName('tenant')}/dev-1/telemetry`;
    const sub = await connect({ clientId: uniqueName('sub') });
    const got: { topic: string; payload: string; qos: number }[] = [];
    sub.on('message', (t, payload, packet) => got.push({ topic: t, payload: payload.toString(), qos: packet.qos }));
    const granted = await sub.subscribeAsync(topic, { qos: 1 });
    expect(granted[0]!.qos).toBe(1);

    const pub = await connect({ clientId: uniqueName('pub') });
    const payload = JSON.stringify({ ts: Date.now(), values: { ch4: 12.5 } });
    await pub.publishAsync(topic, payload, { qos: 1 });

    await waitFor(() => got.length === 1, { what: 'the subscriber to receive the QoS 1 message', timeoutMs: 5000 });
    expect(got[0]).toEqual({ topic, payload, qos: 1 });
  });

  it('keeps QoS 1 messages for a persistent session while it is disconnected', async () => {
    const clientId = uniqueName('persistent');
    const topic = `lifeline/v1/${uniqueName('tenant')}/dev-2/event`;

    const first = await connect({ clientId, clean: false });
    await first.subscribeAsync(topic, { qos: 1 });
    await first.endAsync();

    const pub = await connect({ clientId: uniqueName('pub') });
    const payloads = ['one', 'two', 'three'].map((detail) => JSON.stringify({ type: 'fault', detail }));
    for (const p of payloads) await pub.publishAsync(topic, p, { qos: 1 });

    // Handlers go on before the connection opens: the broker sends the queued
    // messages right after its CONNACK.
    const again = mqtt.connect(mqttUrl, { clientId, clean: false, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(again);
    const got: string[] = [];
    again.on('message', (_t, payload) => got.push(payload.toString()));
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
      again.once('connect', resolve);
      again.once('error', reject);
    });
    expect(connack.sessionPresent).toBe(true);

    await waitFor(() => got.length === payloads.length, { what: 'the 3 queued messages after reconnecting', timeoutMs: 5000 });
    expect(got).toEqual(payloads);
  });
});

describe('the PostgreSQL started by scripts/services.sh', () => {
  it('listens on 127.0.0.1 and lets the lifeline superuser into the lifeline database', async () => {
    expect(pgUrl).toMatch(/^postgres:\/\/lifeline:[A-Za-z0-9_-]{32}@127\.0\.0\.1:\d+\/lifeline$/);
    const row = await withPg(
      pgUrl,
      async (c) => (await c.query('SELECT current_user AS who, current_database() AS db, usesuper FROM pg_user WHERE usename = current_user')).rows[0],
    );
    expect(row).toEqual({ who: 'lifeline', db: 'lifeline', usesuper: true });
  });

  it('refuses a wrong password', async () => {
    await expect(withPg(withPassword(pgUrl, 'not-the-password'), (c) => c.query('SELECT 1'))).rejects.toThrow(/password authentication failed/);
  });

  it('gives a test a database of its own, and drops it even with a connection still open', async () => {
    const db = await createTestDatabase(pgUrl, 'services');
    const c = new pg.Client({ connectionString: db.url });
    c.on('error', () => undefined); // the drop ends this connection
    await c.connect();
    await c.query('CREATE TABLE t (x BIGINT)');
    await db.drop();
    const left = await withPg(
      pgUrl,
      async (a) => (await a.query('SELECT 1 FROM pg_database WHERE datname = $1', [new URL(db.url).pathname.slice(1)])).rowCount,
    );
    expect(left).toBe(0);
    await c.end().catch(() => undefined);
  });
});

describe('scripts/services.sh', () => {
  it('starts a second, independent pair beside the shared one, idempotently, and stops it', async () => {
    const own = await startServices();
    try {
      expect(own.influxUrl).not.toBe(influxUrl);
      expect(own.mqttUrl).not.toBe(mqttUrl);
      expect((await fetch(`${own.influxUrl}/ping`)).status).toBe(204);

      // A second start on the same ports changes nothing.
      const args = ['--dir', own.dir, '--mqtt-port', String(own.mqttPort), '--influx-port', String(own.influxPort)];
      const again = await runServicesScript(['start', ...args]);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/mosquitto already running/);
      expect(again.stderr).toMatch(/influxdb already running/);
      expect(parseUrls(again.stdout)).toEqual({ MQTT_URL: own.mqttUrl, INFLUX_URL: own.influxUrl });

      const status = await runServicesScript(['status', '--dir', own.dir]);
      expect(status.code).toBe(0);

      await runServicesScript(['stop', '--dir', own.dir]);
      const after = await runServicesScript(['status', '--dir', own.dir]);
      expect(after.code).toBe(3);
      await expect(fetch(`${own.influxUrl}/ping`)).rejects.toThrow();
      // The shared pair is untouched.
      expect((await fetch(`${influxUrl}/ping`)).status).toBe(204);
    } finally {
      await own.stop();
    }
  });

  it('starts a private PostgreSQL idempotently, restarts it on another port keeping its data, and stops it', { timeout: 120_000 }, async () => {
    const own = await startServices({ mqtt: false, pg: true });
    try {
      const url = own.databaseUrl!;
      expect(url).not.toBe(pgUrl);
      const password = readFileSync(path.join(own.dir, 'postgres/password'), 'utf8');
      expect(new URL(url).password).toBe(password);
      expect(statSync(path.join(own.dir, 'postgres/password')).mode & 0o777).toBe(0o600);
      await withPg(url, (c) => c.query(`CREATE TABLE kept (x BIGINT); INSERT INTO kept VALUES (42)`));

      // A second start on the same ports changes nothing.
      const args = (pgPort: number) => ['--dir', own.dir, '--no-mqtt', '--influx-port', String(own.influxPort), '--pg-port', String(pgPort)];
      const again = await runServicesScript(['start', ...args(own.pgPort!)]);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/postgres already running/);
      expect(parseUrls(again.stdout)).toEqual({ INFLUX_URL: own.influxUrl, DATABASE_URL: url });

      const status = await runServicesScript(['status', ...args(own.pgPort!)]);
      expect(status.code).toBe(0);
      expect(parseUrls(status.stdout).DATABASE_URL).toBe(url);

      // Another port: restarted there, with a client still connected (a fast
      // shutdown ends it rather than waiting), same password, same data.
      const held = new pg.Client({ connectionString: url });
      held.on('error', () => undefined);
      await held.connect();
      let otherPort = await freePort();
      while (otherPort === own.influxPort || otherPort === own.pgPort) otherPort = await freePort();
      const moved = await runServicesScript(['start', ...args(otherPort)]);
      await held.end().catch(() => undefined);
      expect(moved.code, moved.stderr).toBe(0);
      expect(moved.stderr).toMatch(/postgres from .* runs on port \d+, restarting it on \d+/);
      const movedUrl = parseUrls(moved.stdout).DATABASE_URL!;
      expect(movedUrl).toBe(url.replace(`:${own.pgPort}/`, `:${otherPort}/`));
      expect(await withPg(movedUrl, async (c) => (await c.query('SELECT x FROM kept')).rows)).toEqual([{ x: '42' }]);

      const t = Date.now();
      const stopped = await runServicesScript(['stop', '--dir', own.dir]);
      expect(stopped.stderr).toMatch(/postgres stopped/);
      expect(Date.now() - t).toBeLessThan(10_000);
      const after = await runServicesScript(['status', ...args(otherPort)]);
      expect(after.code).toBe(3);
      await expect(withPg(movedUrl, (c) => c.query('SELECT 1'))).rejects.toThrow();
      // The shared one is untouched.
      expect(await withPg(pgUrl, async (c) => (await c.query('SELECT 1 AS one')).rows)).toEqual([{ one: 1 }]);
    } finally {
      await own.stop();
    }
  });
});
