import type { ErrorRequestHandler } from 'express';
import type { Validator } from '@lifeline/core';
import { logger } from '@lifeline/core/node';
import { AlertError } from '../alerts/alert-manager.js';

const log = logger('http');

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
  }
}

/** Validates a request part; a 400 that names every bad field otherwise. */
export function validated<T>(v: Validator<T>, value: unknown, what: string): T {
  const r = v.check(value);
  if (!r.ok) throw new HttpError(400, `invalid ${what}`, r.errors);
  return r.value;
}

/** Query strings are text; turns the named keys into numbers so the schema can check them. */
export function numericQuery(query: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...query };
  for (const k of keys) {
    const v = out[k];
    if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) out[k] = Number(v);
  }
  return out;
}

/** The one error middleware: a specific message and status for every failure, logged. */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  let status = 500;
  let body: { error: string; details?: string[] } = { error: 'internal error' };
  if (err instanceof HttpError) {
    status = err.status;
    body = { error: err.message, ...(err.details ? { details: err.details } : {}) };
  } else if (err instanceof AlertError) {
    status = err.status;
    body = { error: err.message };
  } else if (err?.type === 'entity.parse.failed') {
    status = 400;
    body = { error: `malformed JSON body: ${err.message}` };
  } else if (err?.type === 'entity.too.large') {
    status = 413;
    body = { error: `body larger than ${err.limit} bytes` };
  } else if (typeof err?.status === 'number' && err.status >= 400 && err.status < 500) {
    status = err.status;
    body = { error: err.message };
  }
  if (status >= 500) log.error({ err, method: req.method, url: req.originalUrl }, 'request failed');
  else log.warn({ method: req.method, url: req.originalUrl, status, error: body.error, details: body.details }, 'request refused');
  res.status(status).json(body);
};

/** A route parameter as one string (Express types a parameter as string or string[]). */
export function param(req: { params: Record<string, string | string[] | undefined> }, name: string): string {
  const v = req.params[name];
  return Array.isArray(v) ? v.join('/') : (v ?? '');
}
