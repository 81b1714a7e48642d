// Dialing one claimed call against the VAPI simulator, through every answer VAPI can give:
// each ends in exactly one state, and no path POSTs the same call twice.
import t from 'tap';
import { createServer } from 'node:http';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { manualClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { claimCalls } from '../../db/queries/dispatch.js';
import { dialCall, type DialDeps } from '../../server/worker/dialCall.js';
import { createForwardingCache } from '../../server/worker/forwardingCache.js';
import { createTenantClients } from '../../server/worker/tenantClients.js';
import { createDialSteps } from '../../server/worker/dialSteps.js';
import { defaultWorkerSettings } from '../../server/worker/settings.js';
import { callRowById, insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET } from './fixtures.js';

const db = await createTestDatabase(t);
const sim = await startVapiSimulator({
  timing: { queuedMs: 5, ringingMs: 5, talkMs: 5, reportDelayMs: 1 },
  webhookUrl: 'http://127.0.0.1:9/none',
  // The tenants' webhook credentials, as if created in VAPI (made-up ids).
  credentials: {
    'cred-dial-hmac': { type: 'hmac', secretKey: 'whsec-test', algorithm: 'sha256' },
    'cred-dial-bearer': { type: 'bearer', token: 'whsec-test' },
  },
});
t.teardown(() => sim.close());
const clock = manualClock(new Date('2026-03-10T15:00:00Z'));
let phoneSeq = 0;

function deps(overrides: Partial<DialDeps['settings']> = {}): DialDeps {
  const settings = { ...defaultWorkerSettings, requestTimeoutMs: 500, ambiguousLookupDelayMs: 50, ...overrides };
  return {
    pool: db.pool,
    clock,
    log: silentLogger,
    publicUrl: 'https://dialer.example.com',
    settings,
    tenants: createTenantClients({ appSecret: TEST_APP_SECRET, defaultBaseUrl: sim.url, requestTimeoutMs: settings.requestTimeoutMs, ttlMs: 0 }),
    steps: createDialSteps(db.pool, clock),
    reportedLimits: new Map(),
    forwarding: createForwardingCache(),
  };
}

/** A tenant with one due direct call, claimed: returns the claim. */
async function claimOne(
  tenant: { vapiBaseUrl?: string; concurrencyLimit?: number; webhookAuthType?: 'secret' | 'bearer' | 'hmac'; webhookCredentialId?: string; name?: string | null } = {},
) {
  const tenantId = await insertTenant(db.pool, {
    vapiBaseUrl: tenant.vapiBaseUrl ?? sim.url,
    concurrencyLimit: tenant.concurrencyLimit,
    webhookAuthType: tenant.webhookAuthType,
    webhookCredentialId: tenant.webhookCredentialId,
  });
  const phone = `+1555100${String(++phoneSeq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone, tenant.name === undefined ? 'Ada Lovelace' : tenant.name);
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, clock.now(), { variables: { plan: 'gold' } });
  const claims = await claimCalls(db.pool, clock.now(), 10, 300);
  const claim = claims.find((c) => c.call_id === callId);
  if (!claim) throw new Error('the call was not claimed');
  return { tenantId, callId, phone, claim };
}

const dialsFor = (callId: string) => sim.dials().filter((dial) => dial.externalId === callId);
const vapiLimit = (tenantId: string) =>
  db.pool.oneFirst(sql.type(z.object({ l: z.number().nullable() }))`select vapi_concurrency_limit as l from dialer.tenants where id = ${tenantId}::uuid`);

t.test('201: recorded as queued with VAPI\'s id; the body is what VAPI expects', async (t) => {
  const longName = 'Bartholomew Maximilian Fitzgerald-Worthington III';
  const { callId, claim, tenantId } = await claimOne({ name: longName });
  t.equal(await dialCall(deps(), claim), 'dialed');
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'queued');
  const [dial] = dialsFor(callId);
  t.ok(dial, 'VAPI received it');
  t.equal(row.vapi_call_id, dial!.callId);
  t.equal(dial!.customerName, longName.slice(0, 40), 'name truncated to 40 characters');
  t.same(dial!.variableValues, { plan: 'gold' });
  const request = sim.requests.find((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(callId));
  t.match(request?.body, {
    assistantId: 'asst_test',
    phoneNumberId: 'pn_test',
    customer: { number: claim.phone, externalId: callId },
    assistantOverrides: { server: { url: `https://dialer.example.com/webhooks/vapi?tenant=${tenantId}`, headers: { 'X-Vapi-Secret': 'whsec-test' } } },
  });
  t.equal(await vapiLimit(tenantId), 10, 'the limit VAPI reported is recorded');
  t.equal(await dialCall(deps(), claim), 'skipped', 'a second dial of the same claim does nothing');
  t.equal(dialsFor(callId).length, 1);
});

