// What webhooks do to a call: status only moves forward, an end-of-call-report fills the details
// (artifact/analysis first, the legacy top-level fields otherwise), a report after the 'ended'
// status-update still fills them, the same end applied twice changes nothing, a call found only
// by customer.externalId is tied to VAPI's id, a call's end wakes the worker (NOTIFY), and an
// apply that fails leaves the event stored, unapplied, with its error, for a redelivery to apply;
// webhooks stored together (one statement) fail or succeed each alone.
import t from 'tap';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { callRowById, insertContact, insertDirectCall, insertTenant } from '../worker/fixtures.js';
import { WAKE_CHANNEL } from '../../server/worker/wake.js';

const db = await createTestDatabase(t);
const api = await startTestApi(t, { pool: db.pool });
const tenantId = await insertTenant(db.pool, { webhookSecret: 'apply-secret' });

const listener = new pg.Client(db.url);
await listener.connect();
t.teardown(() => listener.end());
const notifications: string[] = [];
listener.on('notification', (message) => notifications.push(message.payload ?? ''));
await listener.query(`listen ${WAKE_CHANNEL}`);

let seq = 0;
/** A call VAPI has accepted: status queued, with VAPI's id. */
async function queuedCall(): Promise<{ callId: string; vapiId: string; phone: string }> {
  const phone = `+1555800${String(++seq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone);
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, new Date());
  const vapiId = `vapi-${seq}-${Date.now()}`;
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'queued', vapi_call_id = ${vapiId}, claimed_at = now(), dial_started_at = now() where id = ${callId}::uuid`);
  return { callId, vapiId, phone };
}

async function post(message: Record<string, unknown>) {
  const response = await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vapi-secret': 'apply-secret' },
    body: JSON.stringify({ message: { timestamp: Date.now(), ...message } }),
  });
  t.equal(response.status, 200);
}
const status = (vapiId: string, value: string, extra: Record<string, unknown> = {}) =>
  post({ type: 'status-update', status: value, call: { id: vapiId, status: value }, ...extra });

t.test('statuses move forward only', async (t) => {
  const { callId, vapiId } = await queuedCall();
  await status(vapiId, 'in-progress');
  t.equal((await callRowById(db.pool, callId)).status, 'in_progress');
  await status(vapiId, 'ringing'); // late
  t.equal((await callRowById(db.pool, callId)).status, 'in_progress', 'a late ringing does not move it back');
  await status(vapiId, 'ended', { endedReason: 'customer-ended-call' });
  const row = await callRowById(db.pool, callId);
  t.match(row, { status: 'ended', outcome: 'answered', ended_reason: 'customer-ended-call' });
  await status(vapiId, 'in-progress'); // very late
  t.equal((await callRowById(db.pool, callId)).status, 'ended');
});

t.test('end-of-call-report: artifact and analysis first, after the ended status-update too', async (t) => {
  const { callId, vapiId } = await queuedCall();
  await status(vapiId, 'ended', { endedReason: 'customer-did-not-answer' });
  await post({
    type: 'end-of-call-report',
    endedReason: 'customer-did-not-answer',
    call: { id: vapiId },
    artifact: { transcript: 'AI: Hello?', recordingUrl: 'https://recordings.example/a.wav' },
    analysis: { summary: 'Nobody answered.', successEvaluation: 'false' },
    transcript: 'legacy transcript',
    summary: 'legacy summary',
    cost: 0.0123,
    startedAt: '2026-11-20T10:00:00.000Z',
    endedAt: '2026-11-20T10:00:30.000Z',
  });
  const row = await callRowById(db.pool, callId);
  t.match(row, {
    status: 'ended',
    outcome: 'no_answer',
    transcript: 'AI: Hello?',
    recording_url: 'https://recordings.example/a.wav',
    summary: 'Nobody answered.',
    cost: 0.0123,
  });
  const times = await db.pool.one(sql.type(z.object({ started_at: z.string().nullable(), ended_at: z.string().nullable(), duration_seconds: z.number().nullable() }))`
    select started_at, ended_at, duration_seconds from dialer.calls where id = ${callId}::uuid`);
  t.same(times, { started_at: '2026-11-20T10:00:00.000Z', ended_at: '2026-11-20T10:00:30.000Z', duration_seconds: 30 });
});

