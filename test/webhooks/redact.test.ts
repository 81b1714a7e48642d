// No secret stored in clear (issue #9, item 9): a webhook echoing our server.headers (the shared
// secret), an inline assistant's credentials and a credential plan is stored without any of them,
// an unparsable body without the tenant's secret, and GET /v1/calls/:id returns none of them.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Vapi } from '@vapi-ai/server-sdk';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { insertContact, insertDirectCall } from '../worker/fixtures.js';
import { createdCall, endOfCallReport } from '../fixtures/vapi/messages.js';
import { redactPayload } from '../../server/webhooks/redact.js';

const SHARED = 'FIXTURE-SHARED-SECRET';
const secrets = [SHARED, 'sk-openai-FIXTURE-0001', 'hmac-FIXTURE-key', 'bearer-FIXTURE-token', 'twilio-FIXTURE-auth'];

t.test('stored payloads and API answers carry no secret', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const put = await request(`${api.url}/v1/settings`, {
    method: 'PUT', headers: tenant.headers(), json: { vapi: { webhookAuth: { type: 'secret', secret: SHARED } } },
  });
  t.equal(put.status, 200);
  const phone = '+15558200001';
  const contactId = await insertContact(db.pool, tenant.id, phone);
  const callId = await insertDirectCall(db.pool, tenant.id, contactId, phone, new Date());
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'queued', vapi_call_id = 'vapi-redact-1', dial_started_at = now() where id = ${callId}::uuid`);

  const call = createdCall('vapi-redact-1', callId, phone); // its assistantOverrides.server.headers hold SHARED
  const assistant = {
    name: 'inline',
    server: { url: 'https://tenant.example/hook', headers: { Authorization: 'Bearer bearer-FIXTURE-token' } },
    credentials: [{ provider: 'openai', apiKey: 'sk-openai-FIXTURE-0001' }],
  } as Vapi.CreateAssistantDto;
  const body = endOfCallReport(call, { assistant });
  const extra = {
    credential: { authenticationPlan: { type: 'hmac', secretKey: 'hmac-FIXTURE-key', algorithm: 'sha256' } },
    phoneNumber: { id: 'pn-1', twilioAuthToken: 'twilio-FIXTURE-auth' },
    note: `echoed ${SHARED} in a text`,
  };
  const post = (raw: string) =>
    fetch(`${api.url}/webhooks/vapi?tenant=${tenant.id}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vapi-secret': SHARED }, body: raw });
  t.equal((await post(JSON.stringify({ message: { ...body.message, ...extra } }))).status, 200);
  t.equal((await post(`{"message": {"type": "status-update", "note": "${SHARED}"`)).status, 400, 'an unparsable body is stored and refused');

  const rows = await db.pool.any(sql.type(z.object({ payload: z.unknown(), raw_body: z.string().nullable() }))`
    select payload, raw_body from dialer.call_events where tenant_id = ${tenant.id}::uuid order by id`);
  t.equal(rows.length, 2);
  const storedText = JSON.stringify(rows);
  for (const secret of secrets) t.notOk(storedText.includes(secret), `call_events holds no ${secret}`);
  const payload = rows[0]!.payload as any;
  t.equal(payload.message.call.assistantOverrides.server.headers, undefined, 'server.headers stripped');
  t.equal(payload.message.call.assistantOverrides.server.url, 'https://dialer.example.com/webhooks/vapi', 'the rest of the server kept');
  t.equal(payload.message.assistant.server.headers, undefined, 'an inline assistant\'s server.headers too');
  t.equal(payload.message.assistant.credentials, '[redacted]');
  t.equal(payload.message.credential.authenticationPlan.secretKey, '[redacted]');
  t.equal(payload.message.credential.authenticationPlan.algorithm, 'sha256', 'non-secret options kept');
  t.equal(payload.message.note, 'echoed [redacted] in a text', 'the tenant\'s secret is replaced wherever it appears');
  t.same(payload.message.costs, body.message.costs, 'the details are kept as sent');
  t.match(rows[1]!.raw_body, /"note": "\[redacted\]"/);

  const detail = await request(`${api.url}/v1/calls/${callId}`, { headers: tenant.headers() });
  t.equal(detail.status, 200);
  t.equal(detail.body.events.length, 1);
  t.same(detail.body.costs, body.message.costs, 'the API returns costs[] as reported');
  t.equal(detail.body.cost, body.message.cost, 'and the exact cost');
  t.equal(detail.body.costBreakdown, null, 'no costBreakdown from a report');
  const answered = JSON.stringify(detail.body);
  for (const secret of secrets) t.notOk(answered.includes(secret), `GET /v1/calls/:id returns no ${secret}`);
  const settings = JSON.stringify((await request(`${api.url}/v1/settings`, { headers: tenant.headers() })).body);
  t.notOk(settings.includes(SHARED), 'GET /v1/settings neither');
});

t.test('redactPayload keeps what is not a secret', async (t) => {
  const input = { message: { type: 'x', headers: { 'x-other': 'kept' }, tokens: 3, promptTokens: 5, token: '', secret: null, server: { url: 'u', headers: { a: 'b' } } } };
  t.same(redactPayload(input, null), { message: { type: 'x', headers: { 'x-other': 'kept' }, tokens: 3, promptTokens: 5, token: '', secret: null, server: { url: 'u' } } });
  t.same(redactPayload(['abc-secret-x'], 'secret'), ['abc-[redacted]-x']);
  t.same(redactPayload(['abc'], 'ab'), ['abc'], 'a secret shorter than 4 characters is not searched for');
});
