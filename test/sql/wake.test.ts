// next_wake_at for each kind of pending thing, why_not's reasons, and the admin views.
import t, { type Test } from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures, iso } from './fixtures.js';

t.test('next_wake_at', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const wake = async (at = AT) => iso(await pool.oneFirst(sql.type(z.object({ at: z.string().nullable() }))`select dialer.next_wake_at(${at}) as at`));
  const dueCount = async (at: string) => Number(await pool.oneFirst(sql.unsafe`select count(*) from dialer.due_calls(${at})`));
  const reset = () => pool.query(sql.unsafe`truncate dialer.tenants cascade`);
  /** The wake is exact: nothing is due a second before it, something is due at it. */
  const exact = async (t: Test, expected: string) => {
    t.equal(await wake(), expected);
    t.equal(await dueCount(new Date(Date.parse(expected) - 1000).toISOString()), 0, 'nothing due a second before');
    t.equal(await dueCount(expected), 1, 'due at the wake');
  };

  await t.test('nothing pending: null', async (t) => {
    await reset();
    t.equal(await wake(), null);
    await f.scenario({ call: { status: 'ended', outcome: 'answered' } });
    t.equal(await wake(), null, 'only history');
  });

  await t.test("a scheduled call's due_at (not for paused campaigns)", async (t) => {
    await reset();
    await f.scenario({ call: { due_at: '2026-06-10T16:00:00Z' } });
    await f.scenario({ campaign: { status: 'paused' }, call: { due_at: '2026-06-10T15:30:00Z' } });
    await exact(t, '2026-06-10T16:00:00.000Z');
  });

  await t.test('a campaign window opening for a call already due', async (t) => {
    await reset();
    await f.scenario({ campaign: { window_start: '17:00', window_end: '18:00' } });
    await exact(t, '2026-06-10T17:00:00.000Z');
  });

  await t.test('a campaign start date', async (t) => {
    await reset();
    // Contact hours all day and the federal curfew switched off, so the start date alone holds the call.
    await f.scenario({ campaign: { starts_on: '2026-06-12' }, tenant: { contact_hours_start: '00:00', contact_hours_end: '00:00', disabled_rules: ['us-federal.tcpa'] } });
    await exact(t, '2026-06-12T00:00:00.000Z');
  });

  await t.test("the contact's calling hours opening", async (t) => {
    await reset();
    await f.scenario({ contact: { time_zone: 'Asia/Tokyo' } });
    await exact(t, '2026-06-10T23:00:00.000Z');
  });

  await t.test('contact hours opening in every possible zone', async (t) => {
    await reset();
    // 12:30Z: 08:30 in New York, 05:30 in Los Angeles; both open at 15:00Z (08:00 in Los Angeles).
    await f.scenario({ contact: { possible_time_zones: ['America/New_York', 'America/Los_Angeles'] }, call: { due_at: '2026-06-10T12:00:00Z' } });
    t.equal(await wake('2026-06-10T12:30:00Z'), '2026-06-10T15:00:00.000Z');
  });

  await t.test('the 24-hour cap expiring', async (t) => {
    await reset();
    const s = await f.scenario({ tenant: { max_calls_per_number_per_24h: 1 } });
    await f.call({ tenant_id: s.tenantId, contact_id: s.contactId, status: 'ended', outcome: 'busy', dial_started_at: '2026-06-10T10:00:00Z' });
    t.equal(await wake(), '2026-06-11T10:00:00.000Z');
    t.equal(await dueCount('2026-06-11T09:59:59Z'), 0);
    t.equal(await dueCount('2026-06-11T10:00:00Z'), 1);
  });

  await t.test('a lease expiring', async (t) => {
    await reset();
    await f.scenario({ call: { status: 'dialing', lease_expires_at: '2026-06-10T15:05:00Z' } });
    t.equal(await wake(), '2026-06-10T15:05:00.000Z');
  });

  await t.test("a call's VAPI lookup: when it falls due, and at once when it is due and not yet made", async (t) => {
    await reset();
    await f.scenario({ call: { status: 'queued', vapi_call_id: 'v-later', check_at: '2026-06-10T15:05:00Z' } });
    t.equal(await wake(), '2026-06-10T15:05:00.000Z', 'falling due');
    // Due a second ago: a pass that did not reconcile (woken by another call's end), or that
    // reconciled just before, must not lose it.
    await f.scenario({ call: { status: 'in_progress', vapi_call_id: 'v-due', check_at: '2026-06-10T14:59:59Z' } });
    t.equal(await wake(), iso(AT), 'due already: now');
    await pool.query(sql.unsafe`update dialer.calls set check_at = null where vapi_call_id = 'v-due'`);
    await f.scenario({ call: { status: 'dialing', check_at: '2026-06-10T14:59:59Z', lease_expires_at: '2026-06-10T15:10:00Z' } });
    t.equal(await wake(), '2026-06-10T15:05:00.000Z', 'not without a VAPI id (calls_to_reconcile would not take it)');
  });

  await t.test('held only by concurrency: nothing time-based to wait for', async (t) => {
    await reset();
    const s = await f.scenario({ campaign: { max_concurrency: 1 } });
    const other = await f.contact(s.tenantId);
    await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: other, status: 'in_progress' });
    t.equal(await wake(), null);
  });

  await t.test('the next occurrence of a recurring campaign', async (t) => {
    await reset();
    const tenantId = await f.tenant();
    const daily = { frequency: 'daily', time_zone: 'America/New_York', window_start: '09:00', window_end: '17:00', days: [1, 2, 3, 4, 5] };
    const campaignId = await f.campaign(tenantId, daily);
    await f.member(campaignId, await f.contact(tenantId));
    t.equal(await wake('2026-06-10T12:00:00Z'), '2026-06-10T13:00:00.000Z', 'Wednesday 08:00 EDT → 09:00');
    t.equal(await wake('2026-06-10T14:00:00Z'), '2026-06-11T13:00:00.000Z', 'during Wednesday → Thursday 09:00');
    t.equal(await wake('2026-06-12T22:00:00Z'), '2026-06-15T13:00:00.000Z', 'Friday evening → Monday');
    await pool.query(sql.unsafe`update dialer.campaigns set frequency = 'weekly', days = '{1}' where id = ${campaignId}`);
    t.equal(await wake('2026-06-10T14:00:00Z'), '2026-06-15T13:00:00.000Z', 'weekly on Mondays, from a Wednesday');
    t.equal(await wake('2026-06-15T12:00:00Z'), '2026-06-15T13:00:00.000Z', 'weekly, Monday before the window');
  });
});

