import { Router } from 'express';
import { loginBody } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import type { AuditTrail } from '../auth/audit-trail.js';
import { authOf, clearedSessionCookie, clientIp, meOf, mustAuth, sessionCookie } from '../auth/http-auth.js';
import type { LoginLimiter } from '../auth/login-limiter.js';
import type { Store } from '../store/types.js';
import { HttpError, validated } from './http-errors.js';

const log = logger('auth');

export interface AuthRouteDeps {
  store: Pick<Store, 'users' | 'sessions'>;
  audit: AuditTrail;
  limiter: LoginLimiter;
  idleMs: number;
  /** Cookies get `Secure` when the platform is reached over TLS. */
  secureCookies: boolean;
  /** Told when a session ends, so its sockets are closed too. */
  onSessionEnded: (sessionId: string) => void;
}

/** `POST /login`, `POST /logout`, `GET /me`. */
export function authRouter(d: AuthRouteDeps): Router {
  const r = Router();

  r.post('/login', async (req, res) => {
    const ip = clientIp(req) ?? 'unknown';
    const body = validated(loginBody, req.body ?? {}, 'login body');
    const keys = [`ip:${ip}`, `user:${body.username.toLowerCase()}`];
    const wait = Math.max(...keys.map((k) => d.limiter.retryAfterS(k)));
    if (wait > 0) {
      await d.audit.record(req, null, { action: 'login', target: body.username, outcome: 'denied', detail: 'too many failed logins' }, { actor: null });
      res.setHeader('Retry-After', String(wait));
      throw new HttpError(429, `too many failed logins: try again in ${wait} s`);
    }
    const user = await d.store.users.verify(body.username, body.password);
    if (!user) {
      for (const k of keys) d.limiter.fail(k);
      log.warn({ username: body.username, ip }, 'failed login');
      await d.audit.record(req, null, { action: 'login', target: body.username, outcome: 'failed', detail: 'wrong username or password' }, { actor: null });
      throw new HttpError(401, 'wrong username or password');
    }
    d.limiter.succeed(`user:${body.username.toLowerCase()}`);
    // A fresh session id at every login: a session planted before login is worth nothing after it.
    const previous = authOf(req);
    if (previous) {
      await d.store.sessions.end(previous.session.id);
      d.onSessionEnded(previous.session.id);
    }
    const { token, session } = await d.store.sessions.create(user.id, { ip, userAgent: req.headers['user-agent']?.slice(0, 256) ?? null });
    res.setHeader('Set-Cookie', sessionCookie(token, d.secureCookies));
    await d.audit.record(req, { user, session, token, ip }, { action: 'login', target: user.username });
    log.info({ username: user.username, role: user.role }, 'logged in');
    res.json(meOf(user));
  });

  r.post('/logout', async (req, res) => {
    const a = mustAuth(req);
    await d.store.sessions.end(a.session.id);
    d.onSessionEnded(a.session.id);
    await d.audit.record(req, a, { action: 'logout', target: a.user.username });
    res.setHeader('Set-Cookie', clearedSessionCookie(d.secureCookies));
    res.status(204).end();
  });

  r.get('/me', (req, res) => {
    res.json(meOf(mustAuth(req).user));
  });

  return r;
}
