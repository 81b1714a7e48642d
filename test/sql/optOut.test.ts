// The do-not-call list's SQL: opt_out (every source, the first record kept, pending calls of every
// campaign cancelled, once campaigns completed), and the in-call decision on VAPI messages in
// the shapes VAPI's OpenAPI document and its docs pages give (made-up ids).
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures, iso, nextPhone } from './fixtures.js';

const db = await createTestDatabase(t);
const f = fixtures(db.pool);

const optOut = (tenantId: string, phone: string, source: string, callId: string | null, at = AT, reason: string | null = null) =>
  db.pool.one(sql.unsafe`select * from dialer.opt_out(${tenantId}, ${phone}, ${source}, ${callId}, ${at}, ${reason})`);
const entry = (tenantId: string, phone: string) =>
  db.pool.maybeOne(sql.unsafe`select source, source_call_id, reason, created_at from dialer.dnc where tenant_id = ${tenantId} and phone = ${phone}`);
const status = (callId: string) => db.pool.oneFirst(sql.unsafe`select status from dialer.calls where id = ${callId}`);
const sqlState = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    let current = error as { code?: string; cause?: unknown } | undefined;
    for (let depth = 0; current && depth < 5; depth++, current = current.cause as typeof current) if (current.code) return current.code;
    return 'unknown';
  }
};

t.test('opt_out lists the number with its source and cancels pending calls of every campaign and direct calls', async (t) => {
  const a = await f.scenario();
  const campaignB = await f.campaign(a.tenantId);
  await f.member(campaignB, a.contactId);
  const inB = await f.call({ tenant_id: a.tenantId, campaign_id: campaignB, contact_id: a.contactId });
  const direct = await f.call({ tenant_id: a.tenantId, contact_id: a.contactId });
  const claimed = await f.call({ tenant_id: a.tenantId, contact_id: a.contactId, status: 'dialing', attempt: 2, campaign_id: campaignB, claimed_at: AT });
  const other = await f.scenario();

  const row = await optOut(a.tenantId, a.phone, 'api', null, AT, 'asked');
  t.match(row, { phone: a.phone, source: 'api', source_call_id: null, reason: 'asked', added: true, cancelled_calls: 4 });
  for (const id of [a.callId, inB, direct, claimed]) t.equal(await status(id), 'cancelled', 'pending and claimed-not-dialed calls cancelled');
  t.equal(await db.pool.oneFirst(sql.unsafe`select last_error from dialer.calls where id = ${a.callId}`), 'number added to do-not-call');
  t.equal(await status(other.callId), 'scheduled', 'another number is untouched');
  t.equal(await db.pool.oneFirst(sql.unsafe`select status from dialer.campaigns where id = ${a.campaignId}`), 'completed',
    'a once campaign left with nothing pending is completed');
  t.same(await f.dueIds(a.tenantId), [], 'nothing of the tenant is due');
});

t.test('a claimed call already being dialed, and live calls, are not cancelled', async (t) => {
  const s = await f.scenario({ call: { status: 'dialing', claimed_at: AT, dial_started_at: AT } });
  const live = await f.call({ tenant_id: s.tenantId, contact_id: s.contactId, status: 'in_progress', dial_started_at: AT, attempt: 2, campaign_id: s.campaignId });
  const row = await optOut(s.tenantId, s.phone, 'import', null);
  t.equal(row.cancelled_calls, 0);
  t.equal(await status(s.callId), 'dialing');
  t.equal(await status(live), 'in_progress');
  t.equal(await db.pool.oneFirst(sql.unsafe`select status from dialer.campaigns where id = ${s.campaignId}`), 'active', 'not completed while calls are live');
});

t.test('the first listing is the record; reasons: api replaces, import and in-call only fill', async (t) => {
  const s = await f.scenario();
  await optOut(s.tenantId, s.phone, 'import', null, '2026-06-01T00:00:00Z', null);
  const inCall = await optOut(s.tenantId, s.phone, 'in-call', s.callId, '2026-06-02T00:00:00Z', 'said stop');
  t.match(inCall, { source: 'import', source_call_id: null, reason: 'said stop', added: false });
  t.equal(iso(inCall.created_at), '2026-06-01T00:00:00.000Z', 'created_at of the first listing');
  await optOut(s.tenantId, s.phone, 'import', null, AT, 'from the file');
  t.equal((await entry(s.tenantId, s.phone))!.reason, 'said stop', 'an import does not overwrite a reason');
  await optOut(s.tenantId, s.phone, 'api', null, AT, 'corrected');
  t.equal((await entry(s.tenantId, s.phone))!.reason, 'corrected', 'the API does');
  await optOut(s.tenantId, s.phone, 'api', null, AT, null);
  t.equal((await entry(s.tenantId, s.phone))!.reason, 'corrected', 'an api add without a reason keeps it');
});

