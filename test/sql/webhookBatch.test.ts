// dialer.receive_webhooks with several webhooks in one statement: stored in one INSERT, plain
// status moves in one UPDATE, plain reports' details in another, everything else one by one, in order. Each case is checked against
// what the same webhooks give when received one at a time (the order VAPI sent them).
import t from 'tap';
import { createHash, randomUUID } from 'node:crypto';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { Vapi } from '@vapi-ai/server-sdk';
import { createTestDatabase } from '../helpers/database.js';
import { insertContact, insertTenant } from '../worker/fixtures.js';
import { createdCall, endOfCallReport, statusUpdate } from '../fixtures/vapi/messages.js';
import { receiveWebhooks, webhookBatchJson, type ReceivedWebhook } from '../../db/queries/callEvents.js';
import { readWebhookMessage } from '../../server/webhooks/message.js';
import { webhookEffect } from '../../server/webhooks/apply.js';
import { manualClock } from '../../server/clock.js';
import { nextPhone } from './fixtures.js';
import pg from 'pg';

const AT = new Date('2026-06-10T15:00:00.000Z');

type Body = (call: Vapi.Call) => { message: unknown };

/** A webhook as the receiver passes it on (server/webhooks/index.ts: its readers, its effect), `seconds` after AT. */
function webhook(tenant: { id: string; version: string }, call: Vapi.Call, body: Body, seconds: number): ReceivedWebhook {
  const text = JSON.stringify(body(call));
  const message = readWebhookMessage(JSON.parse(text));
  const at = new Date(AT.getTime() + seconds * 1000);
  return {
    tenantId: tenant.id,
    credentialVersion: tenant.version,
    vapiCallId: message.vapiCallId,
    externalId: message.externalId,
    type: message.type,
    status: message.status,
    eventAt: message.eventAt,
    bodySha256: createHash('sha256').update(text).digest(),
    payloadJson: text,
    rawBody: null,
    error: null,
    forward: false,
    effect: webhookEffect(manualClock(at), message),
    recheckAfterSeconds: 60,
    wakeChannel: 'dialer_wake_test',
    at,
  };
}

const callState = z.object({ status: z.string(), outcome: z.string().nullable(), vapi_status: z.string().nullable(), started_at: z.string().nullable(), ended_reason: z.string().nullable(), check_at: z.string().nullable(), checks: z.number(), transcript: z.string().nullable(), cost: z.number().nullable(), details_received_at: z.string().nullable() });

async function setUp(pool: DatabasePool) {
  const id = await insertTenant(pool, { webhookAuthType: 'secret', webhookSecret: 'whsec-batch' });
  // A report whose analysis.structuredData.stop is true opts its number out (052).
  await pool.query(sql.unsafe`update dialer.tenants set opt_out_structured_data_field = 'stop' where id = ${id}`);
  const version = String(await pool.oneFirst(sql.unsafe`select dialer.webhook_credential_version(t) from dialer.tenants t where t.id = ${id}`));
  const tenant = { id, version };
  const newCall = async () => {
    const phone = nextPhone();
    const contactId = await insertContact(pool, id, phone, 'Batch');
    const vapiCallId = randomUUID();
    const callId = String(await pool.oneFirst(sql.unsafe`
      insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at, status, vapi_call_id, dial_started_at)
      values (${id}, ${contactId}, ${phone}, 'asst_batch', 'pn_batch', ${AT.toISOString()}, 'queued', ${vapiCallId}, ${AT.toISOString()}) returning id`));
    return { callId, vapi: createdCall(vapiCallId, callId, phone) };
  };
  const state = (callId: string) =>
    pool.one(sql.type(callState)`select status, outcome, vapi_status, started_at, ended_reason, check_at, checks, transcript, cost, details_received_at from dialer.calls where id = ${callId}`);
  return { tenant, newCall, state };
}

// The timestamps are fixed so that the same webhook for two calls differs only by the call.
const ringing: Body = (call) => statusUpdate(call, 'ringing', { timestamp: 1781103601000 });
const inProgress: Body = (call) => statusUpdate(call, 'in-progress', { timestamp: 1781103605000 });
const ended: Body = (call) => statusUpdate(call, 'ended', { timestamp: 1781103660000, endedReason: 'customer-ended-call' });
const report: Body = (call) => endOfCallReport(call, { timestamp: 1781103661000, startedAt: '2026-06-10T15:00:05.000Z', endedAt: '2026-06-10T15:01:00.000Z' });
const optOutReport: Body = (call) =>
  endOfCallReport(call, { timestamp: 1781103661000, endedAt: '2026-06-10T15:01:00.000Z', analysis: { summary: 'Asked not to be called.', structuredData: { stop: true } } });

