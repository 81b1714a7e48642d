// A tenant's settings: VAPI credentials (encrypted at rest with APP_SECRET), webhook credential,
// concurrency and compliance limits. PUT merges: a field left out keeps its value, so a tenant
// can change its calling hours without re-sending its VAPI key. GET never returns secrets: the
// VAPI key is masked to its last 4 characters and the webhook secret is only said to be set.
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from 'zod';
import { z } from 'zod/v4';
import type { AppContext } from '../context.js';
import { decryptSecret, encryptSecret } from '../crypto.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { notifyWorker } from '../worker/wake.js';
import { callerOf } from './auth.js';
import { clockTime, hhmm } from './schemas.js';
import { route } from './route.js';

const settingsBody = z
  .object({
    vapi: z
      .object({
        apiKey: z.string().trim().min(1).max(500).optional().describe('VAPI private key (stored encrypted)'),
        baseUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().optional().describe('VAPI API base URL; null = the server default'),
        webhookAuth: z
          .object({
            type: z.enum(['secret', 'bearer', 'hmac']).describe('how VAPI authenticates its webhooks: X-Vapi-Secret header, Bearer token, or HMAC signature'),
            secret: z.string().min(8).max(500),
          })
          .optional(),
      })
      .strict()
      .optional(),
    concurrencyLimit: z.int().min(1).max(10000).optional(),
    maxCallsPerNumberPer24h: z.int().min(1).max(100).optional(),
    contactHours: z.object({ start: clockTime, end: clockTime }).optional().describe('hours (in the contact\'s zone) when anyone may be called'),
  })
  .strict();

const settingsView = z.object({
  vapi: z.object({
    apiKey: z.string().nullable().describe('masked: "…" and the last 4 characters; null when not set'),
    baseUrl: z.string().nullable(),
    webhookAuth: z.object({ type: z.enum(['secret', 'bearer', 'hmac']), secretSet: z.boolean() }),
  }),
  concurrencyLimit: z.int(),
  vapiConcurrencyLimit: z.int().nullable().describe('the limit VAPI last reported, if any'),
  effectiveConcurrencyLimit: z.int().describe('the lower of concurrencyLimit and vapiConcurrencyLimit: what the worker uses'),
  maxCallsPerNumberPer24h: z.int(),
  contactHours: z.object({ start: z.string(), end: z.string() }),
  updatedAt: z.string(),
});

const tenantRow = z3.object({
  vapi_api_key_encrypted: z3.string().nullable(),
  vapi_base_url: z3.string().nullable(),
  webhook_auth_type: z3.enum(['secret', 'bearer', 'hmac']),
  webhook_secret_encrypted: z3.string().nullable(),
  concurrency_limit: z3.number(),
  vapi_concurrency_limit: z3.number().nullable(),
  max_calls_per_number_per_24h: z3.number(),
  contact_hours_start: z3.string(),
  contact_hours_end: z3.string(),
  updated_at: z3.string(),
});
const tenantColumns = sql.fragment`vapi_api_key_encrypted, vapi_base_url, webhook_auth_type, webhook_secret_encrypted,
  concurrency_limit, vapi_concurrency_limit, max_calls_per_number_per_24h, contact_hours_start::text,
  contact_hours_end::text, updated_at`;

const mask = (secret: string) => '…' + secret.slice(-4);

function toView(row: z3.infer<typeof tenantRow>, appSecret: string): z.infer<typeof settingsView> {
  return {
    vapi: {
      apiKey: row.vapi_api_key_encrypted ? mask(decryptSecret(appSecret, row.vapi_api_key_encrypted)) : null,
      baseUrl: row.vapi_base_url,
      webhookAuth: { type: row.webhook_auth_type, secretSet: row.webhook_secret_encrypted !== null },
    },
    concurrencyLimit: row.concurrency_limit,
    vapiConcurrencyLimit: row.vapi_concurrency_limit,
    effectiveConcurrencyLimit: Math.min(row.concurrency_limit, row.vapi_concurrency_limit ?? row.concurrency_limit),
    maxCallsPerNumberPer24h: row.max_calls_per_number_per_24h,
    contactHours: { start: hhmm(row.contact_hours_start), end: hhmm(row.contact_hours_end) },
    updatedAt: row.updated_at,
  };
}

