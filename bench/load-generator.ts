/**
 * A fleet of simulated gas detectors for the benchmarks: many MQTT connections,
 * each publishing telemetry for its share of the devices, at a rate the caller
 * sets and changes. Packets are encoded by hand on bare sockets (lib/mqtt-wire),
 * so the generator costs the machine little. Run as its own process, so it
 * shares no event loop with what it loads; bench/lib/fleet.ts drives it.
 *
 *   node --import tsx bench/load-generator.ts --url mqtt://127.0.0.1:1883 --registry r.json [flags]
 *
 * Every `(device, ts)` is unique: ts is the publish time in ms, moved on by 1 ms
 * when a device would repeat one, so InfluxDB keeps every point and a count of
 * stored points is an exact count of messages delivered. Devices of tenant
 * `probe` get a steady trickle whose ts is exactly the publish time, for the
 * publish → stored latency.
 *
 * stdin, one JSON command a line:
 *   {"cmd":"rate","rate":N[,"count":M]}  publish N msg/s (0 pauses); with count, pause again after M more
 *   {"cmd":"end"}                         stop, wait for outstanding PUBACKs (QoS 1), close, exit
 * stdout, one JSON line each: {"type":"ready"}, {"type":"rate",…} as each command
 * takes effect (`boundary`: every message before it has ts < boundary, every
 * one after ts ≥ boundary), {"type":"idle",…} when a count is done,
 * {"type":"progress",…} every 250 ms and {"type":"end",…}.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import type net from 'node:net';
import { createInterface } from 'node:readline';
import type { Registry } from '@lifeline/core';
import { parseFlags } from './lib/flags.js';
import { connect, publishSize, topicBytes, writePublish } from './lib/mqtt-wire.js';

const flags = parseFlags(
  {
    url: { doc: 'broker URL', default: 'mqtt://127.0.0.1:1883' },
    registry: { doc: 'registry JSON (devices of tenant "probe" are the latency probes)', default: '' },
    connections: { doc: 'MQTT connections', default: 1000 },
    qos: { doc: 'QoS of every PUBLISH (0 or 1)', default: 1 },
    probeRate: { doc: 'probe messages per second while publishing', default: 20 },
    ackedFile: { doc: 'write "device ts" of every acknowledged message here at the end (QoS 1)', default: '' },
    clientPrefix: { doc: 'client id prefix', default: `bench-dev-${process.pid}` },
  },
  process.argv.slice(2),
  'load-generator: a paced MQTT publisher fleet for the benchmarks',
);
const TICK_MS = 10;
const PROGRESS_MS = 250;
/** Messages per socket write: one write per message would make the generator the bottleneck. */
const PER_WRITE = 50;
/** A connection with more than this unsent is skipped: what the broker does not take is not offered again and again. */
const CONGESTED_BYTES = 1 << 20;
/** Unsent quota carried from tick to tick at most, so a stall is not followed by a burst. */
const MAX_CARRY_S = 0.2;
const END_ACK_WAIT_MS = 15_000;

const registry = JSON.parse(readFileSync(flags.registry, 'utf8')) as Registry;
const devices = registry.devices.filter((d) => d.tenant !== 'probe');
const probes = registry.devices.filter((d) => d.tenant === 'probe');
const all = [...devices, ...probes];
const topics = all.map((d) => topicBytes(`lifeline/v1/${d.tenant}/${d.id}/telemetry`));
const lastTs = new Float64Array(all.length);
/** Bytes one PUBLISH takes at most: the longest topic and a payload of `{"ts":…,"values":{"ch4":…}}`. */
const MAX_PACKET = publishSize(
  topics.reduce((a, b) => (b.length > a.length ? b : a)),
  64,
);
const qos = flags.qos === 0 ? 0 : 1;
const track = qos === 1 && flags.ackedFile !== '';

interface Conn {
  socket: net.Socket;
  open: boolean;
  nextId: number;
  inflight: Uint8Array;
  pendDev: Int32Array | null;
  pendTs: Float64Array | null;
  cursor: number;
}
let sent = 0;
let acked = 0;
let probesSent = 0;
let idsExhausted = 0;
let closedConnections = 0;
const ackedDev: number[] = [];
const ackedTs: number[] = [];

const url = new URL(flags.url);
const conns: Conn[] = [];
for (let i = 0; i < flags.connections; i += 100) {
  const batch = Array.from({ length: Math.min(100, flags.connections - i) }, async (_, j) => {
    const c: Conn = {
      socket: null as unknown as net.Socket,
      open: true,
      nextId: 1,
      inflight: new Uint8Array(65536),
      pendDev: track ? new Int32Array(65536) : null,
      pendTs: track ? new Float64Array(65536) : null,
      cursor: 0,
    };
    c.socket = await connect(
      url.hostname,
      Number(url.port || 1883),
      `${flags.clientPrefix}-${i + j}`,
      (id) => {
        if (!c.inflight[id]) return;
        c.inflight[id] = 0;
        acked++;
        if (c.pendDev) {
          ackedDev.push(c.pendDev[id]!);
          ackedTs.push(c.pendTs![id]!);
        }
      },
      () => {
        c.open = false;
        closedConnections++;
      },
    );
    return c;
  });
  conns.push(...(await Promise.all(batch)));
}
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
out({ type: 'ready', connections: conns.length, devices: devices.length, probes: probes.length });

