import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { HttpError } from '../api/http-errors.js';

/**
 * The dashboard's Content-Security-Policy: everything from our own origin, no
 * inline script or style attribute, MapLibre's workers from blob: URLs, map
 * tiles and icons as data:/blob: images. Same-origin Socket.IO is 'self'.
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  workerSrc: ["'self'", 'blob:'],
  childSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  mediaSrc: ["'self'", 'data:', 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** helmet with our CSP; HSTS only when the platform is reached over TLS. */
export function securityHeaders(tls: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...CSP_DIRECTIVES, ...(tls ? { upgradeInsecureRequests: [] } : {}) } },
    strictTransportSecurity: tls ? { maxAge: 180 * 24 * 3600, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

/** API answers may name people and places: never kept by a shared cache. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};

/**
 * A state-changing request whose Origin is another site is refused (SameSite=Strict
 * already keeps the cookie from it; this covers browsers that do not honour it).
 */
export function sameOriginWrites(): RequestHandler {
  return (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
    const origin = req.headers.origin;
    if (origin && !isSameOrigin(origin, req.headers.host)) throw new HttpError(403, `cross-origin request from ${origin} refused`);
    next();
  };
}

/** True when an Origin header names the host the request was sent to. */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
