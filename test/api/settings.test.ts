import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { request } from '../helpers/request.js';
import { decryptSecret } from '../../server/crypto.js';

t.test('settings: defaults, full update encrypted at rest, masked on read, partial update keeps the rest', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const url = `${api.url}/v1/settings`;

  const defaults = await request(url, { headers: tenant.headers() });
  t.equal(defaults.status, 200);
  t.match(defaults.body, {
    vapi: { apiKey: null, baseUrl: null, webhookAuth: { type: 'secret', secretSet: false, credentialId: null, options: {} } },
    concurrencyLimit: 10, vapiConcurrencyLimit: null, effectiveConcurrencyLimit: 10,
    maxCallsPerNumberPer24h: 3, contactHours: { start: '08:00', end: '21:00' },
  });

  const vapiKey = 'vapi-private-key-0123456789abcd';
  const put = await request(url, {
    method: 'PUT', headers: tenant.headers(),
    json: {
      vapi: { apiKey: vapiKey, baseUrl: 'http://127.0.0.1:9999', webhookAuth: { type: 'hmac', secret: 'webhook-secret-xyz', credentialId: 'cred-hmac-0001' } },
      concurrencyLimit: 4, maxCallsPerNumberPer24h: 2, contactHours: { start: '09:30', end: '20:00' },
    },
  });
  t.equal(put.status, 200);
  t.match(put.body, {
    vapi: {
      apiKey: '…abcd', baseUrl: 'http://127.0.0.1:9999',
      webhookAuth: {
        type: 'hmac', secretSet: true, credentialId: 'cred-hmac-0001',
        options: { algorithm: 'sha256', signatureEncoding: 'hex', signatureHeader: 'x-signature', timestampHeader: 'x-timestamp', payloadFormat: '{timestamp}.{body}' },
      },
    },
    concurrencyLimit: 4, effectiveConcurrencyLimit: 4, maxCallsPerNumberPer24h: 2, contactHours: { start: '09:30', end: '20:00' },
  });
  t.notOk(JSON.stringify(put.body).includes('webhook-secret-xyz'), 'the webhook secret is never returned');
  t.notOk(JSON.stringify(put.body).includes(vapiKey), 'the VAPI key is never returned');

  const row = await db.pool.one(sql.unsafe`select * from dialer.tenants where id = ${tenant.id}`);
  t.not(row.vapi_api_key_encrypted, vapiKey, 'encrypted at rest');
  t.equal(decryptSecret(api.context.secrets.appSecret, row.vapi_api_key_encrypted), vapiKey);
  t.equal(decryptSecret(api.context.secrets.appSecret, row.webhook_secret_encrypted), 'webhook-secret-xyz');
  const audit = await db.pool.one(sql.unsafe`select details from dialer.audit_log where entity = 'settings'`);
  t.notOk(JSON.stringify(audit.details).includes(vapiKey), 'the audit log holds no secret');
  t.notOk(JSON.stringify(audit.details).includes('webhook-secret-xyz'));

  // VAPI reported a lower limit: the effective limit follows it.
  await db.pool.query(sql.unsafe`update dialer.tenants set vapi_concurrency_limit = 2 where id = ${tenant.id}`);
  const partial = await request(url, { method: 'PUT', headers: tenant.headers(), json: { contactHours: { start: '10:00', end: '18:00' } } });
  t.equal(partial.status, 200);
  t.match(partial.body, {
    vapi: { apiKey: '…abcd', webhookAuth: { type: 'hmac', secretSet: true } },
    concurrencyLimit: 4, vapiConcurrencyLimit: 2, effectiveConcurrencyLimit: 2, contactHours: { start: '10:00', end: '18:00' },
  });
  const cleared = await request(url, { method: 'PUT', headers: tenant.headers(), json: { vapi: { baseUrl: null } } });
  t.equal(cleared.body.vapi.baseUrl, null);
  t.equal(cleared.body.vapi.apiKey, '…abcd', 'the key is kept');
  const newKey = await request(url, { method: 'PUT', headers: tenant.headers(), json: { vapi: { apiKey: 'another-key-wxyz' } } });
  t.equal(newKey.body.vapi.apiKey, '…wxyz');
  t.equal(newKey.body.vapiConcurrencyLimit, null, 'a new key forgets the old key\'s reported limit');
});

t.test('settings: validation errors name each field; tenants see only their own', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const other = await createTestTenant(db.pool);
  const url = `${api.url}/v1/settings`;
  const bad = await request(url, {
    method: 'PUT', headers: tenant.headers(),
    json: { concurrencyLimit: 0, contactHours: { start: '9:00', end: '25:00' }, vapi: { webhookAuth: { type: 'md5', secret: 'x' } }, extra: 1 },
  });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.code, 'validation_error');
  const paths = bad.body.error.details.map((d: any) => d.path);
  for (const path of ['concurrencyLimit', 'contactHours.start', 'contactHours.end', 'vapi.webhookAuth.type', 'vapi.webhookAuth.secret', '(body)']) {
    t.ok(paths.includes(path), `a detail for ${path}`);
  }
  await request(url, { method: 'PUT', headers: other.headers(), json: { concurrencyLimit: 7 } });
  const mine = await request(url, { headers: tenant.headers() });
  t.equal(mine.body.concurrencyLimit, 10, 'another tenant\'s change does not leak');
  t.equal((await request(url, { method: 'PUT', json: {} })).status, 401);
  const text = await request(url, { method: 'PUT', headers: { ...tenant.headers(), 'content-type': 'text/plain' }, body: 'x' });
  t.equal(text.status, 415);
});

