// POST /webhooks/vapi authentication and storage: each tenant method accepted, a wrong or
// missing credential refused with nothing stored, malformed JSON stored and refused, unknown
// calls stored, the same body stored once, and a rotated secret honoured at once although the
// receiver keeps credentials for a while.
import t from 'tap';
import { createHmac } from 'node:crypto';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { eventCount, insertTenant, TEST_APP_SECRET } from '../worker/fixtures.js';
import { encryptSecret } from '../../server/crypto.js';

const db = await createTestDatabase(t);
const api = await startTestApi(t, { pool: db.pool });
const secretTenant = await insertTenant(db.pool, { webhookAuthType: 'secret', webhookSecret: 's3cret-value' });
const bearerTenant = await insertTenant(db.pool, { webhookAuthType: 'bearer', webhookSecret: 'bearer-token-value' });
const hmacTenant = await insertTenant(db.pool, { webhookAuthType: 'hmac', webhookSecret: 'hmac-key-value', webhookCredentialId: 'cred-hmac-default' });
const noSecretTenant = await insertTenant(db.pool, { webhookAuthType: 'secret', webhookSecret: null });

let sequence = 0;
/** A status-update about a call nobody knows; unique per call so dedupe does not interfere. */
const body = () =>
  JSON.stringify({
    message: { type: 'status-update', status: 'ringing', timestamp: Date.now(), call: { id: `vapi-unknown-${++sequence}`, status: 'ringing' } },
  });

