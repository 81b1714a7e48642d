// A tenant's settings: VAPI credentials (encrypted at rest with APP_SECRET), webhook credential,
// concurrency and compliance limits. PUT merges: a field left out keeps its value, so a tenant
// can change its calling hours without re-sending its VAPI key. GET never returns secrets: the
// VAPI key is masked to its last 4 characters and the webhook secret is only said to be set.
// The webhook credential follows VAPI's: a credential id (what VAPI sends is the credential's
// business) with its options, or the shared secret sent as server.headers (server/webhooks/README.md).
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { decryptSecret, encryptSecret } from '../crypto.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { clearTenantVapi } from '../../db/queries/callEnd.js';
import { notifyWorker } from '../worker/wake.js';
import { callerOf } from './auth.js';
import { clockTime, hhmm } from './schemas.js';
import { route } from './route.js';
import { BEARER_OPTION_KEYS, HMAC_OPTION_KEYS, effectiveOptions, optionsOf } from '../webhooks/authOptions.js';

const headerName = z.string().trim().min(1).max(100).regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

// VAPI's own names (HMACAuthenticationPlan, BearerAuthenticationPlan); what is left out takes VAPI's default.
const hmacOptionsBody = {
  algorithm: z.enum(['sha256', 'sha512', 'sha1']).optional().describe('HMAC algorithm; default sha256'),
  signatureEncoding: z.enum(['hex', 'base64']).optional().describe('default hex'),
  signatureHeader: headerName.optional().describe('default x-signature'),
  timestampHeader: headerName.optional().describe('default x-timestamp'),
  signaturePrefix: z.string().max(50).optional().describe("prefix before the signature, e.g. 'sha256='; default none"),
  includeTimestamp: z.boolean().optional().describe('default true'),
  payloadFormat: z.string().min(1).max(500).includes('{body}', { error: 'must contain {body}' }).optional()
    .describe("what is signed: {body}, {timestamp}, {method}, {url}, {svix-id}; default '{timestamp}.{body}'"),
  messageIdHeader: headerName.optional().describe('the header {svix-id} is read from'),
  secretIsBase64: z.boolean().optional().describe('the secret is base64 and decoded before use; default false'),
};
const bearerOptionsBody = {
  headerName: headerName.optional().describe('bearer credential: the header the token travels in; default Authorization'),
  bearerPrefixEnabled: z.boolean().optional().describe("bearer credential: 'Bearer ' before the token; default true"),
};

/** Why HMAC needs a credential id: said in the 400, so the tenant knows what to do. */
export const HMAC_NEEDS_CREDENTIAL =
  'required for type hmac: VAPI signs webhooks only through a webhook credential created in VAPI (POST /credential, or the dashboard) and named by server.credentialId; a server URL set per call carries no signature otherwise. Give that credential\'s id here, its secret as secret, and its options';

const webhookAuthBody = z
  .object({
    type: z.enum(['secret', 'bearer', 'hmac']).describe('how VAPI authenticates its webhooks: X-Vapi-Secret header, Bearer token, or HMAC signature'),
    secret: z.string().min(8).max(500).describe("the shared secret, the bearer credential's token, or the HMAC credential's secret key"),
    credentialId: z.string().trim().min(1).max(200).optional()
      .describe('id of the webhook credential created in VAPI; sent as assistantOverrides.server.credentialId (then no headers); required for hmac'),
    ...hmacOptionsBody,
    ...bearerOptionsBody,
  })
  .strict()
  .superRefine((auth, context) => {
    if (auth.type === 'hmac' && !auth.credentialId) context.addIssue({ code: 'custom', path: ['credentialId'], message: HMAC_NEEDS_CREDENTIAL });
    const allowed: readonly string[] = auth.type === 'hmac' ? HMAC_OPTION_KEYS : auth.type === 'bearer' ? BEARER_OPTION_KEYS : [];
    for (const key of [...HMAC_OPTION_KEYS, ...BEARER_OPTION_KEYS]) {
      if (auth[key] !== undefined && !allowed.includes(key)) {
        context.addIssue({ code: 'custom', path: [key], message: `an option of type ${HMAC_OPTION_KEYS.includes(key as never) ? 'hmac' : 'bearer'}, not ${auth.type}` });
      }
    }
  })
  .describe('replaces the whole webhook credential: options left out take VAPI\'s defaults');