t.test('opt_out refuses what it cannot record truthfully (PD400)', async (t) => {
  const s = await f.scenario();
  const other = await f.scenario();
  t.equal(await sqlState(optOut(s.tenantId, s.phone, 'web', null)), 'PD400', 'unknown source');
  t.equal(await sqlState(optOut(s.tenantId, s.phone, 'in-call', null)), 'PD400', 'in-call needs its call');
  t.equal(await sqlState(optOut(s.tenantId, s.phone, 'api', s.callId)), 'PD400', 'a call only for in-call');
  t.equal(await sqlState(optOut(s.tenantId, s.phone, 'in-call', other.callId)), 'PD400', 'another tenant\'s call');
  t.equal(await sqlState(optOut(s.tenantId, nextPhone(), 'in-call', s.callId)), 'PD400', 'a call to another number');
  t.equal(await entry(s.tenantId, s.phone), null, 'nothing listed');
  t.equal(await status(s.callId), 'scheduled');
});

t.test('source defaults: rows inserted by hand are an admin\'s; sources are checked', async (t) => {
  const tenantId = await f.tenant();
  const phone = nextPhone();
  await db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${tenantId}, ${phone})`);
  t.equal((await entry(tenantId, phone))!.source, 'admin');
  t.equal(await sqlState(db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone, source) values (${tenantId}, ${nextPhone()}, 'web')`)), '23514');
  const s = await f.scenario({ tenantId });
  t.equal(await sqlState(db.pool.query(sql.unsafe`
    insert into dialer.dnc (tenant_id, phone, source, source_call_id) values (${tenantId}, ${nextPhone()}, 'api', ${s.callId})`)), '23514',
    'a source call only on in-call entries');
});

t.test('import_dnc_batch: added and already listed counted, pending calls cancelled, first record kept', async (t) => {
  const s = await f.scenario();
  const listed = await f.scenario({ tenantId: s.tenantId });
  await optOut(s.tenantId, listed.phone, 'api', null, '2026-06-01T00:00:00Z', null);
  const fresh = nextPhone();
  const result = await db.pool.one(sql.unsafe`
    select * from dialer.import_dnc_batch(${s.tenantId}, ${sql.array([s.phone, listed.phone, fresh], 'text')},
      ${sql.array(['from file', 'late reason', null], 'text')}, ${AT})`);
  t.same(result, { added: 2, already_listed: 1, duplicates: 0, cancelled_calls: 1 });
  t.match(await entry(s.tenantId, s.phone), { source: 'import', reason: 'from file' });
  t.match(await entry(s.tenantId, listed.phone), { source: 'api', reason: 'late reason' });
  t.equal(iso((await entry(s.tenantId, listed.phone))!.created_at), '2026-06-01T00:00:00.000Z');
  t.equal(await status(s.callId), 'cancelled');
});

// Messages as VAPI sends them: the OpenAPI shape (ServerMessageToolCalls: toolCallList[].function
// {name, arguments: string}, toolWithToolCallList[] {type, function, toolCall}) and the docs' shape
// (toolCallList[] {id, name, arguments: object}).
const openApiToolCalls = (name: string, id = 'call_tool_1') => ({
  type: 'tool-calls',
  timestamp: 1781100000000,
  toolCallList: [{ id, type: 'function', function: { name, arguments: '{"reason":"asked"}' } }],
  toolWithToolCallList: [{ type: 'function', function: { name }, toolCall: { id, type: 'function', function: { name, arguments: '{}' } } }],
});
const docsToolCalls = (name: string) => ({
  type: 'tool-calls',
  toolCallList: [{ id: 'toolu_01', name, arguments: { reason: 'asked' } }],
  toolWithToolCallList: [{ type: 'function', name, parameters: { type: 'object' } }],
});
const report = (structuredData: unknown, messages: unknown[] = []) => ({
  type: 'end-of-call-report',
  endedReason: 'customer-ended-call',
  analysis: { summary: 's', structuredData, successEvaluation: 'true' },
  artifact: { messages, transcript: '' },
});
const requested = (message: unknown, field: string | null = 'optOut', tool: string | null = 'optOut') =>
  db.pool.oneFirst(sql.unsafe`select dialer.opt_out_requested(${JSON.stringify(message)}::jsonb, ${field}, ${tool}) as reason`);

