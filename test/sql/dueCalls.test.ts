// due_calls: every rule of the gate, each with a call that is due except for exactly that rule.
// The base scenario (fixtures.scenario) is due at AT, a Wednesday 15:00 UTC.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures, nextPhone } from './fixtures.js';

t.test('due_calls', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  type Over = Parameters<typeof f.scenario>[0];
  const isDue = async (over: Over, at = AT) => {
    const s = await f.scenario(over);
    return (await f.dueIds(s.tenantId, at)).includes(s.callId);
  };

  await t.test('the base scenario is due, and only scheduled calls with due_at <= at are', async (t) => {
    t.equal(await isDue({}), true);
    t.equal(await isDue({ call: { due_at: '2026-06-10T15:00:01Z' } }), false, 'due a second later');
    t.equal(await isDue({ call: { status: 'cancelled' } }), false, 'cancelled');
    t.equal(await isDue({ call: { status: 'dialing' } }), false, 'already claimed');
  });

  await t.test('campaign status', async (t) => {
    for (const status of ['draft', 'paused', 'stopped', 'completed']) {
      t.equal(await isDue({ campaign: { status } }), false, status);
    }
    t.equal(await isDue({ campaign: { deleted_at: '2026-06-01T00:00:00Z' } }), false, 'deleted');
  });

  await t.test('start, end and blackout dates are local dates in the campaign zone', async (t) => {
    // AT is 03:00 on Thursday 2026-06-11 in Auckland (+12). The contact is in UTC (15:00, within hours).
    const auckland = (campaign: Record<string, unknown>) => ({ campaign: { time_zone: 'Pacific/Auckland', ...campaign }, contact: { time_zone: 'UTC' } });
    t.equal(await isDue(auckland({ starts_on: '2026-06-11' })), true, 'starts today (local)');
    t.equal(await isDue(auckland({ starts_on: '2026-06-12' })), false, 'starts tomorrow (local)');
    t.equal(await isDue(auckland({ ends_on: '2026-06-11' })), true, 'ends today (local)');
    t.equal(await isDue(auckland({ ends_on: '2026-06-10' })), false, 'ended yesterday (local), though it is still the 10th in UTC');
    t.equal(await isDue(auckland({ blackout_dates: ['2026-06-10'] })), true, 'the UTC date is blacked out, not the local one');
    t.equal(await isDue(auckland({ blackout_dates: ['2026-06-11'] })), false, 'local date blacked out');
  });

  await t.test('a date rule applies to the day the window opened on', async (t) => {
    // Tuesday 22:00–02:00 UTC window; AT2 is Wednesday 01:00 UTC, inside Tuesday's window.
    const at = '2026-06-10T01:00:00Z';
    const night = { window_start: '22:00', window_end: '02:00', days: [2] };
    const hours = { tenant: { contact_hours_start: '00:00', contact_hours_end: '00:00', disabled_rules: ['us-federal.tcpa'] } };
    t.equal(await isDue({ ...hours, campaign: { ...night, ends_on: '2026-06-09' }, call: { due_at: at } }, at), true, 'ends Tuesday');
    t.equal(await isDue({ ...hours, campaign: { ...night, blackout_dates: ['2026-06-09'] }, call: { due_at: at } }, at), false, 'Tuesday blacked out');
  });

  await t.test('campaign window and days', async (t) => {
    t.equal(await isDue({ campaign: { window_start: '09:00', window_end: '15:00' } }), false, 'window ends at 15:00');
    t.equal(await isDue({ campaign: { window_start: '15:00', window_end: '16:00' } }), true, 'window opens at 15:00');
    t.equal(await isDue({ campaign: { days: [1, 2, 4, 5] } }), false, 'not on Wednesdays');
  });

  await t.test('attempts beyond max_attempts are not dialed', async (t) => {
    t.equal(await isDue({ campaign: { max_attempts: 2 }, call: { attempt: 2 } }), true);
    t.equal(await isDue({ campaign: { max_attempts: 2 }, call: { attempt: 3 } }), false);
  });

  await t.test('a recurring campaign dials a call only in its own occurrence', async (t) => {
    t.equal(await isDue({ campaign: { frequency: 'daily' }, call: { occurrence: '2026-06-10' } }), true);
    t.equal(await isDue({ campaign: { frequency: 'daily' }, call: { occurrence: '2026-06-09' } }), false, "yesterday's call");
    t.equal(await isDue({ campaign: { frequency: 'weekly' }, call: { occurrence: '2026-W24' } }), true);
    t.equal(await isDue({ campaign: { frequency: 'weekly' }, call: { occurrence: '2026-W23' } }), false, "last week's call");
  });

  await t.test("the contact's calling hours", async (t) => {
    t.equal(await isDue({ contact: { time_zone: 'Asia/Tokyo' } }), false, '00:00 in Tokyo');
    t.equal(await isDue({ contact: { time_zone: 'America/Los_Angeles' } }), true, '08:00 in Los Angeles: hours start');
    t.equal(await isDue({ contact: { time_zone: 'America/Los_Angeles' }, call: { due_at: '2026-06-10T14:00:00Z' } }, '2026-06-10T14:59:59Z'), false, '07:59:59 in Los Angeles');
    const both = { contact: { possible_time_zones: ['America/New_York', 'America/Los_Angeles'] } };
    t.equal(await isDue({ ...both, call: { due_at: '2026-06-10T12:00:00Z' } }, '2026-06-10T12:30:00Z'), false, 'open in New York, not yet in Los Angeles');
    t.equal(await isDue(both), true, 'open in both');
    t.equal(await isDue({ ...both, contact: { time_zone: 'UTC', possible_time_zones: ['Asia/Tokyo'] } }), true, 'a known zone wins over possible ones');
    t.equal(await isDue({ campaign: { time_zone: 'Asia/Tokyo' } }), false, 'no zone known: the campaign zone (00:00 in Tokyo)');
    t.equal(await isDue({ tenant: { contact_hours_start: '16:00', contact_hours_end: '20:00' } }), false, "the tenant's own hours");
  });

  await t.test('a deleted contact is not called', async (t) => {
    t.equal(await isDue({ contact: { deleted_at: '2026-06-01T00:00:00Z' } }), false);
  });

  await t.test("do-not-call is per tenant", async (t) => {
    const s = await f.scenario();
    await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${s.tenantId}, ${s.phone})`);
    t.same(await f.dueIds(s.tenantId), [], 'on the dnc list');
    const other = await f.scenario();
    const stranger = await f.tenant();
    await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${stranger}, ${other.phone})`);
    t.same(await f.dueIds(other.tenantId), [other.callId], "another tenant's dnc does not apply");
  });

  await t.test('the rolling 24-hour cap counts dials across campaigns and direct calls', async (t) => {
    const s = await f.scenario({ tenant: { max_calls_per_number_per_24h: 2 } });
    const otherCampaign = await f.campaign(s.tenantId);
    await f.call({ tenant_id: s.tenantId, campaign_id: otherCampaign, contact_id: s.contactId, status: 'ended', outcome: 'no_answer',
                   dial_started_at: '2026-06-09T15:00:01Z' });
    t.same(await f.dueIds(s.tenantId), [s.callId], 'one dial in 24 hours: under the cap');
    const direct = await f.call({ tenant_id: s.tenantId, contact_id: s.contactId, status: 'ended', outcome: 'busy', dial_started_at: '2026-06-10T10:00:00Z' });
    t.same(await f.dueIds(s.tenantId), [], 'two dials (another campaign and a direct call): capped');
    t.same(await f.dueIds(s.tenantId, '2026-06-10T15:00:01Z'), [s.callId], 'the first dial leaves the window at 15:00:01');
    await pool.query(sql.unsafe`update dialer.calls set dial_started_at = '2026-06-09T14:59:59Z' where id = ${direct}`);
    t.same(await f.dueIds(s.tenantId), [s.callId], 'a dial 24 hours and a second ago does not count');
  });

  await t.test('never two live calls to one number', async (t) => {
    for (const status of ['dialing', 'queued', 'ringing', 'in_progress']) {
      const s = await f.scenario();
      const otherCampaign = await f.campaign(s.tenantId);
      const live = await f.call({ tenant_id: s.tenantId, campaign_id: otherCampaign, contact_id: s.contactId, status });
      t.same(await f.dueIds(s.tenantId), [], `a ${status} call to the number`);
      await pool.query(sql.unsafe`update dialer.calls set status = 'ended', outcome = 'answered' where id = ${live}`);
      t.same(await f.dueIds(s.tenantId), [s.callId], `due once the ${status} call ended`);
    }
    const s = await f.scenario();
    const stranger = await f.tenant();
    const strangerContact = await f.contact(stranger, { phone: s.phone });
    await f.call({ tenant_id: stranger, contact_id: strangerContact, status: 'ringing' });
    t.same(await f.dueIds(s.tenantId), [s.callId], "another tenant's live call to the same number does not hold it");
  });

  await t.test('direct calls skip campaign rules but keep the contact and number rules', async (t) => {
    const tenantId = await f.tenant();
    const contactId = await f.contact(tenantId, { time_zone: 'UTC' });
    const direct = await f.call({ tenant_id: tenantId, contact_id: contactId });
    t.same(await f.dueIds(tenantId), [direct], 'due');
    const tokyo = await f.contact(tenantId, { time_zone: 'Asia/Tokyo' });
    await f.call({ tenant_id: tenantId, contact_id: tokyo });
    t.same(await f.dueIds(tenantId), [direct], "the Tokyo contact's hours are closed");
    const phone = nextPhone();
    const dnc = await f.contact(tenantId, { phone, time_zone: 'UTC' });
    await f.call({ tenant_id: tenantId, contact_id: dnc });
    await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${tenantId}, ${phone})`);
    t.same(await f.dueIds(tenantId), [direct], 'dnc applies to direct calls');
  });
});