// In-call opt-out (sql/052_in_call_opt_out.sql): the tool name follows VAPI's pattern for function names.
const optOutSettings = z.object({
  structuredDataField: z.string().trim().min(1).max(200).nullable()
    .describe('the field of the end-of-call-report\'s analysis.structuredData that, when true, is an opt-out (dots separate nested keys; default optOut); null = not read'),
  toolName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a VAPI function name: letters, digits, _ and -, at most 64').nullable()
    .describe('the assistant tool whose call is an opt-out (answered by pgdialer); null = none'),
});
import { HttpError } from '../http/errors.js';
import { forwardMessagesOf, SERVER_MESSAGE_TYPES, serverMessagesFor } from '../vapi/serverMessages.js';

const settingsBody = z
  .object({
    vapi: z
      .object({
        apiKey: z.string().trim().min(1).max(500).optional().describe('VAPI private key (stored encrypted)'),
        baseUrl: z.url({ protocol: /^https?$/ }).max(500).nullable().optional().describe('VAPI API base URL; null = the server default'),
        webhookAuth: webhookAuthBody.optional(),
        forwardUrl: z
          .url({ protocol: /^https?$/ })
          .max(2000)
          .nullable()
          .optional()
          .describe("the tenant's own assistant server: tool calls, transfers and reports are relayed there (see server/webhooks/README.md); null = no relay"),
        forwardMessages: z
          .array(z.enum(SERVER_MESSAGE_TYPES))
          .max(64)
          .nullable()
          .optional()
          .describe("message types relayed (and asked of VAPI) besides the request types, from VAPI's serverMessages enum; null = VAPI's default list minus the per-turn types"),
      })
      .strict()
      .optional(),
    concurrencyLimit: z.int().min(1).max(10000).optional(),
    maxCallsPerNumberPer24h: z.int().min(1).max(100).optional(),
    contactHours: z.object({ start: clockTime, end: clockTime }).optional().describe('hours (in the contact\'s zone) when anyone may be called'),
    optOut: optOutSettings.partial().strict().optional().describe('what in a call puts the number on do-not-call at once'),
  })
  .strict();

export const vapiStatusView = z
  .object({
    ok: z.boolean().describe('false while VAPI refuses the account: no call of the tenant is placed'),
    reason: z.string().nullable().describe("VAPI's answer (401/403 and its message) or the account-problem endedReason"),
    since: z.string().nullable().describe('when VAPI first refused it'),
  })
  .describe('the account\'s standing with VAPI; cleared by a PUT of vapi.apiKey or vapi.baseUrl, or POST /v1/settings/vapi-status/clear');

/** The tenant's VAPI standing from tenants.vapi_blocked_at / vapi_blocked_reason. */
export const vapiStatusOf = (row: { vapi_blocked_at: string | null; vapi_blocked_reason: string | null }) => ({
  ok: row.vapi_blocked_at === null,
  reason: row.vapi_blocked_reason,
  since: row.vapi_blocked_at,
});

const settingsView = z.object({
  vapi: z.object({
    apiKey: z.string().nullable().describe('masked: "…" and the last 4 characters; null when not set'),
    baseUrl: z.string().nullable(),
    webhookAuth: z.object({
      type: z.enum(['secret', 'bearer', 'hmac']),
      secretSet: z.boolean(),
      credentialId: z.string().nullable().describe('the VAPI credential sent as server.credentialId; null = shared-secret headers'),
      options: z.record(z.string(), z.unknown()).describe("the credential's options in effect (VAPI's defaults filled in)"),
    }),
    forwardUrl: z.string().nullable(),
    forwardMessages: z.array(z.string()).describe('the types relayed (the default list when none was set)'),
    forwardMessagesDefault: z.boolean().describe('true when forwardMessages is the default list'),
    serverMessages: z.array(z.string()).describe("assistantOverrides.serverMessages of this tenant's calls (with the tenant's forwardUrl; a campaign's own forwardUrl asks for the same list)"),
  }),
  concurrencyLimit: z.int(),
  vapiConcurrencyLimit: z.int().nullable().describe('the limit VAPI last reported, if any'),
  effectiveConcurrencyLimit: z.int().describe('the lower of concurrencyLimit and vapiConcurrencyLimit: what the worker uses'),
  maxCallsPerNumberPer24h: z.int(),
  contactHours: z.object({ start: z.string(), end: z.string() }),
  optOut: optOutSettings,
  vapiStatus: vapiStatusView,
  updatedAt: z.string(),
});

