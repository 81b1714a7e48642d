// The relay to the tenant's own server, end to end over real HTTP and a real database: the API
// (webhooks), the worker, the VAPI simulator and a stand-in for the tenant's server. What VAPI is
// asked for (serverMessages), request messages relayed while VAPI waits (answer returned; target
// failing, slow or answering garbage → a well-formed error in time), every other message queued
// and delivered with retries (a target down, then up: nothing lost), signatures, the campaign's
// own forwardUrl, the dialer.forward_deliveries view and the call's events in GET /v1/calls/:id.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { request } from '../helpers/request.js';
import { createTestTenant } from '../helpers/tenant.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { loadConfig } from '../../server/config.js';
import { silentLogger } from '../../server/log.js';
import { systemClock } from '../../server/clock.js';
import { encryptSecret } from '../../server/crypto.js';
import { startWorker } from '../../server/worker/worker.js';
import { inProcessWaker } from '../../server/worker/wake.js';
import { verifyForwardSignature } from '../../server/webhooks/forwardSignature.js';
import { DEFAULT_FORWARD_MESSAGES, PER_TURN_MESSAGES, SERVER_MESSAGE_TYPES } from '../../server/vapi/serverMessages.js';
import { addMembers, insertCampaign, insertContact, insertDirectCall, insertTenant, startCampaign, TEST_APP_SECRET, waitFor } from '../worker/fixtures.js';
import { startForwardTarget, type Received } from './forwardTarget.js';

const SECRET = 'whsec-test'; // insertTenant's webhook secret
const SERVER_TIMEOUT_S = 2; // the relay must answer within 2 s: its budget is 1.5 s

const db = await createTestDatabase(t);
const target = await startForwardTarget(t);
let talkMs = 40;
const sim = await startVapiSimulator({
  timing: { queuedMs: 5, ringingMs: 5, talkMs: 40, reportDelayMs: 5 },
  script: () => ({ outcome: 'answered', endedReason: 'customer-ended-call', durationMs: talkMs }),
});
t.teardown(() => sim.close());
const config = loadConfig({ APP_SECRET: TEST_APP_SECRET, ADMIN_TOKEN: 'test-admin-token-123', VAPI_SERVER_TIMEOUT_SECONDS: String(SERVER_TIMEOUT_S) });
// The receiver wakes the worker for a queued delivery, in one process as npm start does.
const waker = inProcessWaker();
const api = await startTestApi(t, { pool: db.pool, config, wakeWorker: waker });
const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: silentLogger,
  clock: systemClock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: sim.url,
  settings: { serverTimeoutSeconds: SERVER_TIMEOUT_S, forwardRetryBaseMs: 150, forwardRetryMaxMs: 400, forwardTimeoutMs: 1_000, requestTimeoutMs: 5_000 },
});
t.teardown(() => worker.stop());
waker.attach((reason) => worker.wake(reason));

const setForwarding = (tenantId: string, url: string | null, messages: string[] | null = null) =>
  db.pool.query(sql.unsafe`update dialer.tenants set forward_url = ${url}, forward_messages = ${messages ? sql.array(messages, 'text') : null}
                           where id = ${tenantId}::uuid`);

