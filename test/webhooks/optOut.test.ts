// In-call opt-out over real HTTP: a tool-calls message calling the tenant's opt-out tool is
// answered with {results: [{name, toolCallId, result}]} (ServerMessageResponseToolCalls) and lists
// the number at once, a redelivery is answered again; a report's structured data lists it with
// the call, cancelling the number's pending calls of every campaign (the retry the report's result
// creates included); other tools and other fields change nothing. Ids and numbers are made up.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { insertCampaign, insertContact, insertTenant } from '../worker/fixtures.js';
import { OPT_OUT_TOOL_RESULT } from '../../server/webhooks/optOut.js';

const db = await createTestDatabase(t);
const api = await startTestApi(t, { pool: db.pool });
const tenantId = await insertTenant(db.pool, { webhookSecret: 'optout-secret' });
await db.pool.query(sql.unsafe`update dialer.tenants set opt_out_tool_name = 'end_and_opt_out' where id = ${tenantId}`);
// Daily: a once campaign would skip a retry to a listed number by itself (_complete_once_campaign).
const campaignA = await insertCampaign(db.pool, tenantId, { maxAttempts: 3, frequency: 'daily' });
const campaignB = await insertCampaign(db.pool, tenantId);
await db.pool.query(sql.unsafe`update dialer.campaigns set status = 'active' where tenant_id = ${tenantId}`);

let seq = 0;
/** A live call of campaign A to a new number, and a scheduled call of campaign B to the same number. */
async function liveCallWithPendingElsewhere(): Promise<{ callId: string; vapiId: string; phone: string; pendingId: string }> {
  const phone = `+1555810${String(++seq).padStart(4, '0')}`;
  const contactId = await insertContact(db.pool, tenantId, phone);
  const insertCall = (campaignId: string, status: string) => db.pool.oneFirst(sql.unsafe`
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, status, due_at, dial_started_at)
    values (${tenantId}, ${campaignId}, ${contactId}, ${phone}, ${status}, now(), case when ${status} <> 'scheduled' then now() end)
    returning id`) as Promise<string>;
  const callId = await insertCall(campaignA, 'in_progress');
  const pendingId = await insertCall(campaignB, 'scheduled');
  const vapiId = `vapi-optout-${seq}-${Date.now()}`;
  await db.pool.query(sql.unsafe`update dialer.calls set vapi_call_id = ${vapiId} where id = ${callId}`);
  return { callId, vapiId, phone, pendingId };
}

async function post(body: Record<string, unknown>) {
  const response = await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vapi-secret': 'optout-secret' },
    body: JSON.stringify({ message: body }),
  });
  return { status: response.status, body: (await response.json()) as any };
}
const toolCalls = (vapiId: string, names: Array<[id: string, name: string]>, timestamp = Date.now()) => ({
  type: 'tool-calls',
  timestamp,
  call: { id: vapiId },
  toolCallList: names.map(([id, name]) => ({ id, type: 'function', function: { name, arguments: '{}' } })),
  toolWithToolCallList: names.map(([id, name]) => ({ type: 'function', function: { name }, toolCall: { id, type: 'function', function: { name, arguments: '{}' } } })),
});
const dncOf = (phone: string) =>
  db.pool.maybeOne(sql.unsafe`select source, source_call_id, reason from dialer.dnc where tenant_id = ${tenantId} and phone = ${phone}`);
const statusOf = (id: string) => db.pool.oneFirst(sql.unsafe`select status from dialer.calls where id = ${id}`);