const tenantRow = z3.object({
  vapi_api_key_encrypted: z3.string().nullable(),
  vapi_base_url: z3.string().nullable(),
  webhook_auth_type: z3.enum(['secret', 'bearer', 'hmac']),
  webhook_secret_encrypted: z3.string().nullable(),
  webhook_credential_id: z3.string().nullable(),
  webhook_auth_options: z3.record(z3.unknown()),
  concurrency_limit: z3.number(),
  vapi_concurrency_limit: z3.number().nullable(),
  max_calls_per_number_per_24h: z3.number(),
  contact_hours_start: z3.string(),
  contact_hours_end: z3.string(),
  opt_out_structured_data_field: z3.string().nullable(),
  opt_out_tool_name: z3.string().nullable(),
  vapi_blocked_at: z3.string().nullable(),
  vapi_blocked_reason: z3.string().nullable(),
  updated_at: z3.string(),
  forward_url: z3.string().nullable(),
  forward_messages: z3.array(z3.string()).nullable(),
});
const tenantColumns = sql.fragment`vapi_api_key_encrypted, vapi_base_url, webhook_auth_type, webhook_secret_encrypted,
  webhook_credential_id, webhook_auth_options, forward_url, forward_messages,
  concurrency_limit, vapi_concurrency_limit, max_calls_per_number_per_24h, contact_hours_start::text,
  contact_hours_end::text, opt_out_structured_data_field, opt_out_tool_name, vapi_blocked_at, vapi_blocked_reason, updated_at`;

const mask = (secret: string) => '…' + secret.slice(-4);