t.test('the webhook credential follows the tenant\'s: shared-secret headers, or the VAPI credential\'s id', async (t) => {
  const bearer = await claimOne({ webhookAuthType: 'bearer' });
  t.equal(await dialCall(deps(), bearer.claim), 'dialed');
  const hmac = await claimOne({ webhookAuthType: 'hmac', webhookCredentialId: 'cred-dial-hmac' });
  t.equal(await dialCall(deps(), hmac.claim), 'dialed');
  const bearerCredential = await claimOne({ webhookAuthType: 'bearer', webhookCredentialId: 'cred-dial-bearer' });
  t.equal(await dialCall(deps(), bearerCredential.claim), 'dialed');
  const bodyFor = (callId: string) => sim.requests.find((r) => r.method === 'POST' && JSON.stringify(r.body ?? '').includes(callId))?.body as {
    assistantOverrides: { server: Record<string, unknown> };
  };
  const url = (tenantId: string) => `https://dialer.example.com/webhooks/vapi?tenant=${tenantId}`;
  t.same(bodyFor(bearer.callId).assistantOverrides.server, { url: url(bearer.tenantId), timeoutSeconds: 20, headers: { Authorization: 'Bearer whsec-test' } });
  t.same(bodyFor(hmac.callId).assistantOverrides.server, { url: url(hmac.tenantId), timeoutSeconds: 20, credentialId: 'cred-dial-hmac' },
    'HMAC: the credential\'s id, no headers (VAPI signs with the credential)');
  t.same(bodyFor(bearerCredential.callId).assistantOverrides.server, { url: url(bearerCredential.tenantId), timeoutSeconds: 20, credentialId: 'cred-dial-bearer' },
    'a bearer credential: its id, and no header that would override it');
});

t.test('429 with Retry-After: released for that long, not dialed', async (t) => {
  const { callId, claim } = await claimOne();
  sim.configure({ faults: { nextResponses: ['429'], retryAfterSeconds: 7 } });
  t.equal(await dialCall(deps(), claim), 'released');
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'scheduled');
  t.equal(row.due_at, new Date(clock.now().getTime() + 7_000).toISOString(), 'Retry-After honoured');
  t.equal(row.dispatch_failures, 1);
  t.match(row.last_error, /429/);
  t.equal(dialsFor(callId).length, 0);
  sim.configure({ faults: { retryAfterSeconds: undefined } });
});

t.test('500: released after the default delay', async (t) => {
  const { callId, claim } = await claimOne();
  sim.configure({ faults: { nextResponses: ['500'] } });
  t.equal(await dialCall(deps({ retryDelayMs: 45_000 }), claim), 'released');
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'scheduled');
  t.equal(row.due_at, new Date(clock.now().getTime() + 45_000).toISOString());
});

t.test('400 Over Concurrency Limit: released shortly, the tenant\'s VAPI limit lowered', async (t) => {
  const { callId, claim, tenantId } = await claimOne({ concurrencyLimit: 50 });
  sim.configure({ concurrencyLimit: 0 });
  t.equal(await dialCall(deps({ concurrencyRetryDelayMs: 3_000 }), claim), 'released');
  sim.configure({ concurrencyLimit: 10 });
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'scheduled');
  t.equal(row.due_at, new Date(clock.now().getTime() + 3_000).toISOString());
  t.match(row.last_error, /Over Concurrency Limit/);
  t.equal(await vapiLimit(tenantId), 1, 'lowered to the calls live with VAPI (none), floored at 1');
});

