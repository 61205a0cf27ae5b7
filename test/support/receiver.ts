/**
 * A real local HTTP receiver for notification targets (webhook, WeCom and
 * DingTalk robots): records every request and answers what `reply` says, so a
 * test can play a target that is down, refuses or accepts.
 */
import { createServer, type Server } from 'node:http';

export interface Received {
  path: string;
  body: Record<string, unknown>;
  /** The HTTP status answered. */
  status: number;
  /** How many requests this path had, this one included. */
  n: number;
}

export interface Reply {
  status?: number;
  body?: unknown;
}

/** Accepts everything as a robot would: 200 `{"errcode":0,"errmsg":"ok"}`. */
export const ACCEPT: Reply = { status: 200, body: { errcode: 0, errmsg: 'ok' } };

export interface Receiver {
  got: Received[];
  /** Listens on a free port; resolves to `http://127.0.0.1:PORT`. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

export function receiver(reply: (path: string, n: number) => Reply = () => ACCEPT): Receiver {
  const got: Received[] = [];
  const seen = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      const r = { ...ACCEPT, ...reply(path, n) };
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { unparsed: raw };
      }
      got.push({ path, body, status: r.status!, n });
      res.writeHead(r.status!, { 'content-type': 'application/json' }).end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? {}));
    });
  });
  return {
    got,
    start: () =>
      new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
