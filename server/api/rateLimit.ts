// A per-API-key request budget: a runaway script gets 429 instead of starving other tenants.
// Fixed one-minute windows, counted in this process's memory (each API process counts its own;
// behind N processes a key gets up to N times the budget). Retry-After says when to come back.
import type { RequestHandler } from 'express';
import { HttpError } from '../http/errors.js';
import { callerOf } from './auth.js';

export const DEFAULT_REQUESTS_PER_MINUTE = 1200;

export function rateLimitPerApiKey(options: { max?: number; windowMs?: number; now?: () => number } = {}): RequestHandler {
  const max = options.max ?? DEFAULT_REQUESTS_PER_MINUTE;
  const windowMs = options.windowMs ?? 60_000;
  const now = options.now ?? Date.now;
  let windowStart = now();
  const counts = new Map<string, number>();
  return (_request, response, next) => {
    const at = now();
    if (at - windowStart >= windowMs) {
      // A new window for everyone: the map never holds more than one window's keys.
      windowStart = at - ((at - windowStart) % windowMs);
      counts.clear();
    }
    const key = callerOf(response).apiKeyId;
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    if (count <= max) return next();
    const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - at) / 1000));
    next(new HttpError(429, 'rate_limited', `more than ${max} requests in a minute with this API key`, [], { 'Retry-After': String(retryAfter) }));
  };
}
