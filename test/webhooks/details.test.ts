// Details read from where VAPI really puts them (issue #9, item 6), over real HTTP into a real
// database: the recording from artifact.recording.mono.combinedUrl, then .stereoUrl, then the
// deprecated fields; the cost exactly as sent and costs[] as is; costBreakdown only from a Call
// object (GET /call/{id}); nothing from message.call; a late `ended` status-update never
// overwrites a reported cost. Fixtures: test/fixtures/vapi/messages.ts (typed from the SDK).
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import type { Vapi } from '@vapi-ai/server-sdk';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { callRowById, insertContact, insertDirectCall, insertTenant } from '../worker/fixtures.js';
import { createdCall, endOfCallReport, fixtureCosts, statusUpdate } from '../fixtures/vapi/messages.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { createVapiClient } from '../../server/vapi/client.js';
import { applyVapiCall } from '../../server/worker/reconcile.js';
import { systemClock } from '../../server/clock.js';
import { silentLogger } from '../../server/log.js';
import { defaultWorkerSettings } from '../../server/worker/settings.js';

const db = await createTestDatabase(t);
const api = await startTestApi(t, { pool: db.pool });
const tenantId = await insertTenant(db.pool, { webhookSecret: 'details-secret' });

let seq = 0;
async function queuedCall() {
  const phone = `+1555810${String(++seq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone);
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, new Date());
  const vapiId = `vapi-details-${seq}-${Date.now()}`;
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'queued', vapi_call_id = ${vapiId}, claimed_at = now(), dial_started_at = now() where id = ${callId}::uuid`);
  return { callId, call: createdCall(vapiId, callId, phone) };
}

async function post(body: unknown) {
  const response = await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vapi-secret': 'details-secret' },
    body: JSON.stringify(body),
  });
  t.equal(response.status, 200);
}

const stored = z.object({ cost: z.string().nullable(), costs: z.unknown(), cost_breakdown: z.unknown(), recording_url: z.string().nullable(), transcript: z.string().nullable() });
/** cost as Postgres's text, so the test sees every digit stored (not a JS number). */
const details = (callId: string) =>
  db.pool.one(sql.type(stored)`select cost::text as cost, costs, cost_breakdown, recording_url, transcript from dialer.calls where id = ${callId}::uuid`);

t.test('recording: mono.combinedUrl first, then stereoUrl, then the deprecated fields', async (t) => {
  const cases: Array<[string, Vapi.Artifact, Record<string, unknown>, string]> = [
    ['all places', { recordingUrl: 'https://recordings.example/old.wav', recording: { stereoUrl: 'https://recordings.example/s.wav', mono: { combinedUrl: 'https://recordings.example/m.wav' } } }, {}, 'https://recordings.example/m.wav'],
    ['no mono', { recordingUrl: 'https://recordings.example/old.wav', recording: { stereoUrl: 'https://recordings.example/s.wav', mono: {} } }, {}, 'https://recordings.example/s.wav'],
    ['deprecated artifact.recordingUrl', { recordingUrl: 'https://recordings.example/old.wav', stereoRecordingUrl: 'https://recordings.example/olds.wav' }, {}, 'https://recordings.example/old.wav'],
    ['deprecated stereoRecordingUrl', { stereoRecordingUrl: 'https://recordings.example/olds.wav' }, {}, 'https://recordings.example/olds.wav'],
    ['legacy top-level recordingUrl', {}, { recordingUrl: 'https://recordings.example/top.wav' }, 'https://recordings.example/top.wav'],
  ];
  for (const [label, artifact, extra, expected] of cases) {
    const { callId, call } = await queuedCall();
    const body = endOfCallReport(call, { artifact });
    await post({ message: { ...body.message, ...extra } });
    t.equal((await details(callId)).recording_url, expected, label);
  }
});

