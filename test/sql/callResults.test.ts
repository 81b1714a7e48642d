// The end of a call (outcome_for, apply_call_result: retries, delays, limits, idempotence,
// campaign completion) and the worker's small steps (begin_dial, record_dialed and their batch
// forms begin_dials, record_dials, release_call, advance_call_status, calls_to_reconcile).
import t from 'tap';
import { sql, type DatabaseTransactionConnection } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures, iso } from './fixtures.js';

const ENDED = '2026-06-10T15:05:00Z';

t.test('outcome_for groups VAPI ended reasons', async (t) => {
  const { pool } = await createTestDatabase(t);
  const expected: Record<string, string> = {
    'customer-did-not-answer': 'no_answer',
    'customer-busy': 'busy',
    voicemail: 'voicemail',
    'customer-ended-call': 'answered',
    'assistant-ended-call': 'answered',
    'assistant-said-end-call-phrase': 'answered',
    'assistant-forwarded-call': 'answered',
    'silence-timed-out': 'answered',
    'exceeded-max-duration': 'answered',
    'customer-ended-call-during-transfer': 'answered',
    'call.in-progress.twilio-completed-call': 'answered',
    'vonage-completed': 'answered',
    'twilio-failed-to-connect-call': 'failed',
    'call.start.error-get-assistant': 'failed',
    'pipeline-error-openai-llm-failed': 'failed',
    'a-reason-vapi-invents-next-year': 'failed',
  };
  for (const [reason, outcome] of Object.entries(expected)) {
    t.equal(await pool.oneFirst(sql.unsafe`select dialer.outcome_for(${reason})`), outcome, reason);
  }
  t.equal(await pool.oneFirst(sql.unsafe`select dialer.outcome_for(null)`), 'failed', 'null');
});