let rate = 0;
let remaining = Infinity;
let carry = 0;
let probeCarry = 0;
let probeCursor = 0;
let nextConn = 0;
let boundary = 0;
let maxTs = 0;

function tsFor(dev: number, now: number): number {
  const ts = Math.max(now, lastTs[dev]! + 1, boundary);
  lastTs[dev] = ts;
  if (ts > maxTs) maxTs = ts;
  return ts;
}

/** Packet id for one more message on c, or 0 when all 65,535 are in flight. */
function takeId(c: Conn): number {
  if (qos === 0) return 0;
  for (let tries = 0; tries < 65535; tries++) {
    const id = c.nextId;
    c.nextId = id === 65535 ? 1 : id + 1;
    if (!c.inflight[id]) return id;
  }
  idsExhausted++;
  return 0;
}

/** Writes up to `n` messages for the devices of connection ci (ci, ci + C, ci + 2C, …), and one probe if asked; returns how many non-probe ones. */
function send(ci: number, n: number, withProbe: boolean, now: number): number {
  const c = conns[ci]!;
  const C = conns.length;
  const owned = Math.max(1, Math.ceil((devices.length - ci) / C));
  const buf = Buffer.allocUnsafe((n + 1) * MAX_PACKET);
  let at = 0;
  let done = 0;
  const one = (dev: number) => {
    const id = takeId(c);
    if (qos === 1 && id === 0) return false;
    const ts = tsFor(dev, now);
    at = writePublish(buf, at, topics[dev]!, `{"ts":${ts},"values":{"ch4":${(Math.random() * 2).toFixed(2)}}}`, qos, id);
    if (id) {
      c.inflight[id] = 1;
      if (c.pendDev) {
        c.pendDev[id] = dev;
        c.pendTs![id] = ts;
      }
    }
    return true;
  };
  for (let k = 0; k < n; k++) {
    c.cursor = (c.cursor + 1) % owned;
    const dev = ci + c.cursor * C;
    if (dev >= devices.length || !one(dev)) break;
    done++;
  }
  if (withProbe && probes.length && one(devices.length + (probeCursor++ % probes.length))) probesSent++;
  if (at) c.socket.write(buf.subarray(0, at));
  return done;
}

let lastTick = Date.now();
function tick(): void {
  const now = Date.now();
  // By the clock, not the tick count: timers fire late on a busy machine, and the rate must not sag with them.
  const dt = (now - lastTick) / 1000;
  lastTick = now;
  if (rate <= 0) return;
  carry = Math.min(carry + rate * dt, rate * MAX_CARRY_S + PER_WRITE);
  probeCarry += flags.probeRate * dt;
  let n = Math.min(Math.floor(carry), remaining);
  let probesDue = Math.floor(probeCarry);
  probeCarry -= probesDue;
  let tried = 0;
  while ((n > 0 || probesDue > 0) && tried < conns.length) {
    const ci = nextConn++ % conns.length;
    tried++;
    const c = conns[ci]!;
    if (!c.open || c.socket.writableLength > CONGESTED_BYTES) continue;
    const share = Math.min(n, PER_WRITE);
    const done = send(ci, share, probesDue > 0, now);
    if (probesDue > 0) probesDue--;
    n -= done;
    carry -= done;
    sent += done;
    remaining -= done;
  }
  if (remaining <= 0) {
    setRate(0, Infinity);
    out({ type: 'idle', ...counts() });
  }
}

function counts() {
  return { at: Date.now(), boundary, sent: sent + probesSent, acked, probes: probesSent, idsExhausted, closedConnections };
}

function setRate(r: number, count: number): void {
  rate = r;
  remaining = count;
  carry = 0;
  // Everything sent so far has ts < boundary; everything after will have ts ≥ it.
  boundary = Math.max(Date.now(), maxTs + 1);
  maxTs = boundary - 1;
}

const timer = setInterval(tick, TICK_MS);
const progress = setInterval(() => out({ type: 'progress', rate, ...counts() }), PROGRESS_MS);

async function end(): Promise<void> {
  setRate(0, Infinity);
  clearInterval(timer);
  const until = Date.now() + END_ACK_WAIT_MS;
  while (qos === 1 && acked < sent + probesSent && Date.now() < until && conns.some((c) => c.open)) await new Promise((r) => setTimeout(r, 50));
  clearInterval(progress);
  if (track) {
    const w = createWriteStream(flags.ackedFile);
    for (let i = 0; i < ackedDev.length; i++) w.write(`${all[ackedDev[i]!]!.id} ${ackedTs[i]}\n`);
    await new Promise<void>((r) => w.end(r));
  }
  out({ type: 'end', ...counts(), unacked: qos === 1 ? sent + probesSent - acked : 0 });
  for (const c of conns) c.socket.end();
  setTimeout(() => process.exit(0), 200);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line) as { cmd: 'rate' | 'end'; rate?: number; count?: number };
  if (m.cmd === 'end') return void end();
  setRate(Math.max(0, m.rate ?? 0), m.count ?? Infinity);
  out({ type: 'rate', rate, ...counts() });
});