t.test('cost exactly as reported, costs[] as is, no costBreakdown from a report', async (t) => {
  const { callId, call } = await queuedCall();
  await post(endOfCallReport(call, { cost: 0.047540679910001 }));
  const row = await details(callId);
  t.equal(row.cost, '0.047540679910001', 'every digit kept (numeric without scale)');
  t.same(row.costs, fixtureCosts, 'costs[] stored as sent');
  t.equal(row.cost_breakdown, null, 'a report has no costBreakdown');
  t.match(await callRowById(db.pool, callId), { status: 'ended', outcome: 'answered', recording_url: 'https://recordings.example/fixture-mono.wav' });
});

t.test('nothing is read from message.call (the creation-time Call)', async (t) => {
  const { callId, call } = await queuedCall();
  // A creation-time call that (wrongly) carried data: none of it may be used.
  const misleading: Vapi.Call = {
    ...call,
    status: 'ended',
    cost: 9.99,
    endedReason: 'customer-busy',
    artifact: { transcript: 'from message.call', recording: { mono: { combinedUrl: 'https://recordings.example/wrong.wav' } } },
    analysis: { summary: 'from message.call' },
  };
  await post({ message: { type: 'end-of-call-report', timestamp: Date.now(), endedReason: 'customer-ended-call', artifact: {}, analysis: {}, call: misleading } });
  const row = await details(callId);
  t.same(row, { cost: null, costs: null, cost_breakdown: null, recording_url: null, transcript: null }, 'no cost, artifact or summary taken from message.call');
  t.match(await callRowById(db.pool, callId), { ended_reason: 'customer-ended-call', outcome: 'answered', summary: null });

  const other = await queuedCall();
  await post(statusUpdate({ ...other.call, status: 'in-progress' }, 'ringing'));
  t.equal((await callRowById(db.pool, other.callId)).status, 'ringing', 'the status is message.status, not message.call.status');
});

t.test('a late ended status-update never overwrites a reported cost', async (t) => {
  const { callId, call } = await queuedCall();
  await post(endOfCallReport(call));
  // VAPI's status-update carries the creation-time call (cost 0) and no cost of its own.
  await post(statusUpdate(call, 'ended', { endedReason: 'customer-ended-call' }));
  const row = await details(callId);
  t.equal(row.cost, '0.047540679910001');
  t.same(row.costs, fixtureCosts);
  t.equal(row.recording_url, 'https://recordings.example/fixture-mono.wav');
  t.equal(row.transcript, 'AI: Hello Ada.\nUser: Hi.\n');
});

t.test('costBreakdown comes from the Call object (GET /call/{id}), with the exact cost', async (t) => {
  const sim = await startVapiSimulator({ timing: { queuedMs: 1, ringingMs: 1, talkMs: 30, reportDelayMs: 1 }, script: () => ({ outcome: 'answered' }) });
  t.teardown(() => sim.close());
  const client = createVapiClient({ baseUrl: sim.url, apiKey: 'sk-details' });
  const { callId } = await queuedCall();
  const created = await client.createCall({
    assistantId: 'asst-fixture-1',
    phoneNumberId: 'pn-fixture-1',
    customer: { number: '+15558109999', externalId: callId },
    assistantOverrides: { variableValues: {}, server: { url: 'http://127.0.0.1:9/none' } },
  });
  if (created.kind !== 'created') throw new Error(`not created: ${created.kind}`);
  await db.pool.query(sql.unsafe`update dialer.calls set vapi_call_id = ${created.call.id} where id = ${callId}::uuid`);
  await sim.idle();
  const call = await client.getCall(created.call.id);
  t.ok(call?.costBreakdown, 'the Call has a costBreakdown');
  t.equal(await applyVapiCall({ pool: db.pool, clock: systemClock, settings: defaultWorkerSettings, log: silentLogger }, callId, tenantId, call!), 'ended');
  const row = await details(callId);
  t.same(row.cost_breakdown, call!.costBreakdown);
  t.same(row.costs, call!.costs);
  t.equal(Number(row.cost), call!.cost, 'the same number');
  t.equal(row.cost, String(call!.cost), 'and the same digits');
  t.equal(row.recording_url, call!.artifact?.recording?.mono?.combinedUrl);
});