let phoneSeq = 0;
/** A direct call due now, dialed by the worker: our call id and the simulator's. */
async function dialDirect(tenantId: string) {
  const phone = `+1555700${String(++phoneSeq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone);
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, new Date(Date.now() - 1000));
  worker.wake('test');
  let vapiCallId = '';
  await waitFor(() => {
    vapiCallId = sim.dials().find((dial) => dial.externalId === callId)?.callId ?? '';
    return vapiCallId !== '';
  }, 10_000, 'the dial');
  return { callId, vapiCallId };
}
const postBodyOf = (vapiCallId: string) => {
  const externalId = sim.dials().find((dial) => dial.callId === vapiCallId)?.externalId;
  const post = sim.requests.find((r) => r.method === 'POST' && r.path === '/call' && (r.body as any)?.customer?.externalId === externalId);
  return post?.body as any;
};
const inProgress = (vapiCallId: string) => waitFor(() => sim.calls.get(vapiCallId)?.status === 'in-progress', 10_000, 'in-progress');
const ended = async (callId: string) =>
  waitFor(async () => (await db.pool.oneFirst(sql.type(z.object({ s: z.string() }))`select status as s from dialer.calls where id = ${callId}::uuid`)) === 'ended', 10_000, 'the call to end');

const deliveryRow = z.object({
  id: z.number(),
  mode: z.string(),
  type: z.string().nullable(),
  url: z.string(),
  state: z.string(),
  attempts: z.number(),
  last_status: z.number().nullable(),
  last_error: z.string().nullable(),
  event_id: z.number(),
});
const deliveriesOf = (callId: string) =>
  db.pool.any(sql.type(deliveryRow)`
    select id, mode, type, url, state, attempts, last_status, last_error, event_id from dialer.forward_deliveries
    where call_id = ${callId}::uuid order by event_id, id`);
// Webhooks stored together share a statement, so event ids need not follow the order sent: compare as sets.
const byText = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();

const signedBy = (received: Received, secret: string) => verifyForwardSignature(secret, received.headers['x-pgdialer-signature'] as string, received.raw);
const perTurn = new Set<string>(PER_TURN_MESSAGES);

t.test('without a forward URL: VAPI is asked for status-update and end-of-call-report only, and a tool call gets an error, never {}', async (t) => {
  const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url });
  talkMs = 400;
  const { vapiCallId } = await dialDirect(tenantId);
  const body = postBodyOf(vapiCallId);
  t.same(body.assistantOverrides.serverMessages, ['end-of-call-report', 'status-update']);
  t.equal(body.assistantOverrides.server.timeoutSeconds, SERVER_TIMEOUT_S);
  await inProgress(vapiCallId);
  const record = await sim.sendRequestMessage(vapiCallId, { type: 'tool-calls', toolCalls: [{ id: 'call_nofwd1', name: 'lookup' }] });
  t.equal(record.skipped, 'not in serverMessages', 'VAPI would not send what was not asked for');

  // Should one arrive anyway (a tool of the assistant's own configuration), its answer is well-formed.
  const raw = JSON.stringify({ message: { type: 'tool-calls', timestamp: Date.now(), toolCallList: [{ id: 'call_nofwd2', type: 'function', function: { name: 'lookup', arguments: '{}' } }], call: sim.calls.get(vapiCallId) } });
  const answer = await request(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { headers: { 'x-vapi-secret': SECRET, 'content-type': 'application/json' }, body: raw });
  t.equal(answer.status, 200);
  t.equal(answer.body.results.length, 1);
  t.match(answer.body.results[0], { toolCallId: 'call_nofwd2', name: 'lookup', error: /no forward URL/ });
  t.equal(target.received.length, 0, 'nothing relayed');
});

t.test('with a forward URL: tool calls and transfers relayed while VAPI waits, every failure answered well-formed in time', async (t) => {
  const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url });
  await setForwarding(tenantId, `${target.url}/tenant-a`);
  talkMs = 8_000;
  const { callId, vapiCallId } = await dialDirect(tenantId);
  const serverMessages: string[] = postBodyOf(vapiCallId).assistantOverrides.serverMessages;
  const expected = SERVER_MESSAGE_TYPES.filter((type) =>
    ['tool-calls', 'transfer-destination-request', 'handoff-destination-request', 'function-call', ...DEFAULT_FORWARD_MESSAGES].includes(type),
  );
  t.same(serverMessages, expected);
  t.ok(serverMessages.includes('status-update') && serverMessages.includes('end-of-call-report'));
  t.notOk(serverMessages.some((type) => perTurn.has(type)), 'no per-turn type by default');
  await inProgress(vapiCallId);

  // The target's answer is what the assistant gets; the target gets VAPI's body, signed.
  target.on('/tenant-a', (received) =>
    received.message.type === 'tool-calls'
      ? { json: { results: received.message.toolCallList.map((call: any) => ({ toolCallId: call.id, name: call.function.name, result: 'booked for 3pm' })) } }
      : { json: {} },
  );
  const booked = await sim.sendRequestMessage(vapiCallId, { type: 'tool-calls', toolCalls: [{ id: 'call_ok1', name: 'book', arguments: { time: '15:00' } }] });
  t.equal(booked.responseStatus, 200);
  t.same(booked.response, { results: [{ toolCallId: 'call_ok1', name: 'book', result: 'booked for 3pm' }] });
  const relayed = target.of('/tenant-a').find((r) => r.message.type === 'tool-calls')!;
  t.equal(relayed.raw, booked.raw, 'the original body, byte for byte');
  t.ok(signedBy(relayed, SECRET), 'signature verifiable with the tenant secret');
  t.notOk(signedBy(relayed, 'another-secret'), 'and only with it');
  t.match(relayed.headers['x-pgdialer-signature'], /^t=\d+,v1=[0-9a-f]{64}$/);
  t.equal(relayed.headers['x-pgdialer-call-id'], callId);

  // The target fails: the assistant still gets a result for its tool call, with the error.
  target.on('/tenant-a', () => ({ status: 500, json: { oops: true } }));
  const failed = await sim.sendRequestMessage(vapiCallId, { type: 'tool-calls', toolCalls: [{ id: 'call_f1', name: 'book' }, { id: 'call_f2', name: 'cancel' }] });
  t.equal(failed.responseStatus, 200);
  t.match(failed.response, { results: [{ toolCallId: 'call_f1', name: 'book', error: /500/ }, { toolCallId: 'call_f2', name: 'cancel', error: /500/ }] });

  // The target never answers: the error arrives before VAPI's timeout (2 s), after the relay's budget (1.5 s).
  target.on('/tenant-a', () => ({ hang: true }));
  const slow = await sim.sendRequestMessage(vapiCallId, { type: 'tool-calls', toolCalls: [{ id: 'call_slow', name: 'book' }] });
  t.equal(slow.responseStatus, 200, `answered in ${slow.durationMs} ms`);
  t.ok(slow.durationMs >= 1_400 && slow.durationMs < SERVER_TIMEOUT_S * 1000, `within the timeout: ${slow.durationMs} ms`);
  t.match(slow.response, { results: [{ toolCallId: 'call_slow', error: /no answer within/ }] });

  // Not JSON: an error too.
  target.on('/tenant-a', () => ({ text: 'OK' }));
  const garbled = await sim.sendRequestMessage(vapiCallId, { type: 'tool-calls', toolCalls: [{ id: 'call_txt', name: 'book' }] });
  t.match(garbled.response, { results: [{ toolCallId: 'call_txt', error: /not a JSON object/ }] });

  // Transfers: the destination comes from the tenant's server; a failure is {error}.
  target.on('/tenant-a', (received) =>
    received.message.type === 'transfer-destination-request' ? { json: { destination: { type: 'number', number: '+15550009999' } } } : { json: {} },
  );
  const transfer = await sim.sendRequestMessage(vapiCallId, { type: 'transfer-destination-request' });
  t.same(transfer.response, { destination: { type: 'number', number: '+15550009999' } });
  target.on('/tenant-a', () => ({ status: 503 }));
  const noTransfer = await sim.sendRequestMessage(vapiCallId, { type: 'transfer-destination-request' });
  t.match(noTransfer.response, { error: /503/ });
  t.notOk('destination' in (noTransfer.response as object));

  // Each relay is recorded once its answer has left.
  await waitFor(async () => (await deliveriesOf(callId)).filter((row) => row.mode === 'sync').length === 6, 5_000, 'six relays recorded');
  const sync = (await deliveriesOf(callId)).filter((row) => row.mode === 'sync');
  t.same(
    byText(sync.map((row) => [row.type, row.state, row.last_status])),
    byText([
      ['tool-calls', 'delivered', 200],
      ['tool-calls', 'failed', 500],
      ['tool-calls', 'failed', null],
      ['tool-calls', 'failed', 200],
      ['transfer-destination-request', 'delivered', 200],
      ['transfer-destination-request', 'failed', 503],
    ]),
    'each relay is in dialer.forward_deliveries',
  );
  target.on('/tenant-a', () => ({ json: {} }));
});

t.test('every other message is queued and delivered; a target down, then up, loses nothing', async (t) => {
  const tenant = await createTestTenant(db.pool);
  // Through the API, as a tenant would.
  const put = await request(`${api.url}/v1/settings`, {
    method: 'PUT',
    headers: tenant.headers(true),
    json: { vapi: { apiKey: 'sk-relay', baseUrl: sim.url, webhookAuth: { type: 'secret', secret: 'whsec-relay-123' }, forwardUrl: `${target.url}/down-then-up` } },
  });
  t.equal(put.status, 200, JSON.stringify(put.body));
  let up = false;
  target.on('/down-then-up', () => (up ? { json: { ok: true } } : { status: 503, json: { error: 'maintenance' } }));
  talkMs = 40;
  const { callId, vapiCallId } = await dialDirect(tenant.id);
  await ended(callId);
  await sim.idle();
  // Failing for a while: retried with backoff (150 ms doubling to 400 ms here).
  await waitFor(async () => (await deliveriesOf(callId)).every((row) => row.attempts >= 2), 10_000, 'retries');
  const whileDown = await deliveriesOf(callId);
  t.ok(whileDown.every((row) => ['pending', 'delivering'].includes(row.state) && [503, null].includes(row.last_status)), 'nothing delivered while down (a row may be mid-attempt)');
  up = true;
  await waitFor(async () => (await deliveriesOf(callId)).every((row) => row.state === 'delivered'), 10_000, 'every delivery').catch(async (error) => {
    const rows = await db.pool.any(sql.unsafe`select id, state, attempts, next_attempt_at, lease_expires_at, last_status, last_error, now() from dialer.forwards where call_id = ${callId}::uuid`);
    throw new Error(`${error.message}: ${JSON.stringify(rows)} worker ${JSON.stringify(worker.state())}`);
  });

  // Nothing lost: one delivery per message the simulator sent, each delivered, each signed.
  const sent = sim.webhooksSent.filter((hook) => hook.callId === vapiCallId);
  const deliveries = await deliveriesOf(callId);
  t.equal(deliveries.length, sent.length, `${sent.length} messages, ${deliveries.length} deliveries`);
  t.same(deliveries.map((row) => row.type).sort(), sent.map((hook) => hook.type).sort());
  t.ok(deliveries.every((row) => row.mode === 'async'));
  const delivered = target.of('/down-then-up').filter((received) => received.headers['x-pgdialer-attempt'] !== undefined);
  const lastAttempts = new Map(delivered.map((received) => [received.headers['x-pgdialer-delivery'], received]));
  t.equal(lastAttempts.size, deliveries.length);
  t.ok([...lastAttempts.values()].every((received) => signedBy(received, 'whsec-relay-123')), 'signed with the tenant secret');
  const statuses = [...lastAttempts.values()].filter((r) => r.message.type === 'status-update').map((r) => r.message.status);
  t.same(statuses.sort(), ['ended', 'in-progress', 'queued', 'ringing']);
  t.ok([...lastAttempts.values()].some((r) => r.message.type === 'end-of-call-report' && r.message.endedReason === 'customer-ended-call'));

  // The call's events in GET /v1/calls/:id show each delivery.
  const detail = await request(`${api.url}/v1/calls/${callId}`, { headers: tenant.headers() });
  t.equal(detail.status, 200);
  t.equal(detail.body.events.length, sent.length);
  for (const event of detail.body.events) {
    t.equal(event.forwards.length, 1, `${event.type} ${event.status ?? ''} relayed once`);
    t.match(event.forwards[0], { mode: 'async', state: 'delivered', lastStatus: 200, url: `${target.url}/down-then-up` });
    t.ok(event.forwards[0].attempts >= 2);
  }
});

t.test("a campaign's forwardUrl overrides the tenant's; forwardMessages choose what is relayed", async (t) => {
  const tenantId = await insertTenant(db.pool, { vapiBaseUrl: sim.url });
  await setForwarding(tenantId, `${target.url}/tenant-b`, ['end-of-call-report', 'conversation-update']);
  const campaignId = await insertCampaign(db.pool, tenantId, { windowStart: '00:00', windowEnd: '00:00' });
  await db.pool.query(sql.unsafe`update dialer.campaigns set forward_url = ${`${target.url}/campaign-b`} where id = ${campaignId}::uuid`);
  const [phone] = await addMembers(db.pool, tenantId, campaignId, 1, '81');
  talkMs = 40;
  await startCampaign(db.pool, tenantId, campaignId, new Date());
  worker.wake('test');
  await waitFor(() => sim.dials().some((dial) => dial.customerNumber === phone), 10_000, 'the campaign call');
  const campaignDial = sim.dials().find((dial) => dial.customerNumber === phone)!;
  const direct = await dialDirect(tenantId);

  for (const vapiCallId of [campaignDial.callId, direct.vapiCallId]) {
    const messages: string[] = postBodyOf(vapiCallId).assistantOverrides.serverMessages;
    t.ok(messages.includes('conversation-update'), 'a per-turn type the tenant listed is asked for');
    t.ok(messages.includes('tool-calls') && messages.includes('transfer-destination-request'), 'the request types');
    t.notOk(messages.includes('hang'), 'what the tenant did not list is not asked for');
  }
  await waitFor(() => target.of('/campaign-b').length >= 1 && target.of('/tenant-b').length >= 1, 10_000, 'both reports');
  await sim.idle();
  // Each answered call's per-turn conversation-updates (listed) and its report; nothing else.
  const relayedTypes = (path: string) => [...new Set(target.of(path).map((r) => r.message.type))].sort();
  await waitFor(async () => {
    const rows = await db.pool.any(sql.type(z.object({ type: z.string(), state: z.string() }))`
      select type, state from dialer.forward_deliveries where tenant_id = ${tenantId}::uuid`);
    return rows.filter((row) => row.type === 'end-of-call-report').length === 2 && rows.every((row) => row.state === 'delivered');
  }, 10_000, 'the two reports delivered');
  t.same(relayedTypes('/campaign-b'), ['conversation-update', 'end-of-call-report'], 'only the listed types (no status-update)');
  t.same(relayedTypes('/tenant-b'), ['conversation-update', 'end-of-call-report']);
  t.ok(target.of('/campaign-b').every((r) => r.message.call.id === campaignDial.callId), "the campaign's call went to the campaign's URL");
  t.ok(target.of('/tenant-b').every((r) => r.message.call.id === direct.vapiCallId), "the direct call to the tenant's");
});

t.test('PUT /v1/settings: forwardMessages from VAPI\'s enum only; a forward URL needs a secret; GET shows the lists', async (t) => {
  const tenant = await createTestTenant(db.pool);
  const settings = `${api.url}/v1/settings`;
  const bad = await request(settings, { method: 'PUT', headers: tenant.headers(true), json: { vapi: { forwardMessages: ['status-update', 'tool-call'] } } });
  t.equal(bad.status, 400);
  t.match(bad.body.error.details, [{ path: 'vapi.forwardMessages.1' }]);
  const noSecret = await request(settings, { method: 'PUT', headers: tenant.headers(true), json: { vapi: { forwardUrl: 'https://tools.example.com/vapi' } } });
  t.equal(noSecret.status, 400);
  t.match(noSecret.body.error, { code: 'validation_error', details: [{ path: 'vapi.forwardUrl' }] });
  const ok = await request(settings, {
    method: 'PUT',
    headers: tenant.headers(true),
    json: { vapi: { webhookAuth: { type: 'secret', secret: 'whsec-settings-1' }, forwardUrl: 'https://tools.example.com/vapi' } },
  });
  t.equal(ok.status, 200);
  t.match(ok.body.vapi, { forwardUrl: 'https://tools.example.com/vapi', forwardMessagesDefault: true, forwardMessages: [...DEFAULT_FORWARD_MESSAGES] });
  t.ok(ok.body.vapi.serverMessages.includes('tool-calls'));
  const listed = await request(settings, { method: 'PUT', headers: tenant.headers(true), json: { vapi: { forwardMessages: ['transcript', 'end-of-call-report'] } } });
  t.same(listed.body.vapi.forwardMessages, ['transcript', 'end-of-call-report']);
  t.ok(listed.body.vapi.serverMessages.includes('transcript'));
  const cleared = await request(settings, { method: 'PUT', headers: tenant.headers(true), json: { vapi: { forwardUrl: null, forwardMessages: null } } });
  t.same(cleared.body.vapi.serverMessages, ['end-of-call-report', 'status-update']);
  t.equal(cleared.body.vapi.forwardMessagesDefault, true);
});