export function installSettingsRoutes(router: Router, context: AppContext): void {
  const { appSecret } = context.secrets;

  route(
    router,
    { method: 'get', path: '/v1/settings', summary: "The tenant's settings (secrets masked)", responses: { 200: { description: 'settings', schema: settingsView } } },
    async (_input, _request, response) => {
      const { tenantId } = callerOf(response);
      const row = await context.pool.one(sql.type(tenantRow)`select ${tenantColumns} from dialer.tenants where id = ${tenantId}`);
      return { body: toView(row, appSecret) };
    },
  );

  route(
    router,
    {
      method: 'put',
      path: '/v1/settings',
      summary: 'Change settings; fields left out keep their value',
      description: 'Changing the VAPI key clears the concurrency limit VAPI reported for the old key.',
      body: settingsBody,
      responses: { 200: { description: 'the settings after the change', schema: settingsView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const vapi = body.vapi;
      const set = (column: string, value: unknown) => sql.fragment`${sql.identifier([column])} = ${value as string}`;
      const assignments = [
        ...(vapi?.apiKey !== undefined
          ? [set('vapi_api_key_encrypted', encryptSecret(appSecret, vapi.apiKey)), sql.fragment`vapi_concurrency_limit = null`]
          : []),
        ...(vapi?.baseUrl !== undefined ? [set('vapi_base_url', vapi.baseUrl)] : []),
        ...(vapi?.webhookAuth
          ? [set('webhook_auth_type', vapi.webhookAuth.type), set('webhook_secret_encrypted', encryptSecret(appSecret, vapi.webhookAuth.secret))]
          : []),
        ...(body.concurrencyLimit !== undefined ? [set('concurrency_limit', body.concurrencyLimit)] : []),
        ...(body.maxCallsPerNumberPer24h !== undefined ? [set('max_calls_per_number_per_24h', body.maxCallsPerNumberPer24h)] : []),
        ...(body.contactHours
          ? [sql.fragment`contact_hours_start = ${body.contactHours.start}::time`, sql.fragment`contact_hours_end = ${body.contactHours.end}::time`]
          : []),
      ];
      const row = await context.pool.transaction(async (connection) => {
        const updated = await connection.one(sql.type(tenantRow)`
          update dialer.tenants set ${sql.join([...assignments, sql.fragment`updated_at = now()`], sql.fragment`, `)}
          where id = ${caller.tenantId} returning ${tenantColumns}`);
        // What changed, never the secrets themselves.
        const changed = {
          ...(vapi?.apiKey !== undefined ? { vapiApiKey: mask(vapi.apiKey) } : {}),
          ...(vapi?.baseUrl !== undefined ? { vapiBaseUrl: vapi.baseUrl } : {}),
          ...(vapi?.webhookAuth ? { webhookAuthType: vapi.webhookAuth.type, webhookSecret: 'changed' } : {}),
          ...(body.concurrencyLimit !== undefined ? { concurrencyLimit: body.concurrencyLimit } : {}),
          ...(body.maxCallsPerNumberPer24h !== undefined ? { maxCallsPerNumberPer24h: body.maxCallsPerNumberPer24h } : {}),
          ...(body.contactHours ? { contactHours: body.contactHours } : {}),
        };
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'settings', entityId: caller.tenantId, details: changed });
        // A higher limit or wider hours may make calls due now.
        await notifyWorker(connection, 'settings');
        return updated;
      });
      context.wakeWorker?.('settings');
      return { body: toView(row, appSecret) };
    },
  );
}
