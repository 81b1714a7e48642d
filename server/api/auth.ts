// Who is calling: the admin (ADMIN_TOKEN, only to create tenants) or a tenant (an API key,
// stored as its SHA-256). Every tenant route reads the tenant from here and nowhere else.
import type { RequestHandler, Response } from 'express';
import { sql } from 'slonik';
import { z } from '../../db/zod.js';
import { HttpError, unauthorized } from '../http/errors.js';
import { safeEqual, sha256 } from '../crypto.js';
import type { AppContext } from '../context.js';

export type Caller = { tenantId: string; apiKeyId: string };

// Made in server/crypto.ts, below db/ (which creates a tenant's first key): db/ never imports server/api/.
export { generateApiKey } from '../crypto.js';

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export function requireAdmin(context: AppContext): RequestHandler {
  return (request, _response, next) => {
    const adminToken = context.secrets.adminToken;
    if (!adminToken) return next(new HttpError(403, 'admin_disabled', 'ADMIN_TOKEN is not set on this server'));
    const token = bearerToken(request.headers.authorization);
    if (!token || !safeEqual(token, adminToken)) return next(unauthorized('a valid admin token is required'));
    next();
  };
}

const apiKeyRow = z.object({ api_key_id: z.string(), tenant_id: z.string() });

export function requireApiKey(context: AppContext): RequestHandler {
  return async (request, response, next) => {
    try {
      const token = bearerToken(request.headers.authorization);
      if (!token) throw unauthorized('send your API key as "Authorization: Bearer <key>"');
      // last_used_at is refreshed at most once a minute: a write (and a row lock that would
      // serialise concurrent requests with one key) on every request buys nothing.
      const row = await context.pool.maybeOne(sql.type(apiKeyRow)`
        with key as (
          select id, tenant_id, last_used_at from dialer.api_keys
          where key_hash = ${sql.binary(sha256(token))} and revoked_at is null
        ), touched as (
          update dialer.api_keys set last_used_at = now()
          from key where api_keys.id = key.id
            and (key.last_used_at is null or key.last_used_at < now() - interval '1 minute')
        )
        select id as api_key_id, tenant_id from key`);
      if (!row) throw unauthorized('the API key is not valid');
      response.locals.caller = { tenantId: row.tenant_id, apiKeyId: row.api_key_id } satisfies Caller;
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function callerOf(response: Response): Caller {
  const caller = response.locals.caller as Caller | undefined;
  if (!caller) throw new Error('route is not behind requireApiKey');
  return caller;
}