/** Runs `body` on one connection where every UPDATE statement on dialer.calls is counted. */
async function countingUpdates<T>(pool: DatabasePool, body: (connection: Parameters<Parameters<DatabasePool['connect']>[0]>[0], updates: () => Promise<number>) => Promise<T>): Promise<T> {
  return pool.connect(async (connection) => {
    await connection.query(sql.unsafe`select set_config('pgdialer_test.updates', '0', false)`);
    await connection.query(sql.unsafe`create or replace function pg_temp.count_update() returns trigger language plpgsql as $$
      begin
        perform set_config('pgdialer_test.updates', (current_setting('pgdialer_test.updates')::int + 1)::text, false);
        return null;
      end $$`);
    await connection.query(sql.unsafe`create trigger count_update after update on dialer.calls for each statement execute function pg_temp.count_update()`);
    try {
      return await body(connection, async () => Number(await connection.oneFirst(sql.unsafe`select current_setting('pgdialer_test.updates')`)));
    } finally {
      await connection.query(sql.unsafe`drop trigger count_update on dialer.calls`);
    }
  });
}

t.test('webhooks received together end as they do received one by one', async (t) => {
  const { pool } = await createTestDatabase(t);
  const { tenant, newCall, state } = await setUp(pool);

  /** The same webhooks for two fresh calls: all in one statement, then one statement each. */
  const both = async (messages: { message: Body; seconds: number }[]) => {
    const together = await newCall();
    const alone = await newCall();
    const batch = await receiveWebhooks(pool, messages.map((m) => webhook(tenant, together.vapi, m.message, m.seconds)));
    const single = [];
    for (const m of messages) single.push(...(await receiveWebhooks(pool, [webhook(tenant, alone.vapi, m.message, m.seconds)])));
    return { batch, single, together: await state(together.callId), alone: await state(alone.callId) };
  };

  for (const [name, messages, expectedStatus] of [
    ['ringing then in-progress (both moves in one UPDATE)', [{ message: ringing, seconds: 1 }, { message: inProgress, seconds: 5 }], 'in_progress'],
    ['in-progress then ringing, reordered', [{ message: inProgress, seconds: 5 }, { message: ringing, seconds: 1 }], 'in_progress'],
    ['in-progress then ended', [{ message: inProgress, seconds: 5 }, { message: ended, seconds: 60 }], 'ended'],
    ['ended then a late in-progress: never started', [{ message: ended, seconds: 60 }, { message: inProgress, seconds: 5 }], 'ended'],
    ['the whole call: ringing, in-progress, ended, report', [{ message: ringing, seconds: 1 }, { message: inProgress, seconds: 5 }, { message: ended, seconds: 60 }, { message: report, seconds: 61 }], 'ended'],
    ['the report first, then a late ended', [{ message: inProgress, seconds: 5 }, { message: report, seconds: 61 }, { message: ended, seconds: 60 }], 'ended'],
  ] as const) {
    await t.test(name, async (t) => {
      const { batch, single, together, alone } = await both([...messages]);
      t.same(batch.map((r) => r.outcome), single.map((r) => r.outcome), 'the same outcomes');
      t.same(batch.map((r) => r.ended), single.map((r) => r.ended), 'the same ends');
      t.equal(together.status, expectedStatus);
      t.same({ ...together }, { ...alone }, 'the same call afterwards');
    });
  }

  await t.test('a body twice in one batch: stored once, the second a duplicate', async (t) => {
    const call = await newCall();
    const first = webhook(tenant, call.vapi, ringing, 1);
    const results = await receiveWebhooks(pool, [first, { ...first }]);
    t.same(results.map((r) => r.outcome), ['applied', 'duplicate']);
    t.equal(results[0]!.event_id, results[1]!.event_id, 'one event');
    t.equal((await state(call.callId)).status, 'ringing');
  });

  await t.test('a stale credential among current ones: only it is refused', async (t) => {
    const call = await newCall();
    const other = await newCall();
    const results = await receiveWebhooks(pool, [
      webhook(tenant, call.vapi, ringing, 1),
      webhook({ ...tenant, version: 'an older credential' }, other.vapi, ringing, 1),
    ]);
    t.same(results.map((r) => r.outcome), ['applied', 'stale']);
    t.equal((await state(other.callId)).status, 'queued', 'nothing done for the stale one');
    t.equal(Number(await pool.oneFirst(sql.unsafe`select count(*) from dialer.call_events where vapi_call_id = ${other.vapi.id}`)), 0, 'nor stored');
  });

  await t.test('the batch of moves failing: each move applied alone, only the failing one fails', async (t) => {
    const good = await newCall();
    const bad = await newCall();
    // A stand-in for any error of one row (a constraint, a lock timeout): it fails the batch's UPDATE.
    await pool.connect(async (connection) => {
      await connection.query(sql.unsafe`select set_config('pgdialer_test.refused_call', ${bad.callId}, false)`);
      await connection.query(sql.unsafe`create function pg_temp.refuse() returns trigger language plpgsql as $$
        begin
          if new.id::text = current_setting('pgdialer_test.refused_call') and new.status = 'ringing' then raise exception 'refused for the test'; end if;
          return new;
        end $$`);
      await connection.query(sql.unsafe`create trigger refuse before update on dialer.calls for each row execute function pg_temp.refuse()`);
      try {
        const results = await receiveWebhooks(connection, [webhook(tenant, good.vapi, ringing, 1), webhook(tenant, bad.vapi, ringing, 1)]);
        t.same(results.map((r) => r.outcome), ['applied', 'failed']);
        t.match(results[1]!.error, /refused for the test/);
        const unapplied = await connection.one(sql.type(z.object({ applied_at: z.string().nullable(), error: z.string().nullable() }))`
          select applied_at, error from dialer.call_events where id = ${results[1]!.event_id}`);
        t.equal(unapplied.applied_at, null, 'the failed event is kept unapplied');
        t.match(unapplied.error, /refused for the test/);
      } finally {
        await connection.query(sql.unsafe`drop trigger refuse on dialer.calls`);
      }
    });
    t.equal((await state(good.callId)).status, 'ringing', 'the other move applied');
    t.equal((await state(bad.callId)).status, 'queued');
  });

  await t.test('reports of calls already ended, together: their details in one UPDATE, as received one by one', async (t) => {
    const together = [await newCall(), await newCall(), await newCall()];
    const alone = [await newCall(), await newCall(), await newCall()];
    for (const call of [...together, ...alone]) await receiveWebhooks(pool, [webhook(tenant, call.vapi, ended, 60)]);
    const { batch, updates } = await countingUpdates(pool, async (connection, updates) => ({
      batch: await receiveWebhooks(connection, together.map((call) => webhook(tenant, call.vapi, report, 61))),
      updates: await updates(),
    }));
    t.equal(updates, 1, 'one UPDATE for the three reports');
    const single = [];
    for (const call of alone) single.push(...(await receiveWebhooks(pool, [webhook(tenant, call.vapi, report, 61)])));
    t.same(batch.map((r) => [r.outcome, r.ended, r.ended_class]), single.map((r) => [r.outcome, r.ended, r.ended_class]), 'the same outcomes');
    t.same(batch.map((r) => r.outcome), ['applied', 'applied', 'applied']);
    for (let i = 0; i < together.length; i++) {
      const [a, b] = [await state(together[i]!.callId), await state(alone[i]!.callId)];
      t.same({ ...a }, { ...b }, `call ${i + 1}: the same afterwards`);
      t.ok(a.transcript && a.details_received_at, 'its details recorded');
      t.equal(a.check_at, null, 'no lookup left');
    }
  });

  await t.test('a report that opts out, among plain ones: it goes alone, and opts out; the others go together', async (t) => {
    const plain = [await newCall(), await newCall()];
    const opting = await newCall();
    for (const call of [...plain, opting]) await receiveWebhooks(pool, [webhook(tenant, call.vapi, ended, 60)]);
    const { results, updates } = await countingUpdates(pool, async (connection, updates) => ({
      results: await receiveWebhooks(connection, [webhook(tenant, plain[0]!.vapi, report, 61), webhook(tenant, opting.vapi, optOutReport, 61), webhook(tenant, plain[1]!.vapi, report, 61)]),
      updates: await updates(),
    }));
    t.same(results.map((r) => r.outcome), ['applied', 'applied', 'applied']);
    t.equal(results[1]!.opt_out_reason, 'structuredData.stop is true');
    t.equal(results[0]!.opt_out_reason, null);
    t.ok(updates >= 2, 'the opting-out report has a statement of its own');
    const listed = await pool.oneFirst(sql.unsafe`select count(*)::int from dialer.dnc where tenant_id = ${tenant.id} and phone = ${opting.vapi.customer!.number!}`);
    t.equal(Number(listed), 1, 'its number is on the do-not-call list');
    for (const call of [...plain, opting]) t.ok((await state(call.callId)).details_received_at, 'details recorded');
  });

  await t.test('a report about a call another webhook of the batch is about: applied in order, one by one', async (t) => {
    const call = await newCall();
    const other = await newCall();
    await receiveWebhooks(pool, [webhook(tenant, other.vapi, ended, 60)]);
    const results = await receiveWebhooks(pool, [webhook(tenant, call.vapi, ended, 60), webhook(tenant, call.vapi, report, 61), webhook(tenant, other.vapi, report, 61)]);
    t.same(results.map((r) => r.outcome), ['applied', 'applied', 'applied']);
    for (const id of [call.callId, other.callId]) {
      const row = await state(id);
      t.equal(row.status, 'ended');
      t.ok(row.transcript && row.details_received_at, 'details recorded');
    }
  });

  await t.test('the batch of details failing: each report applied alone, only the failing one fails', async (t) => {
    const good = await newCall();
    const bad = await newCall();
    for (const call of [good, bad]) await receiveWebhooks(pool, [webhook(tenant, call.vapi, ended, 60)]);
    await pool.connect(async (connection) => {
      await connection.query(sql.unsafe`select set_config('pgdialer_test.refused_call', ${bad.callId}, false)`);
      await connection.query(sql.unsafe`create or replace function pg_temp.refuse_details() returns trigger language plpgsql as $$
        begin
          if new.id::text = current_setting('pgdialer_test.refused_call') and new.transcript is not null then raise exception 'details refused for the test'; end if;
          return new;
        end $$`);
      await connection.query(sql.unsafe`create trigger refuse_details before update on dialer.calls for each row execute function pg_temp.refuse_details()`);
      try {
        const results = await receiveWebhooks(connection, [webhook(tenant, good.vapi, report, 61), webhook(tenant, bad.vapi, report, 61)]);
        t.same(results.map((r) => r.outcome), ['applied', 'failed']);
        t.match(results[1]!.error, /details refused for the test/);
      } finally {
        await connection.query(sql.unsafe`drop trigger refuse_details on dialer.calls`);
      }
    });
    t.ok((await state(good.callId)).details_received_at, 'the other report applied');
    t.equal((await state(bad.callId)).details_received_at, null);
  });
});