t.test('apply_call_result', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const apply = async (callId: string, reason: string, extra: { outcome?: string; endedAt?: string } = {}) =>
    pool.oneFirst(sql.type(z.object({ id: z.string().nullable() }))`
      select dialer.apply_call_result(${callId}, ${reason}, ${extra.endedAt ?? ENDED}, ${extra.outcome ?? null}, null) as id`);
  /** A live call (in_progress) of a new once campaign with two members, so the campaign does not complete. */
  const live = async (campaign: Record<string, unknown> = {}, call: Record<string, unknown> = {}) => {
    const s = await f.scenario({ campaign, call: { status: 'in_progress', occurrence: 'once', ...call } });
    const bystander = await f.contact(s.tenantId);
    await f.member(s.campaignId, bystander);
    await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: bystander, due_at: '2026-06-11T00:00:00Z' });
    return s;
  };

  await t.test('a no-answer is retried after retry_delay_minutes, in the same occurrence', async (t) => {
    const s = await live({ retry_delay_minutes: 45 }, { occurrence: 'once-2', attempt: 2 });
    const next = await apply(s.callId, 'customer-did-not-answer');
    t.ok(next);
    t.match(await f.callRow(s.callId), { status: 'ended', outcome: 'no_answer', ended_reason: 'customer-did-not-answer', ended_at: iso(ENDED), lease_expires_at: null });
    t.match(await f.callRow(next!), { status: 'scheduled', attempt: 3, occurrence: 'once-2', contact_id: s.contactId, due_at: '2026-06-10T15:50:00.000Z' });
  });

  await t.test('per-outcome delays', async (t) => {
    const s = await live({ retry_delays: { busy: 10 }, retry_delay_minutes: 120 });
    t.match(await f.callRow((await apply(s.callId, 'customer-busy'))!), { due_at: '2026-06-10T15:15:00.000Z' }, 'busy: 10 minutes');
    const v = await live({ retry_delays: { busy: 10 }, retry_delay_minutes: 120 });
    t.match(await f.callRow((await apply(v.callId, 'voicemail'))!), { due_at: '2026-06-10T17:05:00.000Z' }, 'voicemail: the default 120');
  });

  await t.test('no retry after an answer, for outcomes not retried, or at max_attempts', async (t) => {
    t.equal(await apply((await live()).callId, 'customer-ended-call'), null, 'answered');
    t.equal(await apply((await live({ retry_outcomes: ['no_answer'] })).callId, 'customer-busy'), null, 'busy not in retry_outcomes');
    t.equal(await apply((await live({ max_attempts: 3 }, { attempt: 3 })).callId, 'customer-did-not-answer'), null, 'attempt 3 of 3');
    t.ok(await apply((await live({ max_attempts: 3 }, { attempt: 2 })).callId, 'customer-did-not-answer'), 'attempt 2 of 3');
  });

  await t.test('do-not-retry reasons', async (t) => {
    for (const reason of ['twilio-reported-customer-misdialed', 'call.start.error-vapi-number-international', 'manually-canceled',
                          'customer-ended-call', 'call.forwarding.operator-busy', 'call.in-progress.error-transfer-failed']) {
      t.equal(await apply((await live()).callId, reason), null, reason);
    }
    t.ok(await apply((await live()).callId, 'call.start.error-subscription-concurrency-limit-reached'), 'a concurrency refusal is retried');
    t.ok(await apply((await live()).callId, 'twilio-failed-to-connect-call'), 'a failed connection is retried');
    t.ok(await apply((await live()).callId, 'call.start.error-vapifault-database-error'), 'a VAPI-side fault is retried');
    t.ok(await apply((await live()).callId, 'call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable'), 'SIP 480: no answer, retried');
    t.ok(await apply((await live()).callId, 'a-reason-vapi-invents-next-year'), 'an unknown reason: retried as failed');
    t.equal(await apply((await live({ retry_outcomes: ['no_answer'] })).callId, 'worker-shutdown'), null, 'retry_later follows the rules for failed');
  });

  await t.test('an account problem stops the tenant and keeps the attempt', async (t) => {
    const s = await live({ max_attempts: 2 }, { attempt: 2, vapi_call_id: 'vapi-acct-1' });
    const next = await apply(s.callId, 'call.start.error-subscription-insufficient-credits');
    t.ok(next, 'a replacement call');
    t.match(await f.callRow(s.callId), { status: 'ended', outcome: 'failed', counts_as_attempt: false, vapi_call_id: 'vapi-acct-1' });
    t.match(await f.callRow(next!), { status: 'scheduled', attempt: 2, occurrence: 'once', counts_as_attempt: true, due_at: iso(ENDED) });
    t.match(await pool.one(sql.unsafe`select vapi_blocked_at, vapi_blocked_reason from dialer.tenants where id = ${s.tenantId}`), {
      vapi_blocked_at: iso(ENDED),
      vapi_blocked_reason: 'endedReason call.start.error-subscription-insufficient-credits',
    });
    t.same(await f.dueIds(s.tenantId, '2026-06-10T16:00:00Z'), [], 'nothing of the tenant is due while it is stopped');
    t.equal(await pool.oneFirst(sql.unsafe`select reason from dialer.why_not('2026-06-10T16:00:00Z') where call_id = ${next!}`), 'VAPI account stopped');
    const second = await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: await f.contact(s.tenantId), status: 'in_progress' });
    t.ok(await apply(second, 'pipeline-error-openai-401-unauthorized'), 'a second account problem: also replaced');
    t.match(await pool.one(sql.unsafe`select vapi_blocked_at, vapi_blocked_reason from dialer.tenants where id = ${s.tenantId}`), {
      vapi_blocked_at: iso(ENDED),
      vapi_blocked_reason: 'endedReason call.start.error-subscription-insufficient-credits',
    }, 'the first refusal is kept');
    t.equal(await pool.oneFirst(sql.unsafe`select dialer.clear_tenant_vapi(${s.tenantId})`), true);
    t.equal(await pool.oneFirst(sql.unsafe`select dialer.clear_tenant_vapi(${s.tenantId})`), false, 'cleared once');
    t.ok((await f.dueIds(s.tenantId, '2026-06-10T16:00:00Z')).includes(next!), 'due again once cleared');
    // Direct calls are replaced too (they are otherwise never retried).
    const tenantId = await f.tenant();
    const direct = await f.call({ tenant_id: tenantId, contact_id: await f.contact(tenantId), status: 'queued' });
    const replacement = await apply(direct, 'call.start.error-subscription-frozen');
    t.match(await f.callRow(replacement!), { status: 'scheduled', attempt: 1, campaign_id: null, assistant_id: 'asst_direct', phone_number_id: 'pn_direct' });
  });

  await t.test('an explicit outcome wins over the reason', async (t) => {
    const s = await live();
    t.equal(await apply(s.callId, 'customer-ended-call', { outcome: 'voicemail' }) !== null, true);
    t.match(await f.callRow(s.callId), { outcome: 'voicemail' });
  });

  await t.test('idempotent: a repeated end changes nothing', async (t) => {
    const s = await live();
    const next = await apply(s.callId, 'customer-did-not-answer');
    t.ok(next);
    t.equal(await apply(s.callId, 'customer-did-not-answer'), null, 'the same end again');
    t.equal(await apply(s.callId, 'customer-ended-call', { endedAt: '2026-06-10T16:00:00Z' }), null, 'a different, later end');
    t.match(await f.callRow(s.callId), { outcome: 'no_answer', ended_at: iso(ENDED) });
    t.equal(Number(await pool.oneFirst(sql.unsafe`select count(*) from dialer.calls where contact_id = ${s.contactId}`)), 2, 'one retry only');
    const cancelled = await live({}, { status: 'cancelled' });
    t.equal(await apply(cancelled.callId, 'customer-did-not-answer'), null, 'a cancelled call is left alone');
    t.match(await f.callRow(cancelled.callId), { status: 'cancelled', outcome: null });
  });

  await t.test('no retry for direct calls or stopped campaigns', async (t) => {
    const tenantId = await f.tenant();
    const contactId = await f.contact(tenantId);
    const direct = await f.call({ tenant_id: tenantId, contact_id: contactId, status: 'ringing' });
    t.equal(await apply(direct, 'customer-did-not-answer'), null);
    t.match(await f.callRow(direct), { status: 'ended', outcome: 'no_answer' });
    t.equal(await apply((await live({ status: 'stopped' })).callId, 'customer-did-not-answer'), null, 'stopped');
    t.ok(await apply((await live({ status: 'paused' })).callId, 'customer-did-not-answer'), 'paused: the retry waits');
  });

  await t.test('a once campaign completes when nothing is pending or live', async (t) => {
    const s = await f.scenario({ call: { status: 'in_progress' } });
    const second = await f.contact(s.tenantId);
    await f.member(s.campaignId, second);
    const secondCall = await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: second, status: 'ringing' });
    const status = async () => pool.one(sql.unsafe`select status, finished_at from dialer.campaigns where id = ${s.campaignId}`);
    await apply(s.callId, 'customer-ended-call');
    t.match(await status(), { status: 'active', finished_at: null }, 'one call still live');
    const retry = await apply(secondCall, 'customer-busy');
    t.match(await status(), { status: 'active' }, 'a retry is pending');
    await pool.query(sql.unsafe`update dialer.calls set status = 'in_progress' where id = ${retry}`);
    await apply(retry!, 'customer-ended-call', { endedAt: '2026-06-10T17:00:00Z' });
    t.match(await status(), { status: 'completed', finished_at: '2026-06-10T17:00:00.000Z' });
  });

  await t.test('the last two calls ending at the same moment still complete the campaign', async (t) => {
    // Each end runs in its own transaction; the second must see the first's end before it
    // decides, or both see the other call live and the campaign stays active forever.
    const s = await f.scenario({ call: { status: 'in_progress' } });
    const second = await f.contact(s.tenantId);
    await f.member(s.campaignId, second);
    const secondCall = await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: second, status: 'in_progress' });
    const end = (connection: DatabaseTransactionConnection, callId: string) =>
      connection.query(sql.unsafe`select dialer.apply_call_result(${callId}, 'customer-ended-call', ${ENDED}, null, null)`);
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstEnded!: () => void;
    const firstHasEnded = new Promise<void>((resolve) => (firstEnded = resolve));
    const first = pool.transaction(async (connection) => {
      await end(connection, s.callId);
      firstEnded();
      await firstMayCommit;
    });
    await firstHasEnded;
    const secondEnd = pool.transaction((connection) => end(connection, secondCall));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the second end is now running
    releaseFirst();
    await Promise.all([first, secondEnd]);
    t.equal(await pool.oneFirst(sql.unsafe`select status from dialer.campaigns where id = ${s.campaignId}`), 'completed');
  });

  await t.test('a call held only by do-not-call does not keep a once campaign open', async (t) => {
    const s = await f.scenario({ call: { status: 'in_progress' } });
    const blocked = await f.contact(s.tenantId);
    await f.member(s.campaignId, blocked);
    const blockedCall = await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: blocked });
    await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) select tenant_id, phone from dialer.contacts where id = ${blocked}`);
    await apply(s.callId, 'customer-ended-call');
    t.match(await f.callRow(blockedCall), { status: 'skipped' });
    t.equal(await pool.oneFirst(sql.unsafe`select status from dialer.campaigns where id = ${s.campaignId}`), 'completed');
  });
});

t.test('worker steps', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const bool = z.object({ ok: z.boolean() });
  const claimed = (over: Record<string, unknown> = {}) =>
    f.scenario({ call: { status: 'dialing', claimed_at: AT, lease_expires_at: '2026-06-10T15:05:00Z', ...over } });

  await t.test('begin_dial: once, only while dialing and leased', async (t) => {
    const s = await claimed();
    const begin = (id: string, at: string) => pool.oneFirst(sql.type(bool)`select dialer.begin_dial(${id}, ${at}) as ok`);
    t.equal(await begin(s.callId, '2026-06-10T15:00:01Z'), true);
    t.equal(await begin(s.callId, '2026-06-10T15:00:02Z'), false, 'the second time');
    t.match(await f.callRow(s.callId), { dial_started_at: '2026-06-10T15:00:01.000Z' });
    t.equal(await begin((await claimed()).callId, '2026-06-10T15:05:00Z'), false, 'lease expired');
    t.equal(await begin((await f.scenario()).callId, AT), false, 'not claimed');
  });

  await t.test('record_dialed: dialing → queued, never backwards', async (t) => {
    const s = await claimed({ dial_started_at: AT });
    const record = (id: string, vapiId: string) => pool.oneFirst(sql.type(bool)`select dialer.record_dialed(${id}, ${vapiId}, 'queued', ${AT}) as ok`);
    t.equal(await record(s.callId, 'vapi-1'), true);
    t.match(await f.callRow(s.callId), { status: 'queued', vapi_call_id: 'vapi-1', lease_expires_at: null });
    t.equal(await record(s.callId, 'vapi-2'), false, 'another VAPI id');
    const ringing = await claimed({ status: 'ringing' });
    t.equal(await record(ringing.callId, 'vapi-3'), true);
    t.match(await f.callRow(ringing.callId), { status: 'ringing', vapi_call_id: 'vapi-3' }, 'a webhook moved it further first');
  });

  await t.test('begin_dials: begin_dial per call of a batch', async (t) => {
    const ready = await claimed();
    const started = await claimed({ dial_started_at: AT });
    const expired = await claimed({ lease_expires_at: '2026-06-10T15:00:30Z' });
    const scheduled = await f.scenario();
    const ids = [ready.callId, started.callId, expired.callId, scheduled.callId];
    const begun = await pool.anyFirst(sql.unsafe`select id from dialer.begin_dials(${sql.array(ids, 'uuid')}, '2026-06-10T15:01:00Z') as id`);
    t.same(begun, [ready.callId], 'only the call dialing, not started, leased');
    t.match(await f.callRow(ready.callId), { dial_started_at: '2026-06-10T15:01:00.000Z', updated_at: '2026-06-10T15:01:00.000Z' });
    t.match(await f.callRow(started.callId), { dial_started_at: '2026-06-10T15:00:00.000Z' }, 'a started call keeps its instant');
    t.match(await f.callRow(expired.callId), { dial_started_at: null });
    t.same(await pool.anyFirst(sql.unsafe`select id from dialer.begin_dials(${sql.array(ids, 'uuid')}, '2026-06-10T15:01:01Z') as id`), [], 'the second time');
    t.same(await pool.anyFirst(sql.unsafe`select id from dialer.begin_dials('{}', ${AT}) as id`), [], 'an empty batch');
  });

  await t.test('record_dials: record_dialed per call of a batch', async (t) => {
    const dialing = await claimed({ dial_started_at: AT });
    const ringing = await claimed({ status: 'ringing', dial_started_at: AT });
    const other = await claimed({ vapi_call_id: 'vapi-other', dial_started_at: AT });
    const missing = '00000000-0000-4000-8000-000000000099';
    const ids = [dialing.callId, ringing.callId, other.callId, missing];
    const record = (vapiIds: string[], statuses: Array<string | null>) =>
      pool.anyFirst(sql.unsafe`
        select id from dialer.record_dials(${sql.array(ids, 'uuid')}, ${sql.array(vapiIds, 'text')}, ${sql.array(statuses, 'text')}, '2026-06-10T15:00:02Z') as id`);
    const recorded = await record(['vapi-a', 'vapi-b', 'vapi-c', 'vapi-d'], ['queued', null, 'queued', 'queued']);
    t.same([...recorded].sort(), [dialing.callId, ringing.callId].sort(), 'not the call holding another VAPI id, nor a missing one');
    t.match(await f.callRow(dialing.callId), { status: 'queued', vapi_call_id: 'vapi-a', vapi_status: 'queued', lease_expires_at: null, updated_at: '2026-06-10T15:00:02.000Z' });
    t.match(await f.callRow(ringing.callId), { status: 'ringing', vapi_call_id: 'vapi-b' }, 'a webhook moved it further first');
    t.match(await f.callRow(other.callId), { status: 'dialing', vapi_call_id: 'vapi-other' });
    t.same([...(await record(['vapi-a', 'vapi-x', 'vapi-c', 'vapi-d'], [null, null, null, null]))], [dialing.callId], 'the same VAPI id again is fine, another is not');
  });

  await t.test('release_call: back to scheduled, only without a VAPI id', async (t) => {
    const s = await claimed({ dial_started_at: AT });
    t.equal(await pool.oneFirst(sql.type(bool)`select dialer.release_call(${s.callId}, '2026-06-10T15:02:00Z', '429') as ok`), true);
    t.match(await f.callRow(s.callId), { status: 'scheduled', due_at: '2026-06-10T15:02:00.000Z', lease_expires_at: null, dial_started_at: null, dispatch_failures: 1, last_error: '429' });
    const dialed = await claimed({ vapi_call_id: 'vapi-9' });
    t.equal(await pool.oneFirst(sql.type(bool)`select dialer.release_call(${dialed.callId}, ${AT}, 'x') as ok`), false);
    t.match(await f.callRow(dialed.callId), { status: 'dialing' });
  });

  await t.test('advance_call_status: forward only, never from a terminal status', async (t) => {
    const s = await claimed();
    const advance = (id: string, status: string, at = AT) => pool.oneFirst(sql.type(bool)`select dialer.advance_call_status(${id}, ${status}, ${at}) as ok`);
    t.equal(await advance(s.callId, 'queued'), true);
    t.equal(await advance(s.callId, 'ringing'), true);
    t.equal(await advance(s.callId, 'in-progress', '2026-06-10T15:00:30Z'), true);
    t.match(await f.callRow(s.callId), { status: 'in_progress', started_at: '2026-06-10T15:00:30.000Z', vapi_status: 'in-progress' });
    t.equal(await advance(s.callId, 'ringing'), false, 'backwards');
    t.equal(await advance(s.callId, 'forwarding'), false, 'forwarding is in_progress too');
    t.equal(await advance((await claimed()).callId, 'forwarding'), true, 'forwarding from dialing');
    t.equal(await advance((await claimed()).callId, 'not-found'), false, 'unknown status');
    const ended = await f.scenario({ call: { status: 'ended', outcome: 'answered' } });
    t.equal(await advance(ended.callId, 'ringing'), false, 'ended');
  });

  await t.test('calls_to_reconcile', async (t) => {
    const expired = await claimed({ lease_expires_at: '2026-06-10T14:59:00Z', dial_started_at: '2026-06-10T14:55:00Z' });
    const leased = await claimed();
    const due = await claimed({ status: 'queued', vapi_call_id: 'v-due', check_at: '2026-06-10T15:00:00Z' });
    const later = await claimed({ status: 'ringing', vapi_call_id: 'v-later', check_at: '2026-06-10T15:00:30Z', updated_at: '2026-06-10T14:00:00Z' });
    const unarmed = await claimed({ status: 'in_progress', vapi_call_id: 'v-unarmed', updated_at: '2026-06-10T14:58:00Z' });
    const unarmedFresh = await claimed({ status: 'in_progress', vapi_call_id: 'v-fresh', updated_at: '2026-06-10T14:59:30Z' });
    const details = await claimed({ status: 'ended', outcome: 'answered', vapi_call_id: 'v-details', check_at: '2026-06-10T14:00:00Z' });
    const ids = await pool.anyFirst(sql.unsafe`select call_id from dialer.calls_to_reconcile(${AT})`);
    t.ok(ids.includes(expired.callId), 'dialing, lease expired');
    t.ok(ids.includes(due.callId), 'its lookup is due');
    t.ok(ids.includes(details.callId), 'ended, its report awaited');
    t.ok(ids.includes(unarmed.callId), 'live, never armed, no news for a minute');
    t.notOk(ids.includes(leased.callId), 'dialing, leased');
    t.notOk(ids.includes(later.callId), 'its lookup is 30 s away, however old its news');
    t.notOk(ids.includes(unarmedFresh.callId), 'never armed, news 30 s ago');
    const row = await pool.one(sql.unsafe`select * from dialer.calls_to_reconcile(${AT}) where call_id = ${expired.callId}`);
    t.match(row, { status: 'dialing', phone_number_id: 'pn_1', dial_started_at: '2026-06-10T14:55:00.000Z', checks: 0 });
  });

  await t.test('record_dials and advance_call_status arm the next lookup a minute after the news', async (t) => {
    const s = await claimed({ dial_started_at: AT });
    await pool.query(sql.unsafe`select dialer.record_dialed(${s.callId}, 'v-arm', 'queued', ${AT})`);
    t.match(await f.callRow(s.callId), { status: 'queued', check_at: '2026-06-10T15:01:00.000Z', checks: 0 });
    await pool.query(sql.unsafe`select dialer.advance_call_status(${s.callId}, 'in-progress', '2026-06-10T15:00:40Z')`);
    t.match(await f.callRow(s.callId), { check_at: '2026-06-10T15:01:40.000Z' });
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer._next_wake_at(${AT}, ${s.tenantId})`)), '2026-06-10T15:01:40.000Z', 'next_wake_at includes it');
    await pool.query(sql.unsafe`select dialer.apply_call_result(${s.callId}, 'customer-ended-call', '2026-06-10T15:02:00Z')`);
    t.match(await f.callRow(s.callId), { status: 'ended', check_at: null }, 'an end disarms it');
  });

  await t.test('note_lookup: the next lookup, or the end of a call no lookup settles', async (t) => {
    const note = (id: string, result: string, detail: string | null, at: string) =>
      pool.oneFirst(sql.unsafe`select dialer.note_lookup(${id}, ${result}, ${detail}, ${at})`);
    const live = await claimed({ status: 'in_progress', vapi_call_id: 'v-live', checks: 2, check_at: AT });
    t.equal(await note(live.callId, 'live', null, AT), 'waiting');
    t.match(await f.callRow(live.callId), { check_at: '2026-06-10T15:01:00.000Z', checks: 0, status: 'in_progress' });

    const gone = await claimed({ status: 'queued', vapi_call_id: 'v-gone', check_at: AT });
    t.equal(await note(gone.callId, 'gone', 'not-found', AT), 'waiting', 'not-found once: a new call may read not-found briefly');
    t.equal(await note(gone.callId, 'gone', 'not-found', '2026-06-10T15:01:00Z'), 'waiting');
    t.match(await f.callRow(gone.callId), { checks: 2, check_at: '2026-06-10T15:02:00.000Z', last_error: 'not-found' });
    t.equal(await note(gone.callId, 'gone', 'not-found', '2026-06-10T15:02:00Z'), 'ended', 'the third: ended');
    t.match(await f.callRow(gone.callId), { status: 'ended', outcome: 'failed', ended_reason: null, check_at: null,
      last_error: 'VAPI reports the call not-found (3 lookups)' });

    const deleted = await claimed({ status: 'ringing', vapi_call_id: 'v-del' });
    t.equal(await note(deleted.callId, 'gone', 'deletion-failed', AT), 'ended', 'deletion-failed: at once');

    const lost = await claimed({ status: 'in_progress', vapi_call_id: 'v-lost', checks: 28 });
    t.equal(await note(lost.callId, 'unresolved', 'ECONNREFUSED', AT), 'waiting');
    t.equal(await note(lost.callId, 'unresolved', 'ECONNREFUSED', '2026-06-10T15:01:00Z'), 'ended', 'the 30th unresolved lookup');
    t.match(await f.callRow(lost.callId), { status: 'ended', outcome: 'failed', last_error: 'no VAPI lookup resolved the call in 30 tries: ECONNREFUSED' });
    t.equal(await note(lost.callId, 'live', null, AT), 'unchanged', 'an ended call is left alone');
    await t.rejects(note(live.callId, 'maybe', null, AT), { code: 'PD400' });
  });

  await t.test('note_call_details: a lost report is asked for, with backoff, a bounded number of times', async (t) => {
    const details = (id: string, state: string, at: string) =>
      pool.oneFirst(sql.unsafe`select dialer.note_call_details(${id}, ${state}, '10 minutes', ${at})`).then(iso);
    const s = await claimed({ status: 'ended', outcome: 'answered', vapi_call_id: 'v-rep' });
    t.equal(await details(s.callId, 'awaited', AT), '2026-06-10T15:10:00.000Z', 'RECONCILE_AFTER after the end');
    t.equal(await details(s.callId, 'awaited', '2026-06-10T15:01:00Z'), '2026-06-10T15:10:00.000Z', 'armed once');
    t.equal(await details(s.callId, 'missing', '2026-06-10T15:10:00Z'), '2026-06-10T15:30:00.000Z', 'then doubling');
    t.equal(await details(s.callId, 'missing', '2026-06-10T15:30:00Z'), '2026-06-10T16:10:00.000Z');
    t.equal(await details(s.callId, 'missing', '2026-06-10T16:10:00Z'), '2026-06-10T17:30:00.000Z');
    t.equal(await details(s.callId, 'missing', '2026-06-10T17:30:00Z'), '2026-06-10T20:10:00.000Z');
    t.equal(await details(s.callId, 'missing', '2026-06-10T20:10:00Z'), null, 'the fifth missing: no more lookups');
    const r = await claimed({ status: 'ended', outcome: 'answered', vapi_call_id: 'v-rep2' });
    await details(r.callId, 'awaited', AT);
    t.equal(await details(r.callId, 'received', '2026-06-10T15:02:00Z'), null, 'the report arrived');
    t.match(await f.callRow(r.callId), { details_received_at: '2026-06-10T15:02:00.000Z', check_at: null });
    t.equal(await details(r.callId, 'awaited', '2026-06-10T15:03:00Z'), null, 'a later status-update arms nothing');
    const never = await claimed({ status: 'ended', outcome: 'failed' });
    t.equal(await details(never.callId, 'awaited', AT), null, 'no VAPI id: nothing to look up');
  });
});
