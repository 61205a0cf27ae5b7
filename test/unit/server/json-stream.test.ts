import type { AddressInfo } from 'node:net';
import http from 'node:http';
import compression from 'compression';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJsonArray } from '../../../server/src/api/json-stream.js';

describe('a JSON array answered a slice at a time', () => {
  const items = Array.from({ length: 5001 }, (_, i) => ({ id: `d-${i}`, n: i }));
  let server: http.Server;
  let url: string;
  let turnsBetweenSlices = 0;
  const big = Array.from({ length: 300 }, (_, i) => ({ i, pad: 'x'.repeat(256 * 1024) }));
  let closeListenersAfter = -1;

  beforeAll(async () => {
    const app = express();
    app.use(compression());
    app.get('/list', (_req, res) => {
      // Counts the event-loop turns that ran while the answer was being made.
      const tick = setInterval(() => turnsBetweenSlices++, 0);
      return sendJsonArray(res, items, (x) => ({ ...x, doubled: x.n * 2 }), 1000).finally(() => clearInterval(tick));
    });
    app.get('/empty', (_req, res) => sendJsonArray(res, [], (x) => x));
    // Big items one at a time: the socket pushes back on most writes.
    app.get('/big', async (_req, res) => {
      await sendJsonArray(res, big, (x) => x, 1);
      closeListenersAfter = res.listenerCount('close');
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((r) => server.close(r)));

  it('is the whole array, in order, as JSON', async () => {
    const res = await fetch(`${url}/list`);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { id: string; doubled: number }[];
    expect(body).toHaveLength(5001);
    expect(body[0]).toEqual({ id: 'd-0', n: 0, doubled: 0 });
    expect(body[5000]).toEqual({ id: 'd-5000', n: 5000, doubled: 10000 });
    expect(turnsBetweenSlices).toBeGreaterThan(0);
  });

  it('compresses when asked, and an empty list is []', async () => {
    const res = await fetch(`${url}/list`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(((await res.json()) as unknown[]).length).toBe(5001);
    expect(await (await fetch(`${url}/empty`)).json()).toEqual([]);
  });

  it('waits for the socket when it pushes back, without a listener left per wait', async () => {
    const body = (await (await fetch(`${url}/big`)).json()) as { i: number }[];
    expect(body.map((x) => x.i)).toEqual(big.map((x) => x.i));
    // Express and Node keep a few of their own; one per wait would be hundreds.
    expect(closeListenersAfter).toBeGreaterThanOrEqual(0);
    expect(closeListenersAfter).toBeLessThan(10);
  });

  it('stops without an error when the client goes away', async () => {
    const ctl = new AbortController();
    const res = await fetch(`${url}/list`, { signal: ctl.signal });
    ctl.abort();
    await expect(res.text()).rejects.toThrow();
    // The server still answers.
    expect(((await (await fetch(`${url}/list`)).json()) as unknown[]).length).toBe(5001);
  });
});