async function post(tenant: string | null, payload: string, headers: Record<string, string> = {}) {
  const url = `${api.url}/webhooks/vapi${tenant ? `?tenant=${tenant}` : ''}`;
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const sign = (secret: string, timestamp: string, payload: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');

t.test('secret: X-Vapi-Secret', async (t) => {
  const before = await eventCount(db.pool);
  t.same(await post(secretTenant, body(), { 'x-vapi-secret': 's3cret-value' }), { status: 200, body: {} });
  t.equal(await eventCount(db.pool), before + 1, 'stored');
  const wrong = await post(secretTenant, body(), { 'x-vapi-secret': 's3cret-valuE' });
  t.equal(wrong.status, 401);
  t.match(wrong.body, { error: { code: 'unauthorized' } }, 'the one error format');
  t.equal((await post(secretTenant, body())).status, 401, 'missing credential');
  t.equal((await post(secretTenant, body(), { authorization: 'Bearer s3cret-value' })).status, 401, 'a bearer is not the secret method');
  t.equal(await eventCount(db.pool), before + 1, 'nothing stored for refused requests');
});

t.test('secret: X-Vapi-Secret: Bearer <secret> (a bearer credential sending X-Vapi-Secret with its default prefix)', async (t) => {
  const before = await eventCount(db.pool);
  t.equal((await post(secretTenant, body(), { 'x-vapi-secret': 'Bearer s3cret-value' })).status, 200);
  t.equal((await post(secretTenant, body(), { 'x-vapi-secret': 'Bearer s3cret-valuE' })).status, 401);
  t.equal((await post(secretTenant, body(), { 'x-vapi-secret': 'Bearer ' })).status, 401);
  t.equal(await eventCount(db.pool), before + 1);
});

t.test('bearer: Authorization: Bearer, or the same token as X-Vapi-Secret', async (t) => {
  const before = await eventCount(db.pool);
  t.equal((await post(bearerTenant, body(), { authorization: 'Bearer bearer-token-value' })).status, 200);
  t.equal((await post(bearerTenant, body(), { 'x-vapi-secret': 'bearer-token-value' })).status, 200);
  t.equal((await post(bearerTenant, body(), { 'x-vapi-secret': 'Bearer bearer-token-value' })).status, 200, 'X-Vapi-Secret: Bearer <token>');
  t.equal((await post(bearerTenant, body(), { authorization: 'Bearer nope' })).status, 401);
  t.equal((await post(bearerTenant, body(), { authorization: 'bearer-token-value' })).status, 401, 'not a bearer header');
  t.equal(await eventCount(db.pool), before + 3);
});

t.test('hmac: x-signature over "{x-timestamp}.{raw body}"', async (t) => {
  const before = await eventCount(db.pool);
  const payload = body();
  const timestamp = String(Date.now());
  t.equal((await post(hmacTenant, payload, { 'x-timestamp': timestamp, 'x-signature': sign('hmac-key-value', timestamp, payload) })).status, 200);
  // The exact bytes count: the same JSON re-serialized with other spacing does not verify.
  const spaced = JSON.stringify(JSON.parse(payload), null, 1);
  t.equal((await post(hmacTenant, spaced, { 'x-timestamp': timestamp, 'x-signature': sign('hmac-key-value', timestamp, payload) })).status, 401);
  t.equal((await post(hmacTenant, payload, { 'x-timestamp': timestamp, 'x-signature': sign('other-key', timestamp, payload) })).status, 401);
  const stale = String(Date.now() - 10 * 60_000);
  t.equal((await post(hmacTenant, payload, { 'x-timestamp': stale, 'x-signature': sign('hmac-key-value', stale, payload) })).status, 401, 'stale timestamp');
  t.equal((await post(hmacTenant, body(), { 'x-vapi-secret': 'hmac-key-value' })).status, 401, 'the secret alone is not a signature');
  const seconds = String(Math.floor(Date.now() / 1000));
  const other = body();
  t.equal((await post(hmacTenant, other, { 'x-timestamp': seconds, 'x-signature': sign('hmac-key-value', seconds, other) })).status, 200, 'epoch seconds accepted');
  t.equal(await eventCount(db.pool), before + 2);
});

t.test('a tenant without a webhook secret accepts nothing; an unknown tenant neither', async (t) => {
  const before = await eventCount(db.pool);
  t.equal((await post(noSecretTenant, body(), { 'x-vapi-secret': '' })).status, 401);
  t.equal((await post('00000000-0000-4000-8000-000000000000', body(), { 'x-vapi-secret': 's3cret-value' })).status, 401);
  t.equal((await post('not-a-uuid', body(), { 'x-vapi-secret': 's3cret-value' })).status, 401);
  t.equal((await post(null, body(), { 'x-vapi-secret': 's3cret-value' })).status, 401, 'no tenant and an unknown call');
  t.equal(await eventCount(db.pool), before);
});

t.test('malformed JSON: stored as raw_body, 400 in the one error format', async (t) => {
  const response = await post(secretTenant, '{"message": {"type": "status-upd', { 'x-vapi-secret': 's3cret-value' });
  t.equal(response.status, 400);
  t.match(response.body, { error: { code: 'invalid_json', message: /not valid JSON/ } });
  const row = await db.pool.one(sql.type(z.object({ raw_body: z.string().nullable(), payload: z.unknown(), error: z.string().nullable() }))`
    select raw_body, payload, error from dialer.call_events where raw_body is not null`);
  t.equal(row.raw_body, '{"message": {"type": "status-upd');
  t.equal(row.payload, null);
  t.match(row.error, /invalid JSON/);
  const unauthenticated = await post(secretTenant, '{oops', { 'x-vapi-secret': 'wrong' });
  t.equal(unauthenticated.status, 401, 'authentication comes first');
});

t.test('unknown call, unknown type, both timestamp formats: stored, 200 {}', async (t) => {
  const payloads = [
    { message: { type: 'conversation-update', timestamp: '2026-11-20T10:00:00.000Z', call: { id: 'vapi-x-1' } } },
    { message: { type: 'something-new', timestamp: 1795000000000, call: { id: 'vapi-x-2' } } },
    { message: { type: 'status-update', status: 'ended', endedReason: 'customer-ended-call', call: { id: 'vapi-x-3' } } },
    { unexpected: ['shape'] },
  ];
  for (const payload of payloads) {
    t.same(await post(secretTenant, JSON.stringify(payload), { 'x-vapi-secret': 's3cret-value' }), { status: 200, body: {} });
  }
  const rows = await db.pool.any(sql.type(z.object({ type: z.string().nullable(), event_at: z.string().nullable(), call_id: z.string().nullable() }))`
    select type, event_at, call_id from dialer.call_events where vapi_call_id like 'vapi-x-%' order by id`);
  t.same(rows.map((row) => row.type), ['conversation-update', 'something-new', 'status-update']);
  t.equal(rows[0]!.event_at, '2026-11-20T10:00:00.000Z', 'ISO timestamp');
  t.equal(rows[1]!.event_at, new Date(1795000000000).toISOString(), 'epoch ms timestamp');
  t.ok(rows.every((row) => row.call_id === null));
});

t.test('the same body twice is stored once', async (t) => {
  const payload = body();
  const before = await eventCount(db.pool);
  t.equal((await post(secretTenant, payload, { 'x-vapi-secret': 's3cret-value' })).status, 200);
  t.equal((await post(secretTenant, payload, { 'x-vapi-secret': 's3cret-value' })).status, 200, 'a duplicate is answered 200');
  t.equal(await eventCount(db.pool), before + 1);
  // The same bytes for another tenant are that tenant's event.
  t.equal((await post(bearerTenant, payload, { authorization: 'Bearer bearer-token-value' })).status, 200);
  t.equal(await eventCount(db.pool), before + 2);
});

t.test('a bearer credential with its own header and no prefix: what it sends is what is checked', async (t) => {
  const tenant = await insertTenant(db.pool, {
    webhookAuthType: 'bearer', webhookSecret: 'custom-token-value', webhookCredentialId: 'cred-bearer-custom',
    webhookAuthOptions: { headerName: 'X-Api-Token', bearerPrefixEnabled: false },
  });
  t.equal((await post(tenant, body(), { 'x-api-token': 'custom-token-value' })).status, 200);
  t.equal((await post(tenant, body(), { 'x-api-token': 'custom-token-valuE' })).status, 401);
  t.equal((await post(tenant, body(), { 'x-other': 'custom-token-value' })).status, 401);
});

// The HMAC credential's options, as VAPI's HMACAuthenticationPlan names them; a test signs the way
// each configuration says and checks that only that way passes.
type Plan = { algorithm: 'sha256' | 'sha512' | 'sha1'; encoding: 'hex' | 'base64'; payload: (timestamp: string, body: string) => string };
const signWith = (secret: string | Buffer, plan: Plan, timestamp: string, payload: string) =>
  createHmac(plan.algorithm, secret).update(plan.payload(timestamp, payload)).digest(plan.encoding);

t.test('hmac credential options: algorithm, encoding, headers, prefix, payload format, base64 secret', async (t) => {
  const cases: Array<{ name: string; options: Record<string, unknown>; plan: Plan; headers: (signature: string, timestamp: string) => Record<string, string>; secret?: Buffer }> = [
    {
      name: 'sha512, base64, custom headers, GitHub-style prefix',
      options: { algorithm: 'sha512', signatureEncoding: 'base64', signatureHeader: 'X-Hub-Signature', timestampHeader: 'X-Hub-Time', signaturePrefix: 'sha512=' },
      plan: { algorithm: 'sha512', encoding: 'base64', payload: (ts, b) => `${ts}.${b}` },
      headers: (signature, timestamp) => ({ 'x-hub-signature': `sha512=${signature}`, 'x-hub-time': timestamp }),
    },
    {
      name: 'sha1 over a custom payload format',
      options: { algorithm: 'sha1', payloadFormat: '{method} {url}\n{timestamp}\n{body}' },
      plan: { algorithm: 'sha1', encoding: 'hex', payload: (ts, b) => `POST ${api.context.config.publicUrl}/webhooks/vapi?tenant=TENANT\n${ts}\n${b}` },
      headers: (signature, timestamp) => ({ 'x-signature': signature, 'x-timestamp': timestamp }),
    },
    {
      name: 'no timestamp: the body alone',
      options: { includeTimestamp: false },
      plan: { algorithm: 'sha256', encoding: 'hex', payload: (_ts, b) => b },
      headers: (signature) => ({ 'x-signature': signature }),
    },
    {
      name: 'a base64 secret is decoded first',
      options: { secretIsBase64: true },
      plan: { algorithm: 'sha256', encoding: 'hex', payload: (ts, b) => `${ts}.${b}` },
      headers: (signature, timestamp) => ({ 'x-signature': signature, 'x-timestamp': timestamp }),
      secret: Buffer.from('raw-key-bytes-0123'),
    },
  ];
  for (const testCase of cases) {
    const secretText = testCase.secret ? testCase.secret.toString('base64') : `key-${testCase.name.length}-value`;
    const tenant = await insertTenant(db.pool, {
      webhookAuthType: 'hmac', webhookSecret: secretText, webhookCredentialId: `cred-${testCase.name.length}`, webhookAuthOptions: testCase.options,
    });
    const plan = { ...testCase.plan, payload: (ts: string, b: string) => testCase.plan.payload(ts, b).replace('TENANT', tenant) };
    const key = testCase.secret ?? secretText;
    const payload = body();
    const timestamp = String(Date.now());
    const good = testCase.headers(signWith(key, plan, timestamp, payload), timestamp);
    t.equal((await post(tenant, payload, good)).status, 200, `${testCase.name}: signed as configured`);
    // Signed VAPI's default way (sha256 hex of "{timestamp}.{body}" in x-signature) does not pass.
    const defaultWay = { 'x-signature': sign(secretText, timestamp, payload), 'x-timestamp': timestamp };
    t.equal((await post(tenant, body(), defaultWay)).status, 401, `${testCase.name}: the default signature is refused`);
    const other = body();
    const wrongKey = testCase.headers(signWith('another-key', plan, timestamp, other), timestamp);
    t.equal((await post(tenant, other, wrongKey)).status, 401, `${testCase.name}: another key is refused`);
  }
});

t.test('a rotated secret is honoured at once: the kept credential is checked against the tenant\'s', async (t) => {
  const tenant = await insertTenant(db.pool, { webhookAuthType: 'secret', webhookSecret: 'rotate-old-secret' });
  t.equal((await post(tenant, body(), { 'x-vapi-secret': 'rotate-old-secret' })).status, 200, 'accepted (and the credential kept)');
  const rotate = (secret: string) =>
    db.pool.query(sql.unsafe`update dialer.tenants set webhook_secret_encrypted = ${encryptSecret(TEST_APP_SECRET, secret)} where id = ${tenant}::uuid`);
  await rotate('rotate-new-secret');
  const before = await eventCount(db.pool);
  t.equal((await post(tenant, body(), { 'x-vapi-secret': 'rotate-old-secret' })).status, 401, 'the old secret, still kept: refused when storing');
  t.equal(await eventCount(db.pool), before, 'nothing stored');
  t.equal((await post(tenant, body(), { 'x-vapi-secret': 'rotate-new-secret' })).status, 200, 'the new secret: accepted');
  await rotate('rotate-third-secret');
  t.equal((await post(tenant, body(), { 'x-vapi-secret': 'rotate-third-secret' })).status, 200, 'a secret newer than the kept one: read again, accepted');
  t.equal((await post(tenant, body(), { 'x-vapi-secret': 'rotate-new-secret' })).status, 401);
  t.equal(await eventCount(db.pool), before + 2);
});
