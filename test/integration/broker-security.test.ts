/**
 * Device credentials on both brokers: the embedded Aedes (EmbeddedBroker with
 * DeviceAuthenticator) and a private Mosquitto started by scripts/services.sh
 * with --mqtt-auth-dir, whose files writeMosquittoAuth generates. The same
 * store of credentials and the same attempts go to each; where the two
 * brokers refuse differently (Aedes closes on a refused publish, Mosquitto
 * acknowledges and drops it) the test asserts what matters to the platform:
 * the ingest subscriber never receives what was refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceAuthenticator } from '../../server/src/auth/device-auth.js';
import { reloadMosquitto, writeMosquittoAuth } from '../../server/src/auth/mosquitto-files.js';
import { EmbeddedBroker } from '../../server/src/broker.js';
import { hashDeviceSecret } from '../../server/src/store/secrets.js';
import { MemoryCredentialStore } from '../support/memory-credentials.js';
import { SERVICES_DIR_PREFIX, freePort, runServicesScript, uniqueName } from '../support/services.js';
import { sleep, waitFor } from '../support/wait.js';

/** Mosquitto's max_packet_size in deploy/mosquitto-secure.conf, and the embedded broker's cap. */
const CAP = 65_536;
const INGEST = { username: 'lifeline-ingest', secret: randomBytes(24).toString('base64url'), clientId: 'lifeline-ingest' };

interface Cred {
  username: string;
  secret: string;
}

interface BrokerUnderTest {
  url: string;
  /** What a wrong secret gets in CONNACK (Mosquitto 2.0 answers 5 to every refused login). */
  wrongSecretCode: number;
  /** Makes the broker take the store's current credentials. */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

async function embedded(store: MemoryCredentialStore): Promise<BrokerUnderTest> {
  const auth = new DeviceAuthenticator(store, INGEST, { maxPayloadBytes: CAP });
  const broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, auth, maxPacketBytes: CAP });
  await broker.start();
  return { url: broker.url, wrongSecretCode: 4, sync: async () => undefined, stop: () => broker.stop() };
}

