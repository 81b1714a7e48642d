// The relay's rules in SQL (sql/041_forwards.sql), at chosen instants: queueing once per event,
// the claim and its lease, backoff (doubling, capped), giving up only after give_up_after (a
// target down for an hour loses nothing), the forward URL of a call, and next_wake_at.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { insertCampaign, insertContact, insertDirectCall, insertTenant } from '../worker/fixtures.js';

const { pool } = await createTestDatabase(t);
const T0 = Date.parse('2026-06-10T15:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const one = async (query: ReturnType<typeof sql.unsafe>) => pool.oneFirst(query) as Promise<any>;
const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());

const tenantId = await insertTenant(pool);
const contactId = await insertContact(pool, tenantId, '+15550001111');
const callId = await insertDirectCall(pool, tenantId, contactId, '+15550001111', new Date(T0));
let bodySeq = 0;
const newEvent = async (type = 'status-update') =>
  Number(
    await one(sql.unsafe`
      insert into dialer.call_events (tenant_id, call_id, type, body_sha256, payload)
      values (${tenantId}::uuid, ${callId}::uuid, ${type}, sha256(${String(++bodySeq)}::bytea), ${JSON.stringify({ message: { type } })}::jsonb)
      returning id`),
  );
const queue = (eventId: number, seconds: number) => one(sql.unsafe`select dialer.queue_forward(${eventId}, 'https://t.example/x', ${at(seconds)}) as q`);
const claim = (seconds: number, max = 10) =>
  pool.any(sql.type(z.object({ id: z.number(), attempts: z.number() }))`select id, attempts from dialer.claim_forwards(${at(seconds)}, ${max}, '30 seconds')`);
const fail = (id: number, seconds: number, giveUp = '24 hours') =>
  one(sql.unsafe`select dialer.record_forward_attempt(${id}, ${at(seconds)}, 503, 'the target answered 503', 12, '5 seconds', '5 minutes', ${giveUp}::interval) as s`);
const row = (id: number) =>
  pool.one(sql.type(z.object({ state: z.string(), attempts: z.number(), next_attempt_at: z.string().nullable(), last_status: z.number().nullable() }))`
    select state, attempts, next_attempt_at, last_status from dialer.forwards where id = ${id}`);
const nextWake = async (seconds: number) => iso(await one(sql.unsafe`select dialer.next_wake_at(${at(seconds)}) as w`));
const reset = () => pool.query(sql.unsafe`delete from dialer.forwards`);
/** Queues a new event's delivery at T0 + seconds; returns the forwards row id. */
const queued = async (type: string, seconds = 0) => {
  const eventId = await newEvent(type);
  await queue(eventId, seconds);
  return Number(await one(sql.unsafe`select id from dialer.forwards where event_id = ${eventId}`));
};

t.test('forward_retry_at doubles from base and stops at cap', async (t) => {
  const retry = async (attempts: number) =>
    iso(await one(sql.unsafe`select dialer.forward_retry_at(${attempts}, ${at(0)}, '5 seconds', '5 minutes') as r`));
  t.equal(await retry(1), at(5));
  t.equal(await retry(2), at(10));
  t.equal(await retry(4), at(40));
  t.equal(await retry(7), at(300), '5 × 64 = 320 s, capped at 300');
  t.equal(await retry(40), at(300), 'no overflow for a long outage');
});