t.test('opt_out_requested: structured data, tool calls in every shape, and what is not an opt-out', async (t) => {
  t.equal(await requested(report({ optOut: true })), 'structuredData.optOut is true');
  t.equal(await requested(report({ optOut: 'TRUE' })), 'structuredData.optOut is true', 'a string true counts');
  t.equal(await requested(report({ compliance: { stop: true } }), 'compliance.stop'), 'structuredData.compliance.stop is true', 'a nested field');
  t.equal(await requested(report({ optOut: false })), null);
  t.equal(await requested(report({ optOut: 'no' })), null);
  t.equal(await requested(report({ optout: true })), null, 'the field name is exact');
  t.equal(await requested(report({ optOut: { value: true } })), null, 'an object is not true');
  t.equal(await requested(report('optOut')), null, 'structured data that is not an object');
  t.equal(await requested(report({ optOut: true }), null), null, 'structured data not read when the field is null');
  t.equal(await requested({ ...report({ optOut: true }), type: 'status-update' }), null, 'only a report carries the analysis');
  t.equal(await requested({ type: 'end-of-call-report' }), null, 'a report without analysis');

  t.equal(await requested(openApiToolCalls('optOut')), 'the assistant called optOut');
  t.equal(await requested(docsToolCalls('optOut')), 'the assistant called optOut');
  t.equal(await requested({ type: 'tool-calls', toolWithToolCallList: [{ type: 'function', toolCall: { id: 'x', function: { name: 'optOut' } } }] }),
    'the assistant called optOut', 'the name only in toolWithToolCallList[].toolCall');
  t.equal(await requested(openApiToolCalls('bookMeeting')), null, 'another tool');
  t.equal(await requested(openApiToolCalls('optOut'), 'optOut', null), null, 'no tool configured');
  t.equal(await requested({ type: 'tool-calls', toolCallList: 'optOut' }), null, 'a list that is not an array');
  t.equal(await requested({ ...openApiToolCalls('optOut'), type: 'function-call' }), null);

  const toolMessage = { role: 'tool_calls', message: '', time: 1, secondsFromStart: 1, toolCalls: [{ id: 'c1', type: 'function', function: { name: 'optOut', arguments: '{}' } }] };
  t.equal(await requested(report({}, [{ role: 'bot', message: 'hi' }, toolMessage])), 'the assistant called optOut',
    'a report whose messages record the tool call (the tool-calls webhook lost)');
  t.equal(await requested(report({}, [toolMessage]), 'optOut', 'other'), null);
});

t.test('opt_out_tool_calls: one row per tool call id of the opt-out tool', async (t) => {
  const rows = async (message: unknown, tool: string | null = 'optOut') =>
    db.pool.any(sql.unsafe`select tool_call_id, name from dialer.opt_out_tool_calls(${JSON.stringify(message)}::jsonb, ${tool})`);
  t.same(await rows(openApiToolCalls('optOut')), [{ tool_call_id: 'call_tool_1', name: 'optOut' }], 'both lists name the same call once');
  t.same(await rows(docsToolCalls('optOut')), [{ tool_call_id: 'toolu_01', name: 'optOut' }], 'the docs\' tool list has no id: the call list gives it');
  const two = {
    type: 'tool-calls',
    toolCallList: [
      { id: 'a', type: 'function', function: { name: 'optOut', arguments: '{}' } },
      { id: 'b', type: 'function', function: { name: 'lookup', arguments: '{}' } },
      { id: 'c', type: 'function', function: { name: 'optOut', arguments: '{}' } },
    ],
  };
  t.same(await rows(two), [{ tool_call_id: 'a', name: 'optOut' }, { tool_call_id: 'c', name: 'optOut' }]);
  t.same(await rows(two, null), []);
  t.same(await rows(report({ optOut: true })), [], 'a report has nothing to answer');
  const idless = { type: 'tool-calls', toolWithToolCallList: [{ type: 'function', name: 'optOut' }] };
  t.same(await rows(idless), [], 'no id, nothing to answer');
  t.equal(await requested(idless), 'the assistant called optOut', 'but still an opt-out');
});

t.test('apply_in_call_opt_out: the tenant\'s settings decide; the call\'s own number is listed', async (t) => {
  const s = await f.scenario({ tenant: { opt_out_structured_data_field: 'stop', opt_out_tool_name: 'do_not_call' } });
  const later = await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: s.contactId, attempt: 2 });
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'in_progress', dial_started_at = ${AT} where id = ${s.callId}`);
  const apply = (message: unknown) =>
    db.pool.one(sql.unsafe`select * from dialer.apply_in_call_opt_out(${s.callId}, ${JSON.stringify(message)}::jsonb, ${AT})`);

  t.match(await apply(report({ optOut: true })), { reason: null, phone: null, tool_calls: [] }, 'the default field is not this tenant\'s');
  t.match(await apply(openApiToolCalls('optOut')), { reason: null }, 'nor the default tool name');
  t.equal(await entry(s.tenantId, s.phone), null);

  const applied = await apply(openApiToolCalls('do_not_call', 'tc_9'));
  t.match(applied, { reason: 'the assistant called do_not_call', phone: s.phone, added: true, cancelled_calls: 1 });
  t.same(applied.tool_calls, [{ toolCallId: 'tc_9', name: 'do_not_call' }]);
  t.match(await entry(s.tenantId, s.phone), { source: 'in-call', source_call_id: s.callId, reason: 'opted out during the call: the assistant called do_not_call' });
  t.equal(await status(later), 'cancelled');
  t.equal(await status(s.callId), 'in_progress', 'the call itself goes on');
  t.equal(await db.pool.oneFirst(sql.unsafe`select last_error from dialer.calls where id = ${later}`), 'opted out during a call');

  const again = await apply(report({ stop: true }));
  t.match(again, { reason: 'structuredData.stop is true', added: false, cancelled_calls: 0, tool_calls: [] }, 'idempotent');
  const unknown = await db.pool.one(sql.unsafe`
    select * from dialer.apply_in_call_opt_out('00000000-0000-4000-8000-000000000000', ${JSON.stringify(report({ stop: true }))}::jsonb, ${AT})`);
  t.match(unknown, { reason: null, tool_calls: [] }, 'an unknown call does nothing');
});