t.test('201 with concurrencyBlocked: recorded (VAPI holds it), the limit lowered to what VAPI reports', async (t) => {
  const { callId, claim, tenantId } = await claimOne({ concurrencyLimit: 50 });
  sim.configure({ concurrencyLimit: 0, concurrencyMode: 'block' });
  t.equal(await dialCall(deps(), claim), 'dialed');
  sim.configure({ concurrencyLimit: 10, concurrencyMode: 'reject' });
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'queued');
  t.ok(row.vapi_call_id);
  t.equal(await vapiLimit(tenantId), 1, 'VAPI reported 0; never below 1 so dialing resumes');
});

t.test('401 (a wrong or revoked key): the tenant is stopped, the call goes back unspent, nothing more is claimed', async (t) => {
  const { callId, claim, tenantId, phone } = await claimOne();
  sim.configure({ apiKeys: ['some-other-key'] });
  t.teardown(() => sim.configure({ apiKeys: undefined }));
  t.equal(await dialCall(deps(), claim), 'released');
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'scheduled', 'back to scheduled');
  t.equal(row.attempt, 1, 'the attempt is not used up');
  t.equal(row.outcome, null);
  t.match(row.last_error, /VAPI 401/);
  t.equal(dialsFor(callId).length, 0, 'VAPI created nothing');
  const tenant = await db.pool.one(sql.type(z.object({ vapi_blocked_at: z.string().nullable(), vapi_blocked_reason: z.string().nullable() }))`
    select vapi_blocked_at, vapi_blocked_reason from dialer.tenants where id = ${tenantId}::uuid`);
  t.equal(new Date(tenant.vapi_blocked_at!).toISOString(), clock.now().toISOString());
  t.match(tenant.vapi_blocked_reason, /^VAPI 401: /);
  const again = await claimCalls(db.pool, clock.now(), 10, 300);
  t.notOk(again.some((c) => c.tenant_id === tenantId), 'no call of the stopped tenant is claimed');
  await db.pool.query(sql.unsafe`select dialer.clear_tenant_vapi(${tenantId}::uuid)`);
  const cleared = await claimCalls(db.pool, clock.now(), 10, 300);
  t.ok(cleared.some((c) => c.call_id === callId && c.phone === phone), 'claimed again once cleared');
});

t.test('401 from a key replaced meanwhile: the call goes back, the tenant is not stopped', async (t) => {
  const { callId, claim, tenantId } = await claimOne();
  sim.configure({ apiKeys: ['some-other-key'] });
  t.teardown(() => sim.configure({ apiKeys: undefined }));
  const d = deps();
  const original = d.tenants.get.bind(d.tenants);
  // The client in hand was built from the old key; the tenant has a new one by the time VAPI answers.
  d.tenants.get = async (pool, id) => {
    const tenant = await original(pool, id);
    await db.pool.query(sql.unsafe`update dialer.tenants set vapi_api_key_encrypted = vapi_api_key_encrypted || '' , vapi_base_url = ${sim.url + '/'} where id = ${tenantId}::uuid`);
    return tenant;
  };
  t.equal(await dialCall(d, claim), 'released');
  t.equal((await callRowById(db.pool, callId)).status, 'scheduled');
  t.equal(await db.pool.oneFirst(sql.unsafe`select vapi_blocked_at from dialer.tenants where id = ${tenantId}::uuid`), null);
});

t.test('connection refused: released (nothing was sent)', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise((resolve) => closed.close(resolve));
  const { callId, claim } = await claimOne({ vapiBaseUrl: `http://127.0.0.1:${port}` });
  t.equal(await dialCall(deps(), claim), 'released');
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'scheduled');
  t.match(row.last_error, /unreachable.*ECONNREFUSED/);
});

