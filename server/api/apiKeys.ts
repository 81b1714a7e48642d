// A tenant's API keys: create (the key is shown once), list (never the hash), revoke.
// The key making the request cannot revoke itself (409): a tenant cannot lock itself out by
// accident; to rotate, create a new key, switch to it, then revoke the old one with it.
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { conflict, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { callerOf, generateApiKey } from './auth.js';
import { idParams } from './schemas.js';
import { route } from './route.js';

const apiKeyRow = z3.object({
  id: z3.string(),
  name: z3.string().nullable(),
  key_prefix: z3.string(),
  created_at: z3.string(),
  last_used_at: z3.string().nullable(),
  revoked_at: z3.string().nullable(),
});

const apiKey = z.object({
  id: z.uuid(),
  name: z.string().nullable(),
  prefix: z.string().describe('the first characters of the key, to recognise it'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable().describe('refreshed at most once a minute'),
  revokedAt: z.string().nullable(),
});

const toApiKey = (row: z3.infer<typeof apiKeyRow>): z.infer<typeof apiKey> => ({
  id: row.id,
  name: row.name,
  prefix: row.key_prefix,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
});

export function installApiKeyRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create an API key (shown once)',
      body: z.object({ name: z.string().trim().min(1).max(200).optional() }),
      responses: {
        201: {
          description: 'the new key; `apiKey` is never shown again',
          schema: z.object({ id: z.uuid(), name: z.string().nullable(), apiKey: z.string(), createdAt: z.string() }),
        },
      },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const key = generateApiKey();
      const row = await context.pool.transaction(async (connection) => {
        const created = await connection.one(sql.type(apiKeyRow)`
          insert into dialer.api_keys (tenant_id, key_hash, key_prefix, name)
          values (${caller.tenantId}, ${sql.binary(key.hash)}, ${key.prefix}, ${body.name ?? null})
          returning id, name, key_prefix, created_at, last_used_at, revoked_at`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'create', entity: 'api_key', entityId: created.id, details: { name: created.name } });
        return created;
      });
      return { status: 201, body: { id: row.id, name: row.name, apiKey: key.key, createdAt: row.created_at } };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/api-keys',
      summary: "List the tenant's API keys (revoked ones included; never the key or its hash)",
      responses: { 200: { description: 'the keys, newest first', schema: z.object({ items: z.array(apiKey) }) } },
    },
    async (_input, _request, response) => {
      const caller = callerOf(response);
      const rows = await context.pool.any(sql.type(apiKeyRow)`
        select id, name, key_prefix, created_at, last_used_at, revoked_at
        from dialer.api_keys where tenant_id = ${caller.tenantId}
        order by created_at desc, id desc`);
      return { body: { items: rows.map(toApiKey) } };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/v1/api-keys/:id',
      summary: 'Revoke an API key (not the one making the request: 409)',
      params: idParams,
      errors: [409],
      responses: { 200: { description: 'the revoked key', schema: apiKey } },
    },
    async ({ params }, _request, response) => {
      const caller = callerOf(response);
      if (params.id === caller.apiKeyId) throw conflict('a key cannot revoke itself; revoke it with another key');
      const row = await context.pool.transaction(async (connection) => {
        const revoked = await connection.maybeOne(sql.type(apiKeyRow)`
          update dialer.api_keys set revoked_at = coalesce(revoked_at, now())
          where id = ${params.id} and tenant_id = ${caller.tenantId}
          returning id, name, key_prefix, created_at, last_used_at, revoked_at`);
        if (!revoked) throw notFound('API key');
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'revoke', entity: 'api_key', entityId: revoked.id });
        return revoked;
      });
      return { body: toApiKey(row) };
    },
  );
}