async function mosquitto(store: MemoryCredentialStore): Promise<BrokerUnderTest> {
  const dir = mkdtempSync(path.join(os.tmpdir(), SERVICES_DIR_PREFIX));
  writeFileSync(path.join(dir, 'owner.pid'), String(process.pid));
  const authDir = path.join(dir, 'auth');
  const write = async () =>
    writeMosquittoAuth(authDir, { credentials: await store.list(), ingest: { username: INGEST.username, secretHash: hashDeviceSecret(INGEST.secret) } });
  await write();
  const [mqttPort, influxPort] = [await freePort(), await freePort()];
  const args = ['start', '--dir', dir, '--mqtt-port', String(mqttPort), '--influx-port', String(influxPort), '--mqtt-auth-dir', authDir];
  const res = await runServicesScript(args);
  const stop = async () => {
    await runServicesScript(['stop', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  if (res.code !== 0) {
    await stop();
    throw new Error(`services.sh ${args.join(' ')} exited ${res.code}:\n${res.stderr}`);
  }
  const log = path.join(dir, 'mosquitto/mosquitto.log');
  return {
    url: `mqtt://127.0.0.1:${mqttPort}`,
    wrongSecretCode: 5,
    async sync() {
      const before = readFileSync(log, 'utf8').split('\n').length;
      if ((await write()).changed) reloadMosquitto(path.join(dir, 'mosquitto/mosquitto.pid'));
      // Mosquitto logs the reload when it has re-read the files.
      await waitFor(
        () =>
          readFileSync(log, 'utf8')
            .split('\n')
            .slice(before - 1)
            .some((l) => /Reloading config/.test(l)),
        { what: 'Mosquitto to reload its files' },
      );
    },
    stop,
  };
}

/** Connects as `c` (client id = username, as the brokers want) or as nobody. */
function connect(url: string, c: Cred | null, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(c ? { clientId: c.username, username: c.username, password: c.secret } : { clientId: uniqueName('anon') }),
    ...extra,
  });
}

/** The CONNACK code of a refused connect, or 0 when it was accepted. */
async function connackCode(url: string, c: Cred | null, extra: mqtt.IClientOptions = {}): Promise<number> {
  try {
    const client = await connect(url, c, extra);
    await client.endAsync(true);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/**
 * Publishes once on a connection of its own (QoS 1) and resolves when the
 * broker has dealt with it: acknowledged (Mosquitto also acknowledges what
 * it drops) or closed the connection (Aedes on a refusal; both on an
 * oversize packet).
 */
async function attempt(url: string, c: Cred, topic: string, payload: string | Buffer, retain = false): Promise<'acked' | 'closed'> {
  const client = await connect(url, c);
  const outcome = await new Promise<'acked' | 'closed'>((resolve) => {
    client.once('close', () => resolve('closed'));
    client.publish(topic, payload, { qos: 1, retain }, (err) => resolve(err ? 'closed' : 'acked'));
  });
  client.end(true);
  return outcome;
}

const topicOf = (tenant: string, device: string, channel = 'telemetry') => `lifeline/v1/${tenant}/${device}/${channel}`;

describe.each([
  ['the embedded Aedes broker', embedded],
  ['Mosquitto with --mqtt-auth-dir', mosquitto],
] as const)('%s', (_name, start) => {
  const store = new MemoryCredentialStore();
  const creds: Record<string, Cred> = {};
  let broker: BrokerUnderTest;
  let ingest: MqttClient;
  let ingestCloses = 0;
  /** Payload → topic of everything ingest received. */
  const received = new Map<string, string>();

  const issue = async (username: string, tenant: string, devices = [username]) => {
    const secret = await store.issue({ username, kind: devices.length === 1 && devices[0] === username ? 'device' : 'gateway', tenant, devices });
    creds[username] = { username, secret };
    return creds[username]!;
  };

  /** Publishes a marker on `c`'s own topic and waits for ingest to get it: whatever the broker took before has been delivered by then. */
  const barrier = async (c: Cred, tenant: string) => {
    const marker = uniqueName('marker');
    expect(await attempt(broker.url, c, topicOf(tenant, c.username), marker)).toBe('acked');
    await waitFor(() => received.has(marker), { what: `the marker on ${topicOf(tenant, c.username)}` });
    await sleep(100);
  };

  beforeAll(async () => {
    await issue('gas-a', 'qx-gas');
    await issue('gas-b', 'qx-gas');
    await issue('city-c', 'city');
    await issue('gw-1', 'qx-fire', ['smoke-1', 'smoke-2']);
    broker = await start(store);
    ingest = await connect(broker.url, { username: INGEST.username, secret: INGEST.secret }, { clientId: INGEST.clientId });
    ingest.on('message', (topic, payload) => received.set(payload.toString(), topic));
    ingest.on('close', () => ingestCloses++);
    await ingest.subscribeAsync('lifeline/v1/#', { qos: 1 });
  });

  afterAll(async () => {
    await ingest?.endAsync(true);
    await broker?.stop();
  });

  it('refuses an anonymous CONNECT', async () => {
    expect(await connackCode(broker.url, null)).toBe(5);
  });

  it('refuses a wrong secret, and an unknown username the same way', async () => {
    expect(await connackCode(broker.url, { username: 'gas-a', secret: 'not-the-secret-of-gas-a' })).toBe(broker.wrongSecretCode);
    expect(await connackCode(broker.url, { username: 'nobody', secret: creds['gas-a']!.secret })).toBe(broker.wrongSecretCode);
  });

  it("delivers a device's own topic and never another device's, in its tenant or another", async () => {
    const a = creds['gas-a']!;
    const forbidden = [topicOf('qx-gas', 'gas-b'), topicOf('city', 'city-c'), topicOf('city', 'gas-a'), topicOf('qx-gas', 'gas-b', 'status')];
    const payloads = forbidden.map(() => uniqueName('forbidden'));
    for (const [i, topic] of forbidden.entries()) await attempt(broker.url, a, topic, payloads[i]!);
    const own = uniqueName('own');
    expect(await attempt(broker.url, a, topicOf('qx-gas', 'gas-a'), own)).toBe('acked');
    await waitFor(() => received.get(own), { what: "gas-a's own telemetry" });
    await barrier(creds['gas-b']!, 'qx-gas');
    for (const p of payloads) expect(received.has(p)).toBe(false);
  });

  it('lets a gateway publish for its devices only', async () => {
    const gw = creds['gw-1']!;
    const ok = [uniqueName('s1'), uniqueName('s2')];
    expect(await attempt(broker.url, gw, topicOf('qx-fire', 'smoke-1'), ok[0]!)).toBe('acked');
    expect(await attempt(broker.url, gw, topicOf('qx-fire', 'smoke-2', 'event'), ok[1]!)).toBe('acked');
    const bad = uniqueName('s3');
    await attempt(broker.url, gw, topicOf('qx-fire', 'smoke-3'), bad);
    await waitFor(() => ok.every((p) => received.has(p)), { what: "the gateway's messages" });
    await barrier(creds['gas-a']!, 'qx-gas');
    expect(received.has(bad)).toBe(false);
  });

  it('never delivers anything to a device that subscribes to #', async () => {
    const spy = await connect(broker.url, creds['city-c']!);
    const got: string[] = [];
    spy.on('message', (t) => got.push(t));
    // Aedes answers SUBACK 0x80. Mosquitto's acl_file does not check SUBSCRIBE
    // (it grants it) but checks "read" on every message it would deliver.
    const suback = await spy.subscribeAsync('#', { qos: 1 }).then(
      (granted) => granted[0]?.qos,
      (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
    );
    if (start === embedded) expect(suback).toBe(0x80);
    await barrier(creds['gas-a']!, 'qx-gas');
    expect(spy.connected).toBe(true);
    expect(got).toEqual([]);
    await spy.endAsync(true);
  });

  it("does not let a device using ingest's client id disconnect ingest", async () => {
    const closesBefore = ingestCloses;
    const a = creds['gas-a']!;
    // Aedes refuses the client id (CONNACK 2); Mosquitto replaces it with the username.
    const code = await connackCode(broker.url, a, { clientId: INGEST.clientId });
    if (start === embedded) expect(code).toBe(2);
    await sleep(200);
    expect(ingest.connected).toBe(true);
    expect(ingestCloses).toBe(closesBefore);
    await barrier(a, 'qx-gas');
  });

  it('refuses a packet over the cap without delivering it, headers counted', async () => {
    // The payload alone is under the cap; with the topic and headers the packet is not.
    const big = Buffer.alloc(CAP - 8, 'x');
    const marker = uniqueName('big');
    big.write(marker);
    expect(await attempt(broker.url, creds['gas-a']!, topicOf('qx-gas', 'gas-a'), big)).toBe('closed');
    await barrier(creds['gas-a']!, 'qx-gas');
    expect([...received.keys()].some((p) => p.startsWith(marker))).toBe(false);
  });

  it("never delivers a last will on another device's topic", async () => {
    const will = uniqueName('will');
    const a = creds['gas-a']!;
    const options = { will: { topic: topicOf('qx-gas', 'gas-b', 'status'), payload: Buffer.from(will), qos: 1 as const, retain: true } };
    // Aedes refuses the CONNECT (5); Mosquitto accepts it and refuses the will when it fires.
    const client = await connect(broker.url, a, options).catch((err: { code?: number }) => err.code ?? -1);
    if (start === embedded) expect(client).toBe(5);
    if (typeof client !== 'number') client.stream.destroy(); // an unclean drop: the broker would publish the will
    await barrier(creds['gas-b']!, 'qx-gas');
    expect(received.has(will)).toBe(false);
  });

  it('admits a credential issued while the broker runs, and cuts it off once disabled', async () => {
    const d = await issue('gas-new', 'qx-gas');
    await broker.sync();
    const m = uniqueName('new');
    expect(await attempt(broker.url, d, topicOf('qx-gas', 'gas-new'), m)).toBe('acked');
    await waitFor(() => received.has(m), { what: "the new device's telemetry" });
    const live = await connect(broker.url, d);
    let closed = false;
    live.on('close', () => (closed = true));
    await store.setDisabled('gas-new', true);
    await broker.sync();
    // Mosquitto re-checks connected clients on SIGHUP; the embedded broker within refreshMs (2 s).
    await waitFor(() => closed, { what: "the disabled credential's connection to end", timeoutMs: 5000 });
    expect(await connackCode(broker.url, d)).toBe(broker.wrongSecretCode);
    live.end(true);
  });

  it('kept ingest connected throughout', () => {
    expect(ingestCloses).toBe(0);
    expect(ingest.connected).toBe(true);
  });

  // `topic read lifeline/v1/#` covers a shared subscription: Mosquitto checks
  // each delivered message's topic, not the filter. (Aedes has no $share.)
  it.runIf(start === mosquitto)("delivers to ingest's shared subscription ($share/ingest/lifeline/v1/#)", async () => {
    await ingest.endAsync(true); // one connection per username: a second would replace it
    const worker = await connect(broker.url, { username: INGEST.username, secret: INGEST.secret }, { clientId: `${INGEST.clientId}-1` });
    const got = new Set<string>();
    worker.on('message', (_t, p) => got.add(p.toString()));
    expect((await worker.subscribeAsync('$share/ingest/lifeline/v1/#', { qos: 1 }))[0]?.qos).toBe(1);
    const m = uniqueName('shared');
    expect(await attempt(broker.url, creds['gas-a']!, topicOf('qx-gas', 'gas-a'), m)).toBe('acked');
    await waitFor(() => got.has(m), { what: 'the message through the shared subscription' });
    await worker.endAsync(true);
  });
});

describe('the generated Mosquitto files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lifeline-auth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ingest = { username: INGEST.username, secretHash: hashDeviceSecret(INGEST.secret) };
  const cred = (username: string, over: Partial<Parameters<typeof writeMosquittoAuth>[1]['credentials'][number]> = {}) => ({
    username,
    kind: 'device' as const,
    tenant: 't1',
    devices: [username],
    secretHash: hashDeviceSecret('s'),
    createdAt: 0,
    rotatedAt: 0,
    disabled: false,
    ...over,
  });

  it('are readable by their owner only, and name each device topic of each credential', () => {
    const r = writeMosquittoAuth(dir, { credentials: [cred('d-2'), cred('d-1'), cred('off', { disabled: true })], ingest });
    expect(r).toMatchObject({ written: 2, skipped: [], changed: true });
    for (const f of [r.passwdFile, r.aclFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(
      readFileSync(r.passwdFile, 'utf8')
        .split('\n')
        .map((l) => l.split(':')[0]),
    ).toEqual([INGEST.username, 'd-1', 'd-2', '']);
    const acl = readFileSync(r.aclFile, 'utf8');
    expect(acl).toContain(`user ${INGEST.username}\ntopic read lifeline/v1/#\n`);
    expect(acl).toContain('user d-1\ntopic write lifeline/v1/t1/d-1/telemetry\ntopic write lifeline/v1/t1/d-1/event\ntopic write lifeline/v1/t1/d-1/status\n');
    expect(acl).not.toContain('off');
  });

  it('leave out, and report, a credential that cannot be written safely', () => {
    const r = writeMosquittoAuth(dir, {
      credentials: [
        cred('ok'),
        cred('bad name'),
        cred('x', { tenant: 'a/b' }),
        cred('y', { devices: ['#'] }),
        cred(INGEST.username),
        cred('z', { secretHash: 'plain' }),
      ],
      ingest,
    });
    expect(r.written).toBe(1);
    expect(r.skipped.map((s) => s.username)).toEqual(['bad name', INGEST.username, 'x', 'y', 'z']);
    expect(readFileSync(r.aclFile, 'utf8')).not.toMatch(/a\/b|#\/|bad name/);
  });

  it('are not rewritten when nothing changed, the ingest password given in clear included', () => {
    const credentials = [cred('ok')];
    const input = { credentials, ingest };
    writeMosquittoAuth(dir, input);
    expect(writeMosquittoAuth(dir, input).changed).toBe(false);
    const clear = { credentials, ingest: { username: INGEST.username, secret: INGEST.secret } };
    expect(writeMosquittoAuth(dir, clear).changed).toBe(false);
    expect(writeMosquittoAuth(dir, { ...clear, ingest: { username: INGEST.username, secret: 'another-password' } }).changed).toBe(true);
  });

  it('are never signalled to a process that is not mosquitto', () => {
    const pidFile = path.join(dir, 'pid');
    writeFileSync(pidFile, String(process.pid));
    expect(() => reloadMosquitto(pidFile)).toThrow(/not mosquitto/);
    writeFileSync(pidFile, 'garbage');
    expect(() => reloadMosquitto(pidFile)).toThrow(/does not hold a pid/);
  });
});