t.test('legacy report (top-level transcript, summary, recordingUrl) and a report without status-update', async (t) => {
  const { callId, vapiId } = await queuedCall();
  await post({
    type: 'end-of-call-report',
    endedReason: 'voicemail',
    call: { id: vapiId },
    artifact: {},
    transcript: 'old-style transcript',
    summary: 'old-style summary',
    recordingUrl: 'https://recordings.example/old.wav',
  });
  t.match(await callRowById(db.pool, callId), {
    status: 'ended',
    outcome: 'voicemail',
    transcript: 'old-style transcript',
    summary: 'old-style summary',
    recording_url: 'https://recordings.example/old.wav',
  });
});

t.test('a call found only by customer.externalId gets VAPI\'s id', async (t) => {
  const phone = '+15558009999';
  const contactId = await insertContact(db.pool, tenantId, phone);
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, new Date());
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'dialing', dial_started_at = now(), lease_expires_at = now() + interval '1 minute' where id = ${callId}::uuid`);
  await post({ type: 'status-update', status: 'ringing', call: { id: 'vapi-late-id', status: 'ringing', customer: { number: phone, externalId: callId } } });
  t.match(await callRowById(db.pool, callId), { status: 'ringing', vapi_call_id: 'vapi-late-id' });
});

t.test('a call\'s end wakes the worker, once per end', async (t) => {
  const { vapiId } = await queuedCall();
  notifications.length = 0;
  await status(vapiId, 'in-progress');
  await status(vapiId, 'ended', { endedReason: 'assistant-ended-call' });
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.same(notifications, ['call-ended'], 'in-progress wakes nobody; the end does');
});

t.test('a failed apply: the event stays stored and unapplied with its error; the redelivery applies it', async (t) => {
  const { callId, vapiId } = await queuedCall();
  const body = JSON.stringify({ message: { type: 'status-update', status: 'ringing', timestamp: Date.now(), call: { id: vapiId, status: 'ringing' } } });
  const send = () =>
    fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vapi-secret': 'apply-secret' }, body });
  const event = () =>
    db.pool.one(sql.type(z.object({ n: z.number(), applied: z.boolean(), error: z.string().nullable() }))`
      select count(*)::int as n, bool_and(applied_at is not null) as applied, max(error) as error
      from dialer.call_events where call_id = ${callId}::uuid`);
  // Any failure inside the apply will do: here a constraint the status move breaks.
  await db.pool.query(sql.unsafe`alter table dialer.calls add constraint test_refuses_ringing check (status <> 'ringing') not valid`);
  try {
    t.equal((await send()).status, 500, 'VAPI is told it failed');
  } finally {
    await db.pool.query(sql.unsafe`alter table dialer.calls drop constraint test_refuses_ringing`);
  }
  t.match(await event(), { n: 1, applied: false, error: /test_refuses_ringing/ }, 'stored, unapplied, with its error');
  t.equal((await callRowById(db.pool, callId)).status, 'queued', 'nothing of the apply kept');
  t.equal((await send()).status, 200, 'redelivered');
  t.match(await event(), { n: 1, applied: true, error: null }, 'the same event, applied now');
  t.equal((await callRowById(db.pool, callId)).status, 'ringing');
});

t.test('webhooks arriving together are stored together, and one Postgres refuses fails alone', async (t) => {
  const calls: Awaited<ReturnType<typeof queuedCall>>[] = [];
  for (let i = 0; i < 12; i++) calls.push(await queuedCall());
  const send = (body: string) =>
    fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-vapi-secret': 'apply-secret' }, body });
  const ringing = (vapiId: string, note = 'ok') => JSON.stringify({ message: { type: 'status-update', status: 'ringing', note, timestamp: Date.now(), call: { id: vapiId } } });
  // JSON allows \u0000 in a string; jsonb does not: the statement storing it fails.
  const poisoned = calls[5]!;
  const statuses = await Promise.all(calls.map((call) => send(ringing(call.vapiId, call === poisoned ? 'nul \u0000 here' : 'ok')).then((r) => r.status)));
  t.same(statuses.filter((status, i) => i !== 5), Array(11).fill(200), 'the others: stored and applied');
  t.ok(statuses[5]! >= 400, `the refused one fails alone (${statuses[5]})`);
  for (const [i, call] of calls.entries()) t.equal((await callRowById(db.pool, call.callId)).status, i === 5 ? 'queued' : 'ringing');
});