t.test('timeout after VAPI created the call: found by lookup, recorded, not dialed again', async (t) => {
  const { callId, claim } = await claimOne();
  sim.configure({ faults: { nextResponses: ['timeout'], hangMs: 2_000 } });
  t.equal(await dialCall(deps(), claim), 'dialed');
  const row = await callRowById(db.pool, callId);
  const dials = dialsFor(callId);
  t.equal(dials.length, 1, 'one POST reached VAPI');
  t.equal(row.vapi_call_id, dials[0]!.callId, 'tied to the call VAPI created');
  t.equal(row.status === 'queued' || row.status === 'ringing' || row.status === 'in_progress' || row.status === 'ended', true);
});

t.test('reset after VAPI created the call: found, not dialed again', async (t) => {
  const { callId, claim } = await claimOne();
  sim.configure({ faults: { nextResponses: ['reset'] } });
  t.equal(await dialCall(deps(), claim), 'dialed');
  t.equal(dialsFor(callId).length, 1);
  t.equal((await callRowById(db.pool, callId)).vapi_call_id, dialsFor(callId)[0]!.callId);
});

t.test('timeout and VAPI never created it: released once, redialed once', async (t) => {
  // A VAPI that swallows the POST (the simulator always creates on its timeout fault).
  let posts = 0;
  const blackHole = createServer((request, response) => {
    if (request.method === 'POST') {
      posts++;
      request.resume();
      return; // never answers
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    blackHole.closeAllConnections();
    blackHole.close();
  });
  const { callId, claim, tenantId } = await claimOne({ vapiBaseUrl: `http://127.0.0.1:${(blackHole.address() as { port: number }).port}` });
  t.equal(await dialCall(deps(), claim), 'released');
  t.equal(posts, 1);
  let row = await callRowById(db.pool, callId);
  t.equal(row.status, 'scheduled');
  t.equal(row.due_at, clock.now().toISOString(), 'due again at once');
  t.equal(row.dial_started_at, null);

  // The next claim dials it again, this time through the simulator: exactly one more POST.
  await db.pool.query(sql.unsafe`update dialer.tenants set vapi_base_url = ${sim.url} where id = ${tenantId}::uuid`);
  const [again] = (await claimCalls(db.pool, clock.now(), 10, 300)).filter((c) => c.call_id === callId);
  t.ok(again, 'claimed again');
  t.equal(await dialCall(deps(), again!), 'dialed');
  t.equal(posts, 1);
  t.equal(dialsFor(callId).length, 1);
  row = await callRowById(db.pool, callId);
  t.equal(row.vapi_call_id, dialsFor(callId)[0]!.callId);
});

t.test('VAPI unreachable during the lookup: left for reconciliation, never redialed on a guess', async (t) => {
  let posts = 0;
  const flaky = createServer((request, response) => {
    if (request.method === 'POST') {
      posts++;
      request.resume();
      return;
    }
    response.writeHead(503, { 'content-type': 'application/json' }).end('{"message":"down"}');
  });
  await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    flaky.closeAllConnections();
    flaky.close();
  });
  const { callId, claim } = await claimOne({ vapiBaseUrl: `http://127.0.0.1:${(flaky.address() as { port: number }).port}` });
  t.equal(await dialCall(deps(), claim), 'unresolved');
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'dialing');
  t.ok(row.dial_started_at, 'marked as maybe dialed');
  t.equal(posts, 1);
});

t.test('a tenant without a VAPI key: stopped, the call goes back unspent', async (t) => {
  const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url, vapiKey: null });
  const phone = `+1555100${String(++phoneSeq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone, 'No Key');
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, clock.now());
  const claim = (await claimCalls(db.pool, clock.now(), 10, 300)).find((c) => c.call_id === callId)!;
  t.equal(await dialCall(deps(), claim), 'released');
  t.match(await callRowById(db.pool, callId), { status: 'scheduled', attempt: 1, outcome: null });
  t.equal(await db.pool.oneFirst(sql.unsafe`select vapi_blocked_reason from dialer.tenants where id = ${tenantId}::uuid`), 'the tenant has no VAPI API key');
});