t.test('settings: a VAPI webhook credential: credentialId and its HMAC options, defaults, 400s that say why', async (t) => {
  const db = await createTestDatabase(t);
  const api = await startTestApi(t, { pool: db.pool });
  const tenant = await createTestTenant(db.pool);
  const url = `${api.url}/v1/settings`;
  const put = (webhookAuth: Record<string, unknown>) => request(url, { method: 'PUT', headers: tenant.headers(), json: { vapi: { webhookAuth } } });

  const noCredential = await put({ type: 'hmac', secret: 'hmac-secret-123' });
  t.equal(noCredential.status, 400, 'hmac without credentialId is refused');
  const detail = noCredential.body.error.details.find((d: any) => d.path === 'vapi.webhookAuth.credentialId');
  t.match(detail?.message, /VAPI signs webhooks only through a webhook credential/, 'the message says why');
  t.match(detail?.message, /server\.credentialId/);
  t.match((await request(url, { headers: tenant.headers() })).body.vapi.webhookAuth, { type: 'secret' }, 'nothing changed');

  const custom = await put({
    type: 'hmac', secret: 'hmac-secret-123', credentialId: 'cred-1234',
    algorithm: 'sha512', signatureEncoding: 'base64', signatureHeader: 'X-Hub-Signature', timestampHeader: 'X-Sent-At',
    signaturePrefix: 'sha512=', payloadFormat: '{timestamp}:{body}',
  });
  t.equal(custom.status, 200);
  t.same(custom.body.vapi.webhookAuth, {
    type: 'hmac', secretSet: true, credentialId: 'cred-1234',
    options: {
      algorithm: 'sha512', signatureEncoding: 'base64', signatureHeader: 'x-hub-signature', timestampHeader: 'x-sent-at',
      signaturePrefix: 'sha512=', includeTimestamp: true, payloadFormat: '{timestamp}:{body}', messageIdHeader: '', secretIsBase64: false,
    },
  });
  const row = await db.pool.one(sql.unsafe`select webhook_credential_id, webhook_auth_options from dialer.tenants where id = ${tenant.id}`);
  t.equal(row.webhook_credential_id, 'cred-1234');
  t.same(row.webhook_auth_options, {
    algorithm: 'sha512', signatureEncoding: 'base64', signatureHeader: 'X-Hub-Signature', timestampHeader: 'X-Sent-At',
    signaturePrefix: 'sha512=', payloadFormat: '{timestamp}:{body}',
  }, 'only what was given is stored: VAPI\'s defaults apply to the rest');
  t.notOk(JSON.stringify(row.webhook_auth_options).includes('hmac-secret-123'), 'no secret among the options');

  const bearer = await put({ type: 'bearer', secret: 'bearer-token-123', credentialId: 'cred-bearer-1', headerName: 'X-Vapi-Secret' });
  t.same(bearer.body.vapi.webhookAuth, {
    type: 'bearer', secretSet: true, credentialId: 'cred-bearer-1', options: { headerName: 'x-vapi-secret', bearerPrefixEnabled: true },
  }, 'a new webhookAuth replaces the whole credential (the HMAC options are gone)');

  const shared = await put({ type: 'secret', secret: 'shared-secret-123' });
  t.same(shared.body.vapi.webhookAuth, { type: 'secret', secretSet: true, credentialId: null, options: {} }, 'back to shared-secret mode');

  const wrong = await put({ type: 'secret', secret: 'shared-secret-123', algorithm: 'md5', headerName: 'bad header', signatureEncoding: 'hex', payloadFormat: 'no body', other: 1 });
  t.equal(wrong.status, 400);
  const paths = wrong.body.error.details.map((d: any) => d.path);
  for (const path of ['vapi.webhookAuth.algorithm', 'vapi.webhookAuth.headerName', 'vapi.webhookAuth.payloadFormat', 'vapi.webhookAuth']) {
    t.ok(paths.includes(path), `a detail for ${path}`);
  }
  const misplaced = await put({ type: 'secret', secret: 'shared-secret-123', signatureEncoding: 'hex' });
  t.equal(misplaced.status, 400);
  t.match(misplaced.body.error.details, [{ path: 'vapi.webhookAuth.signatureEncoding', message: /type hmac, not secret/ }]);
  const audit = await db.pool.any(sql.unsafe`select details from dialer.audit_log where entity = 'settings' order by id`);
  t.match(audit[0]?.details, { webhookAuthType: 'hmac', webhookCredentialId: 'cred-1234', webhookAuthOptions: { algorithm: 'sha512' } });
  t.notOk(JSON.stringify(audit).includes('hmac-secret-123'), 'the audit log holds no secret');
});