t.test('the opt-out tool: answered for VAPI, listed at once, the call goes on, a redelivery answered again', async (t) => {
  const call = await liveCallWithPendingElsewhere();
  const message = toolCalls(call.vapiId, [['tc_1', 'lookup_order'], ['tc_2', 'end_and_opt_out']]);
  const answer = await post(message);
  t.equal(answer.status, 200);
  t.same(answer.body, { results: [{ name: 'end_and_opt_out', toolCallId: 'tc_2', result: OPT_OUT_TOOL_RESULT }] },
    'only the opt-out tool\'s call is answered (the other tool is the tenant\'s)');
  t.match(await dncOf(call.phone), { source: 'in-call', source_call_id: call.callId, reason: 'opted out during the call: the assistant called end_and_opt_out' });
  t.equal(await statusOf(call.pendingId), 'cancelled', 'the other campaign\'s pending call is cancelled');
  t.equal(await statusOf(call.callId), 'in_progress', 'the call itself goes on');
  t.match(await db.pool.one(sql.unsafe`select actor, action, entity, entity_id, details from dialer.audit_log where entity = 'dnc' and entity_id = ${call.phone}`),
    { actor: 'webhook', action: 'add', entity: 'dnc', details: { source: 'in-call', callId: call.callId, added: true, cancelledCalls: 1 } }, 'audited');

  const again = await post(message);
  t.same(again.body, answer.body, 'the same body delivered again gets the same answer');
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.call_events where call_id = ${call.callId}`), 1, 'stored once');
  t.equal(await db.pool.oneFirst(sql.unsafe`select count(*) from dialer.audit_log where entity = 'dnc' and entity_id = ${call.phone}`), 1, 'a repeat that changes nothing is not audited');
});

// Without a forward URL no tool server exists for other tools: VAPI gets the relay's error per tool call (never {}).
const noToolServer = (id: string, name: string) => ({ results: [{ toolCallId: id, name, error: /no tool server/ }] });

t.test('another tool, or no tool configured: the no-tool-server error and nothing listed', async (t) => {
  const call = await liveCallWithPendingElsewhere();
  t.match((await post(toolCalls(call.vapiId, [['tc_3', 'lookup_order']]))).body, noToolServer('tc_3', 'lookup_order'));
  t.equal(await dncOf(call.phone), null);
  t.equal(await statusOf(call.pendingId), 'scheduled');
  await db.pool.query(sql.unsafe`update dialer.tenants set opt_out_tool_name = null where id = ${tenantId}`);
  t.teardown(() => db.pool.query(sql.unsafe`update dialer.tenants set opt_out_tool_name = 'end_and_opt_out' where id = ${tenantId}`));
  t.match((await post(toolCalls(call.vapiId, [['tc_4', 'end_and_opt_out']]))).body, noToolServer('tc_4', 'end_and_opt_out'));
  t.equal(await dncOf(call.phone), null);
});

t.test('structured data in the report: listed with the call; the retry its result creates is cancelled too', async (t) => {
  const call = await liveCallWithPendingElsewhere();
  // Not answered (voicemail): campaign A would retry the number.
  const report = {
    type: 'end-of-call-report',
    timestamp: Date.now(),
    call: { id: call.vapiId },
    endedReason: 'voicemail',
    analysis: { summary: 'left a message', structuredData: { optOut: true }, successEvaluation: 'false' },
    artifact: { transcript: '', messages: [] },
  };
  t.same((await post(report)).body, {}, 'a report gets {}');
  t.match(await dncOf(call.phone), { source: 'in-call', source_call_id: call.callId, reason: 'opted out during the call: structuredData.optOut is true' });
  const calls = await db.pool.any(sql.unsafe`select campaign_id, attempt, status, last_error from dialer.calls where phone = ${call.phone} order by campaign_id, attempt`);
  t.match(calls.find((row) => row.campaign_id === campaignA && row.attempt === 1), { status: 'ended' });
  const retry = calls.find((row) => row.campaign_id === campaignA && row.attempt === 2);
  t.ok(retry, 'the voicemail created a retry');
  t.match(retry, { status: 'cancelled', last_error: 'opted out during a call' }, 'and it is cancelled, not left waiting');
  t.equal(await statusOf(call.pendingId), 'cancelled');
});

t.test('a report whose structured data does not opt out changes nothing', async (t) => {
  const call = await liveCallWithPendingElsewhere();
  const report = (structuredData: unknown) => ({
    type: 'end-of-call-report',
    timestamp: Date.now() + Math.random(),
    call: { id: call.vapiId },
    endedReason: 'customer-ended-call',
    analysis: { summary: '', structuredData, successEvaluation: 'true' },
  });
  await post(report({ optOut: false, interested: true }));
  t.equal(await dncOf(call.phone), null);
  t.equal(await statusOf(call.pendingId), 'scheduled');
});

t.test('the tenant names its own field: the default no longer counts', async (t) => {
  await db.pool.query(sql.unsafe`update dialer.tenants set opt_out_structured_data_field = 'compliance.doNotCall' where id = ${tenantId}`);
  t.teardown(() => db.pool.query(sql.unsafe`update dialer.tenants set opt_out_structured_data_field = 'optOut' where id = ${tenantId}`));
  const first = await liveCallWithPendingElsewhere();
  await post({ type: 'end-of-call-report', timestamp: Date.now(), call: { id: first.vapiId }, endedReason: 'customer-ended-call', analysis: { structuredData: { optOut: true } } });
  t.equal(await dncOf(first.phone), null);
  const second = await liveCallWithPendingElsewhere();
  await post({ type: 'end-of-call-report', timestamp: Date.now(), call: { id: second.vapiId }, endedReason: 'customer-ended-call', analysis: { structuredData: { compliance: { doNotCall: true } } } });
  t.match(await dncOf(second.phone), { source: 'in-call', source_call_id: second.callId });
});
