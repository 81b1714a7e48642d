-- Up Migration
-- Webhook credentials the way VAPI does them (issue #9): VAPI signs (HMAC) or authenticates
-- (bearer) the requests to a server URL only through a credential created in VAPI and named by
-- server.credentialId; the tenant gives us that id, its secret (webhook_secret_encrypted, as
-- before) and the credential's options, so the receiver checks exactly what VAPI sends.
alter table dialer.tenants add column webhook_credential_id text;
alter table dialer.tenants add column webhook_auth_options jsonb not null default '{}';
alter table dialer.tenants add constraint tenants_webhook_credential_id_length
  check (length(webhook_credential_id) between 1 and 200);
-- VAPI's names (HMACAuthenticationPlan, BearerAuthenticationPlan); absent = VAPI's default.
alter table dialer.tenants add constraint tenants_webhook_auth_options_valid check (
  jsonb_typeof(webhook_auth_options) = 'object'
  and coalesce(webhook_auth_options->>'algorithm', 'sha256') in ('sha256', 'sha512', 'sha1')
  and coalesce(webhook_auth_options->>'signatureEncoding', 'hex') in ('hex', 'base64'));
comment on column dialer.tenants.webhook_credential_id is
  'The id of the webhook credential the tenant created in VAPI; sent as assistantOverrides.server.credentialId on every call (then no server.headers). Required for hmac.';
comment on column dialer.tenants.webhook_auth_options is
  'The credential''s options under VAPI''s names: hmac {algorithm, signatureEncoding, signatureHeader, timestampHeader, signaturePrefix, includeTimestamp, payloadFormat, secretIsBase64}, bearer {headerName, bearerPrefixEnabled}; a missing key means VAPI''s default.';

-- Costs exactly as VAPI reports them (they have more than 4 decimals): numeric without scale. The
-- views reading the column are dropped here and re-created by sql/045_admin_views.sql.
drop view if exists dialer.call_history;
drop view if exists dialer.campaign_progress;
alter table dialer.calls alter column cost type numeric;
-- The end-of-call-report's typed costs[] (transport, transcriber, model, voice, vapi, …), kept as
-- sent; cost_breakdown is the Call object's costBreakdown (GET /call/{id}), which reports lack.
alter table dialer.calls add column costs jsonb;
alter table dialer.calls add constraint calls_costs_array check (jsonb_typeof(costs) = 'array');
comment on column dialer.calls.cost is 'USD, exactly as VAPI reported it (report or Call object).';
comment on column dialer.calls.costs is 'The end-of-call-report''s costs[] as sent (or the Call''s costs).';
comment on column dialer.calls.cost_breakdown is 'The Call object''s costBreakdown (GET /call/{id}); end-of-call-reports do not carry it.';

-- No secret stored in clear: webhooks stored before this migration carry what we sent VAPI as
-- assistantOverrides.server.headers (the shared secret) inside message.call; drop it. New events
-- are stored without it (server/webhooks/redact.ts).
update dialer.call_events
   set payload = payload #- '{message,call,assistantOverrides,server,headers}'
 where payload #> '{message,call,assistantOverrides,server,headers}' is not null;

-- Down Migration
alter table dialer.calls drop column costs;
drop view if exists dialer.call_history;
drop view if exists dialer.campaign_progress;
alter table dialer.calls alter column cost type numeric(12, 4);
alter table dialer.tenants drop column webhook_auth_options;
alter table dialer.tenants drop column webhook_credential_id;
