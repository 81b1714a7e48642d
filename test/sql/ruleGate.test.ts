// The calling rules inside the due gate: per-person caps across numbers and campaigns (by
// subject), the waiting reason naming the rule and when it lifts, what the claim records, and
// the plan: every rule of _call_gate stays an index probe per call (EXPLAIN of the claim's own
// statements, read through auto_explain), never a sequential scan of dnc, calls or the rule tables.
import t from 'tap';
import pg from 'pg';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { fixtures, iso } from './fixtures.js';

const AT = '2026-06-10T15:00:00.000Z'; // Wednesday 11:00 in Miami
const hoursAllDay = { contact_hours_start: '00:00', contact_hours_end: '00:00' };
const newYork = { time_zone: 'America/New_York' };

t.test('rules in the gate', async (t) => {
  const { pool, url } = await createTestDatabase(t);
  const f = fixtures(pool);

  await t.test('3 per 24 h per person per subject: every number of the person, every campaign with the subject', async (t) => {
    const tenantId = await f.tenant(hoursAllDay);
    const loans = await f.campaign(tenantId, { ...newYork, subject: 'loans' });
    const moreLoans = await f.campaign(tenantId, { ...newYork, subject: 'loans' });
    const insurance = await f.campaign(tenantId, { ...newYork, subject: 'insurance' });
    const home = await f.contact(tenantId, { phone: '+13055550201', person_key: 'person-1' });
    const mobile = await f.contact(tenantId, { phone: '+13055550202', person_key: 'person-1' });
    const stranger = await f.contact(tenantId, { phone: '+13055550203' });
    // Three calls to the person in the last 24 h, on two numbers and two campaigns of the subject.
    const dialed = ['2026-06-09T17:00:00Z', '2026-06-10T10:00:00Z', '2026-06-10T14:00:00Z'];
    for (const [i, at] of dialed.entries()) {
      await f.call({ tenant_id: tenantId, campaign_id: i === 2 ? moreLoans : loans, contact_id: i === 0 ? mobile : home,
                     status: 'ended', outcome: 'answered', attempt: i + 1, claimed_at: at, dial_started_at: at, due_at: at,
                     cap_subject: 'loans', cap_person: 'person-1' });
    }
    const held = await f.call({ tenant_id: tenantId, campaign_id: moreLoans, contact_id: mobile, attempt: 2 });
    const otherSubject = await f.call({ tenant_id: tenantId, campaign_id: insurance, contact_id: mobile });
    const otherPerson = await f.call({ tenant_id: tenantId, campaign_id: loans, contact_id: stranger });
    t.same(await f.dueIds(tenantId, AT), [otherSubject, otherPerson].sort(), 'the fourth call on the subject waits');

    const why = await pool.one(sql.unsafe`select reason, until from dialer.why_not(${AT}) where call_id = ${held}`);
    t.equal(why.reason, 'us-fl.501.616: 3 calls per 24 h per person on the subject; next 2026-06-10 13:00 America/New_York');
    t.equal(iso(why.until), '2026-06-10T17:00:00.000Z', 'when the oldest of the three leaves the 24 hours');
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.next_wake_at(${AT})`)), '2026-06-10T17:00:00.000Z', 'the worker wakes then');
    t.same(await f.dueIds(tenantId, '2026-06-10T17:00:00Z'), [held, otherSubject, otherPerson].sort());

    // A claim counts before its dial starts: another number of the person waits meanwhile.
    const fresh = await f.contact(tenantId, { phone: '+13055550204', person_key: 'person-2' });
    const first = await f.call({ tenant_id: tenantId, campaign_id: loans, contact_id: fresh, status: 'dialing',
                                 claimed_at: '2026-06-10T10:00:00Z', cap_subject: 'loans', cap_person: 'person-2' });
    for (const [i, at] of ['2026-06-10T11:00:00Z', '2026-06-10T12:00:00Z'].entries()) {
      await f.call({ tenant_id: tenantId, campaign_id: moreLoans, contact_id: fresh, status: 'ended', outcome: 'answered', attempt: i + 1,
                     claimed_at: at, dial_started_at: at, cap_subject: 'loans', cap_person: 'person-2' });
    }
    const sibling = await f.contact(tenantId, { phone: '+13055550205', person_key: 'person-2' });
    const waiting = await f.call({ tenant_id: tenantId, campaign_id: loans, contact_id: sibling });
    t.notOk((await f.dueIds(tenantId, AT)).includes(waiting), 'two dials and one claim not yet started: the cap is reached');
    t.ok(first);

    // The person's key defaults to the contact: a number of its own is not capped by the others.
    await pool.query(sql.unsafe`update dialer.contacts set person_key = null where id = ${mobile}`);
    t.same(await f.dueIds(tenantId, AT), [held, otherSubject, otherPerson].sort(), 'without the shared key, another person');
  });

  await t.test('the waiting reason names the rule and when it lifts', async (t) => {
    const tenantId = await f.tenant(hoursAllDay);
    const { callId } = await f.scenario({ tenantId, campaign: newYork, contact: { phone: '+13055550301' } });
    const at = '2026-12-02T01:00:00Z'; // Tuesday 20:00 EST
    const why = await pool.one(sql.unsafe`select reason, until from dialer.why_not(${at}) where call_id = ${callId}`);
    t.equal(why.reason, 'us-fl.501.616: after 20:00 local; next 2026-12-02 08:00 America/New_York');
    t.equal(iso(why.until), '2026-12-02T13:00:00.000Z');
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.next_wake_at(${at})`)), '2026-12-02T13:00:00.000Z');
    const sunday = await pool.oneFirst(sql.unsafe`
      select reason from dialer.why_not('2026-06-14T17:00:00Z')
      where call_id = ${(await f.scenario({ tenantId, campaign: { time_zone: 'America/Chicago' }, contact: { phone: '+16015550301' } })).callId}`);
    t.equal(sunday, 'us-ms.77-3-723: no calls on Sunday; next 2026-06-15 08:00 America/Chicago');
    const holiday = await pool.oneFirst(sql.unsafe`
      select reason from dialer.why_not('2026-12-25T17:00:00Z')
      where call_id = ${(await f.scenario({ tenantId, campaign: newYork, contact: { phone: '+14015550301' } })).callId}`);
    t.equal(holiday, 'us-ri.5-61: holiday (Christmas Day); next 2026-12-26 10:00 America/New_York');
  });

  await t.test('an emergency blackout: the calls wait, the worker wakes when it ends', async (t) => {
    await pool.query(sql.unsafe`truncate dialer.tenants cascade`);
    const tenantId = await f.tenant(hoursAllDay);
    const { callId } = await f.scenario({ tenantId, campaign: { time_zone: 'America/Chicago' }, contact: { phone: '+12255550701' } });
    const id = await pool.oneFirst(sql.unsafe`
      insert into dialer.blackouts (tenant_id, jurisdiction, starts_at, ends_at, reason)
      values (${tenantId}, 'US-LA', '2026-06-10T12:00:00Z', '2026-06-10T18:30:00Z', 'EOC') returning id`);
    t.same(await f.dueIds(tenantId, AT), []);
    const why = await pool.one(sql.unsafe`select reason, until from dialer.why_not(${AT}) where call_id = ${callId}`);
    t.equal(why.reason, `blackout:${id}: emergency blackout in US-LA (EOC); next 2026-06-10 13:30 America/Chicago`);
    t.equal(iso(why.until), '2026-06-10T18:30:00.000Z');
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.next_wake_at(${AT})`)), '2026-06-10T18:30:00.000Z');
    t.same(await f.dueIds(tenantId, '2026-06-10T18:30:00Z'), [callId]);
  });

  await t.test("a contact known only by its state is checked in its state's zones, not the campaign's", async (t) => {
    await pool.query(sql.unsafe`truncate dialer.tenants cascade`);
    const tenantId = await f.tenant(hoursAllDay);
    const { callId, contactId } = await f.scenario({ tenantId, campaign: { time_zone: 'Europe/London' }, contact: { phone: '+15555550801', state: 'US-FL' } });
    t.same(await pool.oneFirst(sql.unsafe`select region_zones from dialer.contacts where id = ${contactId}`), ['America/Chicago', 'America/New_York']);
    t.same(await f.dueIds(tenantId, '2026-06-11T00:30:00Z'), [], '20:30 in New York (01:30 in London): Florida forbids');
    t.same(await f.dueIds(tenantId, '2026-06-10T15:00:00Z'), [callId]);
  });

  await t.test('a campaign switches a rule off, or makes its calls informational', async (t) => {
    const tenantId = await f.tenant(hoursAllDay);
    const at = '2026-06-11T00:30:00Z'; // 20:30 EDT
    const plain = await f.scenario({ tenantId, campaign: newYork, contact: { phone: '+13055550401' } });
    const off = await f.scenario({ tenantId, campaign: { ...newYork, disabled_rules: ['us-fl.501.616'] }, contact: { phone: '+13055550402' } });
    const info = await f.scenario({ tenantId, campaign: { ...newYork, call_type: 'informational' }, contact: { phone: '+13055550403' } });
    t.same(await f.dueIds(tenantId, at), [off.callId, info.callId].sort());
    t.notOk((await f.dueIds(tenantId, '2026-06-11T01:00:00Z')).includes(off.callId), 'the federal curfew still holds it at 21:00');
    t.ok((await f.dueIds(tenantId, '2026-06-11T01:00:00Z')).includes(info.callId), 'informational calls: no curfew rule');
    t.ok(plain.callId);
  });

  await t.test('the claim records the rule set and the cap keys', async (t) => {
    await pool.query(sql.unsafe`truncate dialer.tenants cascade`);
    const tenantId = await f.tenant(hoursAllDay);
    const { callId, contactId } = await f.scenario({ tenantId, campaign: { ...newYork, subject: 'loans' }, contact: { phone: '+13055550501' } });
    const claimed = await pool.anyFirst(sql.unsafe`select call_id from dialer.claim_calls(${AT}, 10)`);
    t.same(claimed, [callId]);
    const row = await f.callRow(callId);
    t.same([row.rule_set, row.cap_subject, row.cap_person], [1, 'loans', contactId]);
  });

  await t.test('one call per person per claim', async (t) => {
    await pool.query(sql.unsafe`truncate dialer.tenants cascade`);
    const tenantId = await f.tenant(hoursAllDay);
    const a = await f.scenario({ tenantId, campaign: newYork, contact: { phone: '+13055550601', person_key: 'p' } });
    const b = await f.scenario({ tenantId, campaign: newYork, contact: { phone: '+13055550602', person_key: 'p' } });
    const c = await f.scenario({ tenantId, campaign: newYork, contact: { phone: '+13055550603' } });
    const claimed = [...(await pool.anyFirst(sql.unsafe`select call_id from dialer.claim_calls(${AT}, 10)`))];
    t.equal(claimed.length, 2);
    t.ok(claimed.includes(c.callId));
    t.equal(claimed.filter((id) => id === a.callId || id === b.callId).length, 1, "one of the person's two numbers");
  });

  await t.test('EXPLAIN: no sequential scan of dnc, calls or the rule tables in the claim', async (t) => {
    await pool.query(sql.unsafe`truncate dialer.tenants cascade`);
    // Enough rows that a scan would be the planner's honest choice if the rules were joins.
    await pool.query(sql.unsafe`
      insert into dialer.tenants (name, contact_hours_start, contact_hours_end) select 'T' || i, '00:00', '00:00' from generate_series(1, 5) i`);
    await pool.query(sql.unsafe`
      insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, days, status, subject, max_concurrency, max_attempts)
      select id, 'C', 'a', 'p', 'America/New_York', '00:00', '00:00', '{1,2,3,4,5,6,7}', 'active', 'loans', 50, 10 from dialer.tenants`);
    await pool.query(sql.unsafe`
      insert into dialer.contacts (tenant_id, phone, person_key)
      select tenant.id, '+1305' || lpad((tenant_number * 1000 + i)::text, 7, '0'), 'p' || (i % 700)
      from (select id, row_number() over (order by id) as tenant_number from dialer.tenants) tenant cross join generate_series(1, 1000) i`);
    await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) select tenant_id, phone from dialer.contacts where random() < 0.2`);
    await pool.query(sql.unsafe`
      insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, status, outcome, due_at, claimed_at, dial_started_at, attempt, cap_subject, cap_person)
      select contact.tenant_id, campaign.id, contact.id, contact.phone, 'ended', 'answered', ${AT}::timestamptz - interval '2 days',
             ${AT}::timestamptz - (n * 10 || ' hours')::interval, ${AT}::timestamptz - (n * 10 || ' hours')::interval, n, 'loans', contact.person_key
      from dialer.contacts contact join dialer.campaigns campaign using (tenant_id) cross join generate_series(1, 4) n`);
    await pool.query(sql.unsafe`
      insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, due_at, attempt)
      select contact.tenant_id, campaign.id, contact.id, contact.phone, ${AT}, 5
      from dialer.contacts contact join dialer.campaigns campaign using (tenant_id)`);
    await pool.query(sql.unsafe`
      insert into dialer.blackouts (tenant_id, jurisdiction, starts_at, ends_at, reason)
      select id, 'US-LA', timestamptz '2025-01-01' + (n || ' days')::interval, timestamptz '2025-01-02' + (n || ' days')::interval, 'past'
      from dialer.tenants cross join generate_series(1, 200) n`);
    await pool.query(sql.unsafe`analyze`);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const plans: string[] = [];
    client.on('notice', (notice) => plans.push(notice.message ?? ''));
    try {
      await client.query(`load 'auto_explain'`);
      await client.query(`set auto_explain.log_min_duration = 0`);
      await client.query(`set auto_explain.log_nested_statements = on`);
      await client.query(`set client_min_messages = log`);
      await client.query('begin');
      const claimed = await client.query(`select * from dialer.claim_calls($1, 100)`, [AT]);
      await client.query('rollback');
      t.ok(claimed.rowCount && claimed.rowCount > 0, `the claim took ${claimed.rowCount} calls`);
    } finally {
      await client.end();
    }
    const choice = plans.find((plan) => plan.includes('_call_gate') || plan.includes('kept_sources') || plan.includes('dnc_pkey'));
    const text = plans.join('\n');
    t.ok(choice, 'the choice query was explained');
    const scans = text.match(/Seq Scan on (dnc|calls|rules|rule_sets|holiday_rules|blackouts)\b.*/g) ?? [];
    t.same(scans, [], 'no sequential scan of those tables');
    t.match(text, /dnc_pkey/, 'do-not-call: an index probe');
    t.match(text, /rules_jurisdiction_idx|rules_pkey/, 'rules: an index probe');
    t.match(text, /calls_person_claimed_idx/, 'per-person cap: an index probe');
  });
});
