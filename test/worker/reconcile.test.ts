// Reconciliation over real HTTP against a stand-in VAPI that answers GET /call/{id} as told: a
// live call whose webhooks are lost is looked up a minute after its last news and every minute
// after (never more often), ends when VAPI says so, ends as failed when VAPI no longer knows it,
// and an ended call whose report was lost gets its details from GET /call/{id}.
import t from 'tap';
import { createForwardingCache } from '../../server/worker/forwardingCache.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { manualClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { claimCalls, nextWakeAt, recordDialed } from '../../db/queries/dispatch.js';
import { endCall, noteCallDetails } from '../../db/queries/callEnd.js';
import { reconcile } from '../../server/worker/reconcile.js';
import type { DialDeps } from '../../server/worker/dialCall.js';
import { createTenantClients } from '../../server/worker/tenantClients.js';
import { createDialSteps } from '../../server/worker/dialSteps.js';
import { defaultWorkerSettings } from '../../server/worker/settings.js';
import { callRowById, insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET } from './fixtures.js';

// The stand-in: each VAPI call id answers what the test set (404 when unset); GETs are counted.
const answers = new Map<string, { status: number; body: unknown }>();
const gets = new Map<string, number>();
const vapi = createServer((request: IncomingMessage, response: ServerResponse) => {
  const id = decodeURIComponent((request.url ?? '').replace(/^\/call\//, ''));
  gets.set(id, (gets.get(id) ?? 0) + 1);
  const answer = answers.get(id) ?? { status: 404, body: { message: 'Call not found', error: 'Not Found', statusCode: 404 } };
  response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
});
await new Promise<void>((resolve) => vapi.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise((resolve) => vapi.close(resolve)));
const vapiUrl = `http://127.0.0.1:${(vapi.address() as { port: number }).port}`;

const db = await createTestDatabase(t);
const start = new Date('2026-03-10T15:00:00Z');
const clock = manualClock(start);
const RECONCILE_AFTER = 600;
const deps: DialDeps = {
  pool: db.pool,
  clock,
  log: silentLogger,
  publicUrl: 'https://dialer.example.com',
  settings: { ...defaultWorkerSettings, reconcileAfterSeconds: RECONCILE_AFTER, requestTimeoutMs: 500 },
  tenants: createTenantClients({ appSecret: TEST_APP_SECRET, defaultBaseUrl: vapiUrl, requestTimeoutMs: 500, ttlMs: 0 }),
  steps: createDialSteps(db.pool, clock),
  reportedLimits: new Map(),
  forwarding: createForwardingCache(),
};
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
let seq = 0;

/** A direct call claimed and dialed at `start`: VAPI id `vapi-<n>`, status queued, no webhook since. */
async function dialedCall() {
  clock.set(start);
  const tenantId = await insertTenant(db.pool, { vapiBaseUrl: vapiUrl });
  const phone = `+1555200${String(++seq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone, 'Grace');
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, start);
  const claim = (await claimCalls(db.pool, start, 10, 300)).find((c) => c.call_id === callId);
  if (!claim) throw new Error('not claimed');
  const vapiCallId = `vapi-${seq}`;
  await recordDialed(db.pool, callId, vapiCallId, 'queued', start);
  return { tenantId, callId, vapiCallId };
}

const sweepAt = async (seconds: number) => {
  clock.set(at(seconds));
  return reconcile(deps);
};

const endedCall = (id: string, extra: Record<string, unknown> = {}) => ({
  status: 200,
  body: {
    id,
    status: 'ended',
    endedReason: 'customer-ended-call',
    startedAt: '2026-03-10T15:00:05.000Z',
    endedAt: '2026-03-10T15:00:50.000Z',
    cost: 0.123456,
    artifact: { transcript: 'AI: Hello\nUser: Hi\n', recording: { mono: { combinedUrl: 'https://recordings.example/1.wav' } } },
    analysis: { summary: 'They spoke.' },
    ...extra,
  },
});

t.test('a lost end is noticed within a minute, at one GET per minute', async (t) => {
  const { callId, vapiCallId } = await dialedCall();
  answers.set(vapiCallId, { status: 200, body: { id: vapiCallId, status: 'in-progress' } });
  t.equal((await nextWakeAt(db.pool, start))?.toISOString(), at(60).toISOString(), 'the worker wakes for the lookup');
  await sweepAt(30);
  t.equal(gets.get(vapiCallId) ?? 0, 0, 'no lookup before a minute without news');
  await sweepAt(60);
  t.equal(gets.get(vapiCallId), 1, 'looked up a minute after the last news');
  t.equal((await callRowById(db.pool, callId)).status, 'in_progress');
  await sweepAt(90);
  await sweepAt(119);
  t.equal(gets.get(vapiCallId), 1, 'not again within the minute');
  // The call ends at 100 s; its webhooks are lost.
  answers.set(vapiCallId, endedCall(vapiCallId));
  await sweepAt(120);
  t.equal(gets.get(vapiCallId), 2, 'the next lookup, a minute after the last one');
  const row = await callRowById(db.pool, callId);
  t.match(row, { status: 'ended', outcome: 'answered', ended_reason: 'customer-ended-call', transcript: 'AI: Hello\nUser: Hi\n' });
  const armed = await db.pool.one(sql.unsafe`select check_at, details_received_at from dialer.calls where id = ${callId}`);
  t.equal(armed.check_at, null, 'nothing more to look up');
  t.ok(armed.details_received_at, 'the details came with the Call');
});

t.test('a call VAPI does not know ends as failed after three lookups', async (t) => {
  const { callId, vapiCallId } = await dialedCall();
  await sweepAt(60);
  await sweepAt(120);
  t.equal((await callRowById(db.pool, callId)).status, 'queued', 'still live after two 404s (a new call may read not-found briefly)');
  await sweepAt(180);
  t.equal(gets.get(vapiCallId), 3);
  t.match(await callRowById(db.pool, callId), { status: 'ended', outcome: 'failed', last_error: 'VAPI reports the call not-found (3 lookups)' });
});

t.test('deletion-failed ends the call at once; not-found as a status counts like a 404', async (t) => {
  const deleted = await dialedCall();
  answers.set(deleted.vapiCallId, { status: 200, body: { id: deleted.vapiCallId, status: 'deletion-failed' } });
  await sweepAt(60);
  t.match(await callRowById(db.pool, deleted.callId), { status: 'ended', outcome: 'failed', last_error: 'VAPI reports the call deletion-failed (1 lookups)' });
  const missing = await dialedCall();
  answers.set(missing.vapiCallId, { status: 200, body: { id: missing.vapiCallId, status: 'not-found' } });
  await sweepAt(60);
  t.equal((await callRowById(db.pool, missing.callId)).status, 'queued');
  t.match(await db.pool.one(sql.unsafe`select checks, check_at from dialer.calls where id = ${missing.callId}`), { checks: 1, check_at: at(120).toISOString() });
});

t.test('VAPI erring: looked up once a minute, ended as failed after 30 tries', async (t) => {
  const { callId, vapiCallId } = await dialedCall();
  answers.set(vapiCallId, { status: 503, body: { message: 'Service Unavailable' } });
  for (let minute = 1; minute <= 29; minute++) await sweepAt(60 * minute);
  t.equal((await callRowById(db.pool, callId)).status, 'queued');
  await sweepAt(60 * 29 + 30);
  t.equal(gets.get(vapiCallId), 29, 'never more than once a minute');
  await sweepAt(60 * 30);
  t.equal(gets.get(vapiCallId), 30);
  t.match(await callRowById(db.pool, callId), { status: 'ended', outcome: 'failed', last_error: /^no VAPI lookup resolved the call in 30 tries: / });
});

t.test('an ended call whose report was lost gets its details from VAPI', async (t) => {
  const { callId, vapiCallId } = await dialedCall();
  // The ended status-update arrived (no details in it); the report did not.
  await endCall(db.pool, callId, { endedReason: 'customer-ended-call', endedAt: at(50) });
  t.equal(await noteCallDetails(db.pool, callId, 'awaited', RECONCILE_AFTER, at(50)), at(650).toISOString());
  answers.set(vapiCallId, { status: 200, body: { id: vapiCallId, status: 'ended', endedReason: 'customer-ended-call' } });
  await sweepAt(649);
  t.equal(gets.get(vapiCallId) ?? 0, 0, 'not before RECONCILE_AFTER_SECONDS');
  await sweepAt(650);
  t.equal(gets.get(vapiCallId), 1);
  t.match(await db.pool.one(sql.unsafe`select checks, check_at from dialer.calls where id = ${callId}`), { checks: 1, check_at: at(650 + 1200).toISOString() }, 'not post-processed yet: again, later');
  answers.set(vapiCallId, endedCall(vapiCallId));
  await sweepAt(1850);
  t.match(await callRowById(db.pool, callId), { transcript: 'AI: Hello\nUser: Hi\n', summary: 'They spoke.' });
  t.match(await db.pool.one(sql.unsafe`select check_at, details_received_at from dialer.calls where id = ${callId}`), { check_at: null, details_received_at: at(1850).toISOString() });
});

t.test('an account-problem end found by reconciliation stops the tenant and keeps the attempt', async (t) => {
  const { callId, vapiCallId, tenantId } = await dialedCall();
  answers.set(vapiCallId, endedCall(vapiCallId, { endedReason: 'call.start.error-subscription-insufficient-credits', artifact: {} }));
  await sweepAt(60);
  t.match(await callRowById(db.pool, callId), { status: 'ended', outcome: 'failed' });
  t.match(await db.pool.one(sql.unsafe`select vapi_blocked_reason from dialer.tenants where id = ${tenantId}`), {
    vapi_blocked_reason: 'endedReason call.start.error-subscription-insufficient-credits',
  });
  const replacement = await db.pool.one(sql.type(z.object({ attempt: z.number(), status: z.string() }))`
    select attempt, status from dialer.calls where tenant_id = ${tenantId} and id <> ${callId}`);
  t.same(replacement, { attempt: 1, status: 'scheduled' });
});

// A lost end-of-call-report must not lose an opt-out: the Call read back carries the same
// analysis and artifact, so the number goes on do-not-call and the person's pending calls stop.
const dncOf = (tenantId: string) =>
  db.pool.any(sql.type(z.object({ phone: z.string(), source: z.string(), source_call_id: z.string().nullable() }))`
    select phone, source, source_call_id from dialer.dnc where tenant_id = ${tenantId}`);
const phoneOf = (callId: string) => db.pool.oneFirst(sql.type(z.object({ phone: z.string() }))`select phone from dialer.calls where id = ${callId}`);
const pendingTo = async (tenantId: string, phone: string) => {
  const contactId = await db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`select id from dialer.contacts where tenant_id = ${tenantId} and phone = ${phone}`);
  return insertDirectCall(db.pool, tenantId, contactId, phone, at(7200));
};

t.test('reconciliation applies an opt-out found in the Call: structured data, live call whose webhooks were lost', async (t) => {
  const { tenantId, callId, vapiCallId } = await dialedCall();
  const phone = await phoneOf(callId);
  const later = await pendingTo(tenantId, phone);
  answers.set(vapiCallId, endedCall(vapiCallId, { analysis: { summary: 'Asked not to be called.', structuredData: { optOut: true } } }));
  await sweepAt(60);
  t.match(await callRowById(db.pool, callId), { status: 'ended', outcome: 'answered', summary: 'Asked not to be called.' });
  t.same(await dncOf(tenantId), [{ phone, source: 'in-call', source_call_id: callId }], 'listed, from this call');
  t.match(await callRowById(db.pool, later), { status: 'cancelled' }, 'the pending call to the number is cancelled');
});

t.test('reconciliation applies an opt-out found in the Call: the tool in artifact.messages, report lost after the end', async (t) => {
  const { tenantId, callId, vapiCallId } = await dialedCall();
  await db.pool.query(sql.unsafe`update dialer.tenants set opt_out_tool_name = 'doNotCall' where id = ${tenantId}`);
  const phone = await phoneOf(callId);
  await endCall(db.pool, callId, { endedReason: 'customer-ended-call', endedAt: at(50) });
  await noteCallDetails(db.pool, callId, 'awaited', RECONCILE_AFTER, at(50));
  answers.set(vapiCallId, endedCall(vapiCallId, {
    artifact: { transcript: 'User: stop calling me', messages: [{ role: 'tool_calls', toolCalls: [{ id: 'tc1', type: 'function', function: { name: 'doNotCall', arguments: '{}' } }] }] },
  }));
  await sweepAt(650);
  t.same(await dncOf(tenantId), [{ phone, source: 'in-call', source_call_id: callId }]);
  t.match(await db.pool.one(sql.unsafe`select details_received_at from dialer.calls where id = ${callId}`), { details_received_at: at(650).toISOString() });
});

t.test('a Call without an opt-out lists nothing', async (t) => {
  const { tenantId, callId, vapiCallId } = await dialedCall();
  const later = await pendingTo(tenantId, await phoneOf(callId));
  answers.set(vapiCallId, endedCall(vapiCallId, { analysis: { summary: 'Fine.', structuredData: { optOut: false, interested: true } } }));
  await sweepAt(60);
  t.match(await callRowById(db.pool, callId), { status: 'ended' });
  t.same(await dncOf(tenantId), []);
  t.match(await callRowById(db.pool, later), { status: 'scheduled' });
});
