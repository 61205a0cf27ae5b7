/**
 * An experiment, never production: a preload that changes two things in the
 * platform's mqtt.js client, to measure what each would be worth before
 * anyone changes ingest/src/mqtt-source.ts for real.
 *   npm run bench -- --part throughput --against variant \
 *     --variant-node-args "--import /abs/path/bench/experiments/mqtt-client-patch.mjs" [--variant-env EXP_CORK=0]
 * - EXP_NO_LOG (default 1): the client's `log` is a no-op, as `mqtt.connect(url, { log: () => {} })`
 *   would make it; otherwise every packet calls `debug` ~15 times, each building its arguments.
 * - EXP_CORK (default 1): the socket is corked until the next turn of the event loop whenever a
 *   packet is written, so the PUBACKs of all the messages parsed from one read go out in one
 *   writev; mqtt.js otherwise uncorks after each packet (one syscall per PUBACK).
 */
import { createRequire } from 'node:module';
import process from 'node:process';
import { setImmediate } from 'node:timers';

const require = createRequire(import.meta.url);
const { MqttClient } = require('mqtt');
const on = (name) => process.env[name] !== '0';
const noop = () => {};

if (on('EXP_NO_LOG')) {
  const connect = MqttClient.prototype.connect;
  MqttClient.prototype.connect = function (...args) {
    this.log = noop;
    return connect.apply(this, args);
  };
}

if (on('EXP_CORK')) {
  const corked = new WeakSet();
  const writePacket = MqttClient.prototype._writePacket;
  MqttClient.prototype._writePacket = function (packet, cb) {
    const s = this.stream;
    if (s && !corked.has(s)) {
      corked.add(s);
      s.cork();
      setImmediate(() => {
        corked.delete(s);
        s.uncork();
      });
    }
    return writePacket.call(this, packet, cb);
  };
}
