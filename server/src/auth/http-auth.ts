import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { can, isTenantScoped, type Me, type Permission } from '@lifeline/core';
import type { Session, SessionStore, User } from '../store/types.js';
import { HttpError } from '../api/http-errors.js';

/** The session cookie's name; its value is a random token the server stores only as a hash. */
export const SESSION_COOKIE = 'lifeline_session';

/** Who is asking: the logged-in person behind a request or a socket. */
export interface AuthContext {
  user: User;
  session: Session;
  /** The cookie's token, kept only in memory (the socket hub re-checks sessions with it). */
  token: string;
  ip: string | null;
}

const contexts = new WeakMap<Request, AuthContext>();

/** The request's person, when it carries a live session (set by `sessionAuth`). */
export function authOf(req: Request): AuthContext | undefined {
  return contexts.get(req);
}

/** The request's person; a 401 when there is none. */
export function mustAuth(req: Request): AuthContext {
  const a = contexts.get(req);
  if (!a) throw new HttpError(401, 'not logged in (POST /api/login)');
  return a;
}

/** The tenant a person is confined to, or null for the whole city. */
export function tenantScope(user: Pick<User, 'role' | 'tenant'>): string | null {
  return isTenantScoped(user.role) ? (user.tenant ?? '\u0000none') : null;
}

/** True when the person may see things of this tenant. */
export function inScope(user: Pick<User, 'role' | 'tenant'>, tenant: string): boolean {
  const t = tenantScope(user);
  return t === null || t === tenant;
}

export function meOf(user: User): Me {
  return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, tenant: user.tenant };
}

/** Reads one cookie from a Cookie header without a library: `name=value; name2=value2`. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function clientIp(req: Request): string | null {
  return req.ip ?? req.socket.remoteAddress ?? null;
}

/**
 * Attaches the session's person to the request when the cookie names a live
 * session. It never refuses: the routes decide (some are public).
 */
export function sessionAuth(sessions: SessionStore, idleMs: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (!token) return next();
    sessions.resolve(token, idleMs).then(
      (found) => {
        if (found) contexts.set(req, { ...found, token, ip: clientIp(req) });
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/** A guard: 401 without a session, 403 when the role lacks the permission. */
export function requirePermission(permission: Permission): RequestHandler {
  return (req, _res, next) => {
    const a = mustAuth(req);
    if (!can(a.user.role, permission)) throw new HttpError(403, `role ${a.user.role} may not do this (needs ${permission})`);
    next();
  };
}

/** Throws 403 unless the person's role has the permission. */
export function mustBeAllowed(a: AuthContext, permission: Permission): void {
  if (!can(a.user.role, permission)) throw new HttpError(403, `role ${a.user.role} may not do this (needs ${permission})`);
}

/**
 * Set-Cookie value for a new session: HttpOnly, SameSite=Strict, Secure behind
 * TLS. No Max-Age: the server's idle timeout decides when a session ends, so a
 * duty-room screen in use is not logged out by its browser mid-shift.
 */
export function sessionCookie(token: string, secure: boolean): string {
  return [`${SESSION_COOKIE}=${encodeURIComponent(token)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

export function clearedSessionCookie(secure: boolean): string {
  return [`${SESSION_COOKIE}=`, 'Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0', ...(secure ? ['Secure'] : [])].join('; ');
}
