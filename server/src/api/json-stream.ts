import type { Response } from 'express';

/** Items stringified per turn of the event loop: ~2 MB of device views, a few milliseconds. */
export const JSON_SLICE = 2000;

/**
 * Resolves on the response's next `drain`, or its `close` (a client gone
 * never drains); the `close` listener goes with the drain, so a hundred
 * waits of one answer do not pile up a hundred of them.
 */
const drained = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });

/**
 * Answers `items` as one JSON array, `slice` items at a time: the event loop
 * is free between slices and the socket's backpressure (or compression's) is
 * heeded, so a city's 200,000 device views never hold the process for the
 * half second their one `JSON.stringify` took (MQTT keepalives, health
 * checks and other answers go on meanwhile). Stops when the client goes.
 */
export async function sendJsonArray<T>(res: Response, items: readonly T[], toJson: (item: T) => unknown, slice = JSON_SLICE): Promise<void> {
  res.status(200).type('application/json');
  let pending = res.write('[');
  for (let i = 0; i < items.length; i += slice) {
    if (!pending) await drained(res);
    else if (i > 0) await new Promise<void>((r) => setImmediate(r));
    if (res.destroyed || res.writableEnded) return;
    let chunk = i === 0 ? '' : ',';
    const end = Math.min(items.length, i + slice);
    for (let j = i; j < end; j++) chunk += (j > i ? ',' : '') + JSON.stringify(toJson(items[j]!));
    pending = res.write(chunk);
  }
  res.end(']');
}
