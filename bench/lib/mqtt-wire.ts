/**
 * The least of MQTT 3.1.1 a load generator needs, on a bare TCP socket:
 * CONNECT, PUBLISH at QoS 0 or 1, and reading CONNACK and PUBACK back. A
 * client library costs more CPU per message than the broker does, and the
 * thing measured must be the broker and what subscribes, not the generator.
 */
import net from 'node:net';

const CONNECT = 0x10;
const CONNACK = 0x20;
const PUBLISH = 0x30;
const PUBACK = 0x40;

/** Bytes of the variable-length "remaining length" of a packet. */
function lengthBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/** CONNECT with a clean session and no keepalive (the broker never drops an idle publisher). */
export function connectPacket(clientId: string): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0x02, 0, 0]), str(clientId)]);
  return Buffer.concat([Buffer.from([CONNECT, ...lengthBytes(body.length)]), body]);
}

/** Writes one PUBLISH into `out` at `at` and returns the offset after it; `topic` carries its 2-byte length prefix. */
export function writePublish(out: Buffer, at: number, topic: Buffer, payload: string, qos: 0 | 1, packetId: number): number {
  const payloadLen = Buffer.byteLength(payload);
  const remaining = topic.length + (qos ? 2 : 0) + payloadLen;
  out[at++] = PUBLISH | (qos << 1);
  for (const b of lengthBytes(remaining)) out[at++] = b;
  at += topic.copy(out, at);
  if (qos) {
    out[at++] = packetId >> 8;
    out[at++] = packetId & 0xff;
  }
  return at + out.write(payload, at, 'utf8');
}

/** Upper bound of the bytes `writePublish` takes for this topic and payload length. */
export function publishSize(topic: Buffer, payloadBytes: number): number {
  return 1 + 4 + topic.length + 2 + payloadBytes;
}

/** A topic as PUBLISH carries it: 2-byte length, then UTF-8. */
export function topicBytes(topic: string): Buffer {
  return str(topic);
}

/**
 * Opens a connection and resolves once the broker accepted it. Incoming bytes
 * are scanned for PUBACKs only; anything else a publisher can receive here
 * (a stray PINGRESP) is skipped by its length.
 */
export function connect(host: string, port: number, clientId: string, onPuback: (id: number) => void, onClose: (err?: Error) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    let pending = Buffer.alloc(0);
    let accepted = false;
    socket.once('error', (err) => (accepted ? undefined : reject(err)));
    socket.on('error', () => undefined);
    socket.on('close', () => (accepted ? onClose() : reject(new Error(`connection ${clientId} closed before CONNACK`))));
    socket.on('connect', () => socket.write(connectPacket(clientId)));
    socket.on('data', (chunk: Buffer) => {
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let i = 0;
      while (i + 2 <= buf.length) {
        const type = buf[i]! & 0xf0;
        // Every packet a publisher receives has a one-byte remaining length.
        const len = buf[i + 1]!;
        if (i + 2 + len > buf.length) break;
        if (type === PUBACK) onPuback((buf[i + 2]! << 8) | buf[i + 3]!);
        else if (type === CONNACK) {
          const code = buf[i + 3]!;
          if (code !== 0) {
            reject(new Error(`broker refused ${clientId}: CONNACK code ${code}`));
            socket.destroy();
            return;
          }
          accepted = true;
          resolve(socket);
        }
        i += 2 + len;
      }
      buf = buf.subarray(i);
      pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    });
  });
}