t.test('queued once per event; a claim leases it; backoff; next_wake_at wakes for the retry', async (t) => {
  await reset();
  // The scheduled direct call is due at T0: look from after it, so only the forward counts.
  await pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'answered' where id = ${callId}::uuid`);
  const eventId = await newEvent();
  t.equal(await queue(eventId, 0), true);
  t.equal(await queue(eventId, 1), false, 'a duplicate webhook is not queued twice');
  t.equal(await nextWake(-1), at(0), 'the new delivery is the next wake-up');

  const [claimed] = await claim(0);
  t.equal(claimed!.attempts, 1);
  t.same(await claim(0), [], 'leased: not claimed twice');
  t.equal(await nextWake(0), at(30), 'the lease ending is a wake-up (a worker that died mid-delivery)');

  t.equal(await fail(claimed!.id, 1), 'pending');
  t.match(await row(claimed!.id), { state: 'pending', attempts: 1, last_status: 503 });
  t.equal(iso((await row(claimed!.id)).next_attempt_at), at(6), 'first retry after base (5 s)');
  t.equal(await nextWake(1), at(6), 'a sleeping worker wakes for the retry');
  t.same(await claim(5), [], 'not due before');
  const [again] = await claim(6);
  t.equal(again!.attempts, 2);
  t.equal(await fail(again!.id, 6), 'pending');
  t.equal(iso((await row(again!.id)).next_attempt_at), at(16), 'then 10 s');
  const [third] = await claim(16);
  t.equal(await one(sql.unsafe`select dialer.record_forward_attempt(${third!.id}, ${at(17)}, 200, null, 8, '5 seconds', '5 minutes', '24 hours') as s`), 'delivered');
  t.match(await row(third!.id), { state: 'delivered', attempts: 3, next_attempt_at: null, last_status: 200 });
  t.equal(await nextWake(17), null, 'nothing left to wake for');
  t.equal(await fail(third!.id, 18), null, 'a delivered row is never reopened');
});

t.test('a target down for an hour loses nothing; a delivery is given up only after give_up_after', async (t) => {
  await reset();
  const id = await queued('end-of-call-report');
  let now = 0;
  let attempts = 0;
  while (now <= 3600) {
    const [claimed] = await claim(now);
    if (claimed) {
      attempts++;
      t.equal(await fail(claimed.id, now), 'pending', `still pending after attempt ${attempts}`);
    }
    now = Math.round((Date.parse((await row(id)).next_attempt_at!) - T0) / 1000);
  }
  t.ok(attempts >= 14 && attempts <= 20, `${attempts} attempts in the first hour, at most 5 minutes apart`);
  const [afterHour] = await claim(now);
  t.equal(await one(sql.unsafe`select dialer.record_forward_attempt(${afterHour!.id}, ${at(now)}, 200, null, 9, '5 seconds', '5 minutes', '24 hours') as s`), 'delivered', 'delivered once the target is back');

  const late = await queued('hang');
  const [first] = await claim(0);
  t.equal(first!.id, late);
  t.equal(await fail(late, 86_399), 'pending', 'a second before the deadline: retried');
  const [last] = await claim(86_399 + 300);
  t.equal(await fail(last!.id, 86_399 + 300), 'failed', 'past give_up_after: failed for good');
  t.match(await row(late), { state: 'failed', next_attempt_at: null });
  t.equal(await one(sql.unsafe`select state from dialer.forward_deliveries where id = ${late}`), 'failed');
});

t.test("forward_url_of: the campaign's URL, else the tenant's", async (t) => {
  const otherTenant = await insertTenant(pool);
  const campaignId = await insertCampaign(pool, otherTenant);
  const contact = await insertContact(pool, otherTenant, '+15550002222');
  const campaignCall: string = await one(sql.unsafe`
    insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, assistant_id, phone_number_id, due_at)
    values (${otherTenant}::uuid, ${campaignId}::uuid, ${contact}::uuid, '+15550002222', 'a', 'p', ${at(0)}) returning id`);
  const directCall = await insertDirectCall(pool, otherTenant, contact, '+15550002222', new Date(T0));
  const urlOf = (call: string | null) => one(sql.unsafe`select dialer.forward_url_of(${otherTenant}::uuid, ${call}::uuid) as u`);
  t.equal(await urlOf(campaignCall), null, 'neither set');
  await pool.query(sql.unsafe`update dialer.tenants set forward_url = 'https://tenant.example/vapi' where id = ${otherTenant}::uuid`);
  t.equal(await urlOf(campaignCall), 'https://tenant.example/vapi');
  await pool.query(sql.unsafe`update dialer.campaigns set forward_url = 'https://campaign.example/vapi' where id = ${campaignId}::uuid`);
  t.equal(await urlOf(campaignCall), 'https://campaign.example/vapi');
  t.equal(await urlOf(directCall), 'https://tenant.example/vapi', 'direct calls: the tenant');
  t.equal(await urlOf(null), 'https://tenant.example/vapi', 'no call: the tenant');
  t.equal(await one(sql.unsafe`select dialer.forward_url_of(${tenantId}::uuid, ${campaignCall}::uuid) as u`), null, "another tenant's call says nothing");
});