function toView(row: z3.infer<typeof tenantRow>, appSecret: string): z.infer<typeof settingsView> {
  return {
    vapi: {
      apiKey: row.vapi_api_key_encrypted ? mask(decryptSecret(appSecret, row.vapi_api_key_encrypted)) : null,
      baseUrl: row.vapi_base_url,
      webhookAuth: {
        type: row.webhook_auth_type,
        secretSet: row.webhook_secret_encrypted !== null,
        credentialId: row.webhook_credential_id,
        options: effectiveOptions(row.webhook_auth_type, row.webhook_auth_options),
      },
      forwardUrl: row.forward_url,
      forwardMessages: [...forwardMessagesOf(row.forward_messages)],
      forwardMessagesDefault: row.forward_messages === null,
      serverMessages: serverMessagesFor(row.forward_url ? { messages: forwardMessagesOf(row.forward_messages) } : null, { optOutTool: row.opt_out_tool_name !== null }),
    },
    concurrencyLimit: row.concurrency_limit,
    vapiConcurrencyLimit: row.vapi_concurrency_limit,
    effectiveConcurrencyLimit: Math.min(row.concurrency_limit, row.vapi_concurrency_limit ?? row.concurrency_limit),
    maxCallsPerNumberPer24h: row.max_calls_per_number_per_24h,
    contactHours: { start: hhmm(row.contact_hours_start), end: hhmm(row.contact_hours_end) },
    optOut: { structuredDataField: row.opt_out_structured_data_field, toolName: row.opt_out_tool_name },
    vapiStatus: vapiStatusOf(row),
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
      description:
        'Changing the VAPI key clears the concurrency limit VAPI reported for the old key. Setting vapi.apiKey or vapi.baseUrl clears a refused vapiStatus (dialing resumes).',
      body: settingsBody,
      responses: { 200: { description: 'the settings after the change', schema: settingsView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const vapi = body.vapi;
      const auth = vapi?.webhookAuth;
      const authOptions = auth ? optionsOf(auth.type, auth) : {};
      const set = (column: string, value: unknown) => sql.fragment`${sql.identifier([column])} = ${value as string}`;
      const assignments = [
        ...(vapi?.apiKey !== undefined
          ? [set('vapi_api_key_encrypted', encryptSecret(appSecret, vapi.apiKey)), sql.fragment`vapi_concurrency_limit = null`]
          : []),
        ...(vapi?.baseUrl !== undefined ? [set('vapi_base_url', vapi.baseUrl)] : []),
        // New VAPI settings may fix what VAPI refused: dialing resumes (clear_tenant_vapi's rule).
        ...(vapi?.apiKey !== undefined || vapi?.baseUrl !== undefined ? [sql.fragment`vapi_blocked_at = null, vapi_blocked_reason = null`] : []),
        ...(auth
          ? [
              set('webhook_auth_type', auth.type),
              set('webhook_secret_encrypted', encryptSecret(appSecret, auth.secret)),
              set('webhook_credential_id', auth.credentialId ?? null),
              sql.fragment`webhook_auth_options = ${JSON.stringify(authOptions)}::jsonb`,
            ]
          : []),
        ...(vapi?.forwardUrl !== undefined ? [set('forward_url', vapi.forwardUrl)] : []),
        ...(vapi?.forwardMessages !== undefined
          ? [sql.fragment`forward_messages = ${vapi.forwardMessages === null ? null : sql.array([...new Set(vapi.forwardMessages)], 'text')}`]
          : []),
        ...(body.concurrencyLimit !== undefined ? [set('concurrency_limit', body.concurrencyLimit)] : []),
        ...(body.maxCallsPerNumberPer24h !== undefined ? [set('max_calls_per_number_per_24h', body.maxCallsPerNumberPer24h)] : []),
        ...(body.contactHours
          ? [sql.fragment`contact_hours_start = ${body.contactHours.start}::time`, sql.fragment`contact_hours_end = ${body.contactHours.end}::time`]
          : []),
        ...(body.optOut?.structuredDataField !== undefined ? [set('opt_out_structured_data_field', body.optOut.structuredDataField)] : []),
        ...(body.optOut?.toolName !== undefined ? [set('opt_out_tool_name', body.optOut.toolName)] : []),
      ];
      const row = await context.pool.transaction(async (connection) => {
        const updated = await connection.one(sql.type(tenantRow)`
          update dialer.tenants set ${sql.join([...assignments, sql.fragment`updated_at = now()`], sql.fragment`, `)}
          where id = ${caller.tenantId} returning ${tenantColumns}`);
        // Relayed requests are signed with the webhook secret: without one the tenant could not verify them.
        if (updated.forward_url && !updated.webhook_secret_encrypted) {
          throw new HttpError(400, 'validation_error', 'a forward URL needs a webhook secret to sign relayed requests with', [
            { path: 'vapi.forwardUrl', message: 'set vapi.webhookAuth {type, secret} first (or in the same request)' },
          ]);
        }
        // What changed, never the secrets themselves.
        const changed = {
          ...(vapi?.apiKey !== undefined ? { vapiApiKey: mask(vapi.apiKey) } : {}),
          ...(vapi?.baseUrl !== undefined ? { vapiBaseUrl: vapi.baseUrl } : {}),
          ...(auth
            ? { webhookAuthType: auth.type, webhookSecret: 'changed', webhookCredentialId: auth.credentialId ?? null, webhookAuthOptions: authOptions }
            : {}),
          ...(vapi?.forwardUrl !== undefined ? { forwardUrl: vapi.forwardUrl } : {}),
          ...(vapi?.forwardMessages !== undefined ? { forwardMessages: vapi.forwardMessages } : {}),
          ...(body.concurrencyLimit !== undefined ? { concurrencyLimit: body.concurrencyLimit } : {}),
          ...(body.maxCallsPerNumberPer24h !== undefined ? { maxCallsPerNumberPer24h: body.maxCallsPerNumberPer24h } : {}),
          ...(body.contactHours ? { contactHours: body.contactHours } : {}),
          ...(body.optOut ? { optOut: body.optOut } : {}),
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

  route(
    router,
    {
      method: 'post',
      path: '/v1/settings/vapi-status/clear',
      summary: 'Resume dialing after VAPI refused the account (audited)',
      description: 'For an operator who fixed the account on VAPI\'s side (credits, subscription, key): clears vapiStatus so the tenant\'s calls are claimed again. A no-op when vapiStatus is ok.',
      responses: { 200: { description: 'the settings after the change', schema: settingsView } },
    },
    async (_input, _request, response) => {
      const caller = callerOf(response);
      const row = await context.pool.transaction(async (connection) => {
        const before = await connection.one(sql.type(tenantRow)`select ${tenantColumns} from dialer.tenants where id = ${caller.tenantId} for update`);
        const cleared = await clearTenantVapi(connection, caller.tenantId);
        if (cleared) {
          await audit(connection, {
            tenantId: caller.tenantId,
            actor: apiKeyActor(caller.apiKeyId),
            action: 'clear_vapi_status',
            entity: 'settings',
            entityId: caller.tenantId,
            details: { reason: before.vapi_blocked_reason, since: before.vapi_blocked_at },
          });
          await notifyWorker(connection, 'vapi-status-cleared');
        }
        return connection.one(sql.type(tenantRow)`select ${tenantColumns} from dialer.tenants where id = ${caller.tenantId}`);
      });
      // The tenant's waiting calls are due again: a sleeping worker holds no LISTEN, so wake it.
      if (row.vapi_blocked_at === null) context.wakeWorker?.('vapi-status-cleared');
      return { body: toView(row, appSecret) };
    },
  );
}