// A plan is kept for a session's life (receive_webhooks plans once per session). One made while
// call_events held a few rows must still find a body stored before by the dedupe index, not by
// scanning a table that may hold millions by then.
t.test('a session planned while call_events was near empty looks duplicates up by index', async (t) => {
  const db = await createTestDatabase(t);
  const { tenant, newCall } = await setUp(db.pool);
  const call = await newCall();
  const first = webhook(tenant, call.vapi, ringing, 1);
  await receiveWebhooks(db.pool, [first]);
  const client = new pg.Client({ connectionString: db.directUrl });
  await client.connect();
  t.teardown(() => client.end());
  const plans: string[] = [];
  client.on('notice', (notice) => plans.push(notice.message ?? ''));
  await client.query('analyze dialer.call_events');
  await client.query("load 'auto_explain'");
  await client.query("select set_config('auto_explain.log_min_duration', '0', false), set_config('auto_explain.log_nested_statements', 'on', false), set_config('auto_explain.log_level', 'notice', false), set_config('client_min_messages', 'notice', false)");
  const again = await client.query('select outcome from dialer.receive_webhooks($1::jsonb)', [webhookBatchJson([first])]);
  t.same(again.rows.map((row) => row.outcome), ['duplicate'], 'found as stored before');
  const ingest = plans.filter((plan) => plan.includes('insert into dialer.call_events'));
  t.ok(ingest.length > 0, 'the ingest statement\'s plan was seen');
  t.notMatch(ingest.join('\n'), /Seq Scan on call_events/, 'no scan of call_events');
  t.match(ingest.join('\n'), /Index (Only )?Scan using call_events_dedupe_idx on call_events event/, 'the dedupe index');
});