t.test('why_not', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const why = async (callId: string, at = AT) => {
    const row = await pool.maybeOne(sql.unsafe`select reason, until from dialer.why_not(${at}) where call_id = ${callId}`);
    return row ? { reason: row.reason, until: iso(row.until) } : null;
  };

  t.equal(await why((await f.scenario()).callId), null, 'a call being dialed is not listed');
  t.same(await why((await f.scenario({ campaign: { status: 'paused' } })).callId), { reason: 'campaign paused', until: null });
  t.same(await why((await f.scenario({ campaign: { starts_on: '2026-06-12' } })).callId), { reason: 'before start date', until: '2026-06-12T00:00:00.000Z' });
  t.same(await why((await f.scenario({ campaign: { ends_on: '2026-06-09' } })).callId), { reason: 'after end date', until: null });
  t.same(await why((await f.scenario({ campaign: { blackout_dates: ['2026-06-10', '2026-06-11'] } })).callId), { reason: 'blackout date', until: '2026-06-12T00:00:00.000Z' });
  t.same(await why((await f.scenario({ campaign: { window_start: '09:00', window_end: '12:00', days: [1, 2, 3, 4, 5] } })).callId),
    { reason: 'window closed', until: '2026-06-11T09:00:00.000Z' });
  t.same(await why((await f.scenario({ contact: { time_zone: 'Asia/Tokyo' } })).callId), { reason: 'contact hours closed', until: '2026-06-10T23:00:00.000Z' });
  const dnc = await f.scenario();
  await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${dnc.tenantId}, ${dnc.phone})`);
  t.same(await why(dnc.callId), { reason: 'do not call', until: null });
  const capped = await f.scenario({ tenant: { max_calls_per_number_per_24h: 1 } });
  await f.call({ tenant_id: capped.tenantId, contact_id: capped.contactId, status: 'ended', outcome: 'busy', dial_started_at: '2026-06-10T10:00:00Z' });
  t.same(await why(capped.callId), { reason: '24-hour cap', until: '2026-06-11T10:00:00.000Z' });
  const live = await f.scenario();
  await f.call({ tenant_id: live.tenantId, contact_id: live.contactId, status: 'ringing' });
  t.same(await why(live.callId), { reason: 'live call to the same number', until: null });
  const full = await f.scenario({ campaign: { max_concurrency: 1 } });
  await f.call({ tenant_id: full.tenantId, campaign_id: full.campaignId, contact_id: await f.contact(full.tenantId), status: 'queued' });
  t.same(await why(full.callId), { reason: 'campaign concurrency full', until: null });
  const tenantFull = await f.scenario({ tenant: { concurrency_limit: 1 } });
  await f.call({ tenant_id: tenantFull.tenantId, contact_id: await f.contact(tenantFull.tenantId), status: 'queued' });
  t.same(await why(tenantFull.callId), { reason: 'tenant concurrency full', until: null });
  t.same(await why((await f.scenario({ call: { attempt: 2, due_at: '2026-06-10T16:00:00Z' } })).callId), { reason: 'retry not due', until: '2026-06-10T16:00:00.000Z' });
  t.same(await why((await f.scenario({ call: { due_at: '2026-06-10T16:00:00Z' } })).callId), { reason: 'not due', until: '2026-06-10T16:00:00.000Z' });
  t.same(await why((await f.scenario({ campaign: { max_attempts: 1 }, call: { attempt: 2 } })).callId), { reason: 'over max attempts', until: null });
  t.same(await why((await f.scenario({ campaign: { frequency: 'daily' }, call: { occurrence: '2026-06-09' } })).callId), { reason: 'occurrence over', until: null });
  t.same(await why((await f.scenario({ contact: { deleted_at: '2026-06-01T00:00:00Z' } })).callId), { reason: 'contact deleted', until: null });
});

t.test('admin views', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  // The views read now(): an all-day campaign and all-day contact hours keep the figures independent of it.
  const s = await f.scenario({
    tenant: { contact_hours_start: '00:00', contact_hours_end: '00:00', disabled_rules: ['us-federal.tcpa'] },
    call: { status: 'ended', outcome: 'answered', cost: 0.25, started_at: AT, ended_at: '2026-06-10T15:01:30Z' },
  });
  const other = await f.contact(s.tenantId, { name: 'Bo' });
  await f.member(s.campaignId, other);
  await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: other, status: 'ended', outcome: 'busy', cost: 0.5 });
  await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: other, attempt: 2, due_at: '2099-01-01T00:00:00Z' });

  const progress = await pool.one(sql.unsafe`select * from dialer.campaign_progress where campaign_id = ${s.campaignId}`);
  t.match(progress, { contacts: 2, pending: 1, due_now: 0, waiting_for_retry: 1, held_by_concurrency: 0, in_flight: 0, answered: 1, busy: 1, no_answer: 0, total_cost: 0.75 });
  const history = await pool.one(sql.unsafe`select * from dialer.call_history where call_id = ${s.callId}`);
  t.match(history, { campaign_name: 'Campaign', status: 'ended', outcome: 'answered', duration_seconds: 90, cost: 0.25 });
  const held = await pool.any(sql.unsafe`select reason from dialer.why_not_now where tenant_id = ${s.tenantId}`);
  t.same(held.map((row) => row.reason), ['retry not due']);
  const status = await pool.one(sql.unsafe`select * from dialer.scheduler_status where tenant_id = ${s.tenantId}`);
  t.match(status, { due_now: 0, in_flight: 0, concurrency_limit: 10, next_wake_at: '2099-01-01T00:00:00.000Z' });
});
