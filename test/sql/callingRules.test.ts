// Calling rules by jurisdiction (rule set 1): every pack's edges through calling_allowed (the last
// allowed minute and the first forbidden one, DST days, Sundays, holidays and observed days,
// effective dates, strictest-wins, switched-off rules, call types, blackouts), holidays() against
// the known US federal dates 2026–2030, and per-person caps across numbers and campaigns through
// due_calls / why_not / claim_calls.
import t, { type Test } from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { fixtures, iso } from './fixtures.js';
import { postgresErrorOf } from '../../server/http/errors.js';

// Numbers in real area codes (exchange 555, made up): the area code decides state and zone.
const FL = '+13055550101'; // Miami, America/New_York
const NY = '+12125550101';
const MS = '+16015550101'; // America/Chicago
const RI = '+14015550101';
const UT = '+18015550101'; // America/Denver
const TX = '+12145550101'; // America/Chicago
const ON = '+14165550101'; // Toronto
const BC = '+16045550101'; // America/Vancouver
const ME = '+12075550101';
const MD = '+13015550101';
const PA = '+12155550101';
const LA = '+12255550101'; // America/Chicago

t.test('calling rules', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const tenantId = await f.tenant();

  type Verdict = { allowed: boolean; rule: string | null; next: string | null };
  const check = async (phone: string, at: string, place: { state?: string; postal?: string; tenant?: string } = {}): Promise<Verdict> => {
    const row = await pool.one(sql.unsafe`
      select allowed, rule, next_allowed_at from dialer.calling_allowed(
        ${place.tenant ?? tenantId}, ${phone}, ${at}, ${place.state ?? null}, ${place.postal ?? null})`);
    return { allowed: row.allowed as boolean, rule: row.rule as string | null, next: iso(row.next_allowed_at) };
  };
  const allowedAt = async (t: Test, phone: string, at: string, place = {}) =>
    t.same(await check(phone, at, place), { allowed: true, rule: null, next: iso(at) }, `allowed at ${at}`);
  const forbiddenAt = async (t: Test, phone: string, at: string, rule: string, next: string | null, place = {}) =>
    t.same(await check(phone, at, place), { allowed: false, rule, next: next && iso(next) }, `${rule} at ${at}`);

  await t.test('contacts get the jurisdictions of their area code, state and postal code', async (t) => {
    const jurisdictions = async (phone: string, state: string | null, postal: string | null) =>
      pool.oneFirst(sql.unsafe`select dialer.contact_jurisdictions(${phone}, ${state}, ${postal})`);
    t.same(await jurisdictions(FL, null, null), ['US', 'US-FL']);
    t.same(await jurisdictions(NY, 'fl', '44101'), ['US', 'US-FL', 'US-NY', 'US-OH'], 'union of all three');
    t.same(await jurisdictions('+19025550101', null, null), ['CA', 'CA-NS', 'CA-PE'], '902 is two provinces');
    t.same(await jurisdictions('+15555550101', 'ON', 'V6B 1A1'), ['CA', 'CA-BC', 'CA-ON'], 'no area code; state and postal');
    t.same(await jurisdictions('+15555550101', null, null), [], 'nothing known');
    const contactId = await f.contact(tenantId, { phone: '+13055550999', state: 'US-OH' });
    t.same(await pool.oneFirst(sql.unsafe`select jurisdictions from dialer.contacts where id = ${contactId}`), ['US', 'US-FL', 'US-OH'],
      'the trigger fills contacts.jurisdictions');
    await pool.query(sql.unsafe`update dialer.contacts set state = null, postal_code = '84101' where id = ${contactId}`);
    t.same(await pool.oneFirst(sql.unsafe`select jurisdictions from dialer.contacts where id = ${contactId}`), ['US', 'US-FL', 'US-UT'],
      'and keeps it in step');
  });

  await t.test('US federal: 08:00–21:00 local', async (t) => {
    await allowedAt(t, NY, '2026-06-11T00:59:00Z'); // 20:59 EDT
    await forbiddenAt(t, NY, '2026-06-11T01:00:00Z', 'us-federal.tcpa', '2026-06-11T12:00:00Z');
    await forbiddenAt(t, NY, '2026-06-10T11:59:00Z', 'us-federal.tcpa', '2026-06-10T12:00:00Z');
    await allowedAt(t, NY, '2026-06-10T12:00:00Z');
    // No candidate at all: the federal pack in every US zone (the last to reach 08:00 is Hawaii's).
    await forbiddenAt(t, '+15555550101', '2026-06-10T15:00:00Z', 'us-federal.tcpa', '2026-06-10T18:00:00Z');
  });

  await t.test('Florida: 08:00–20:00, across both DST changes', async (t) => {
    await allowedAt(t, FL, '2026-06-10T23:59:00Z'); // 19:59 EDT
    await forbiddenAt(t, FL, '2026-06-11T00:00:00Z', 'us-fl.501.616', '2026-06-11T12:00:00Z');
    // Spring forward (Sunday 2026-03-08): Saturday 20:00 EST waits until 08:00 EDT.
    await forbiddenAt(t, FL, '2026-03-08T01:00:00Z', 'us-fl.501.616', '2026-03-08T12:00:00Z');
    await forbiddenAt(t, FL, '2026-03-08T11:59:00Z', 'us-federal.tcpa', '2026-03-08T12:00:00Z');
    await allowedAt(t, FL, '2026-03-08T23:59:00Z'); // 19:59 EDT
    // Fall back (Sunday 2026-11-01): Saturday 20:00 EDT waits until 08:00 EST.
    await forbiddenAt(t, FL, '2026-11-01T00:00:00Z', 'us-fl.501.616', '2026-11-01T13:00:00Z');
    await allowedAt(t, FL, '2026-11-02T00:59:00Z'); // 19:59 EST
    await forbiddenAt(t, FL, '2026-11-02T01:00:00Z', 'us-fl.501.616', '2026-11-02T13:00:00Z');
  });

  await t.test('Mississippi: no Sundays', async (t) => {
    await allowedAt(t, MS, '2026-06-14T00:59:00Z'); // Saturday 19:59 CDT
    await forbiddenAt(t, MS, '2026-06-14T01:00:00Z', 'us-ms.77-3-723', '2026-06-15T13:00:00Z');
    await forbiddenAt(t, MS, '2026-06-14T17:00:00Z', 'us-ms.77-3-723', '2026-06-15T13:00:00Z'); // Sunday noon
  });

  await t.test('Rhode Island: weekdays 09:00–18:00, Saturday 10:00–17:00, weekday holidays only', async (t) => {
    await allowedAt(t, RI, '2026-06-10T21:59:00Z');
    await forbiddenAt(t, RI, '2026-06-10T22:00:00Z', 'us-ri.5-61', '2026-06-11T13:00:00Z');
    await forbiddenAt(t, RI, '2026-06-13T13:59:00Z', 'us-ri.5-61', '2026-06-13T14:00:00Z'); // Saturday 09:59
    await allowedAt(t, RI, '2026-06-13T14:00:00Z');
    await allowedAt(t, RI, '2026-06-13T20:59:00Z');
    await forbiddenAt(t, RI, '2026-06-13T21:00:00Z', 'us-ri.5-61', '2026-06-15T13:00:00Z'); // then Sunday: Monday 09:00
    await forbiddenAt(t, RI, '2026-12-25T17:00:00Z', 'us-ri.5-61', '2026-12-26T15:00:00Z'); // Christmas (Fri) → Sat 10:00 EST
    await allowedAt(t, RI, '2030-05-04T15:00:00Z'); // RI Independence Day on a Saturday
    await forbiddenAt(t, RI, '2027-07-05T16:00:00Z', 'us-ri.5-61', '2027-07-06T13:00:00Z'); // July 4 (Sun) observed Monday
  });

  await t.test('Utah: no Sundays, holidays and their observed days', async (t) => {
    await allowedAt(t, UT, '2026-07-02T18:00:00Z');
    // Independence Day 2026 is a Saturday, observed Friday: Fri, Sat (the day itself) and Sunday are closed.
    await forbiddenAt(t, UT, '2026-07-03T18:00:00Z', 'us-ut.13-25a-103', '2026-07-06T14:00:00Z');
    await forbiddenAt(t, UT, '2027-07-23T18:00:00Z', 'us-ut.13-25a-103', '2027-07-26T14:00:00Z'); // Pioneer Day (Sat) observed Fri
  });

  await t.test('Texas: Sunday from noon', async (t) => {
    await forbiddenAt(t, TX, '2026-06-14T16:59:00Z', 'us-tx.301.051', '2026-06-14T17:00:00Z');
    await allowedAt(t, TX, '2026-06-14T17:00:00Z');
    await forbiddenAt(t, TX, '2026-06-10T13:59:00Z', 'us-tx.301.051', '2026-06-10T14:00:00Z'); // 08:59: federal allows, Texas not
  });

  await t.test('Pennsylvania: legal holidays; the pending bill ships switched off', async (t) => {
    await forbiddenAt(t, PA, '2026-06-14T16:00:00Z', 'us-pa.act73-2019', '2026-06-15T12:00:00Z'); // Flag Day, a Sunday
    await allowedAt(t, PA, '2026-06-21T16:00:00Z'); // an ordinary Sunday: SB 992 is not in force
    await forbiddenAt(t, PA, '2026-11-03T16:00:00Z', 'us-pa.act73-2019', '2026-11-04T13:00:00Z'); // Election Day
  });

  await t.test('Canada: CRTC weekdays 09:00–21:30, weekends 10:00–18:00; British Columbia holidays', async (t) => {
    await allowedAt(t, ON, '2026-06-11T01:29:00Z');
    await forbiddenAt(t, ON, '2026-06-11T01:30:00Z', 'ca-crtc.utr', '2026-06-11T13:00:00Z');
    await forbiddenAt(t, ON, '2026-06-13T13:59:00Z', 'ca-crtc.utr', '2026-06-13T14:00:00Z');
    await allowedAt(t, ON, '2026-06-13T21:59:00Z');
    await forbiddenAt(t, BC, '2026-07-01T19:00:00Z', 'ca-bc.tlr', '2026-07-02T16:00:00Z'); // Canada Day
    await forbiddenAt(t, BC, '2026-05-18T19:00:00Z', 'ca-bc.tlr', '2026-05-19T16:00:00Z'); // Victoria Day
    await allowedAt(t, BC, '2026-07-02T19:00:00Z');
  });

  await t.test('the other holiday calendars and caps', async (t) => {
    const AL = '+12055550101'; // America/Chicago
    const NE = '+14025550101'; // America/Chicago
    await forbiddenAt(t, AL, '2026-04-27T17:00:00Z', 'us-al.770-x-5-.17', '2026-04-28T13:00:00Z'); // Confederate Memorial Day
    await allowedAt(t, AL, '2026-04-28T17:00:00Z');
    // Nebraska, prerecorded: on a holiday (Independence Day observed Friday 2026-07-03) only 13:00–21:00.
    await forbiddenAt(t, NE, '2026-07-03T17:59:00Z', 'us-ne.291-11', '2026-07-03T18:00:00Z');
    await allowedAt(t, NE, '2026-07-03T18:00:00Z');
    await allowedAt(t, NE, '2026-07-02T17:59:00Z');
    await forbiddenAt(t, LA, '2026-11-27T17:00:00Z', 'us-la.r-29617', '2026-11-28T14:00:00Z'); // the day after Thanksgiving
    await forbiddenAt(t, LA, '2026-02-17T17:00:00Z', 'us-la.r-29617', '2026-02-18T14:00:00Z'); // Mardi Gras

    // Maine, automated: one call per number per 8 hours; the next one also needs its weekday hours.
    const own = await f.tenant();
    const contactId = await f.contact(own, { phone: ME });
    await f.call({ tenant_id: own, contact_id: contactId, phone: ME, status: 'ended', outcome: 'answered',
                   due_at: '2026-06-10T13:00:00Z', claimed_at: '2026-06-10T13:00:00Z', dial_started_at: '2026-06-10T13:00:00Z' });
    await forbiddenAt(t, ME, '2026-06-10T15:00:00Z', 'us-me.1498.automated', '2026-06-11T13:00:00Z', { tenant: own });
    await allowedAt(t, ME, '2026-06-11T13:00:00Z', { tenant: own });
  });

  await t.test('effective dates: Maryland from 2024-01-01', async (t) => {
    await allowedAt(t, MD, '2023-12-30T01:30:00Z'); // Friday 20:30 EST: only the federal 21:00
    await forbiddenAt(t, MD, '2024-01-03T01:30:00Z', 'us-md.stop-spam-2023', '2024-01-03T13:00:00Z');
  });

  await t.test('strictest wins across candidates', async (t) => {
    const at = '2026-06-11T00:30:00Z'; // 20:30 EDT
    await allowedAt(t, NY, at);
    await forbiddenAt(t, NY, at, 'us-fl.501.616', '2026-06-11T12:00:00Z', { state: 'FL' });
    await forbiddenAt(t, NY, at, 'us-fl.501.616', '2026-06-11T12:00:00Z', { postal: '33101' });
    await allowedAt(t, NY, at, { postal: 'M5V 2T6' }); // Ontario: CRTC until 21:30
  });

  await t.test('the tenant profile: a rule switched off, informational calls, a human voice', async (t) => {
    const off = await f.tenant({ disabled_rules: ['us-fl.501.616'] });
    await allowedAt(t, FL, '2026-06-11T00:30:00Z', { tenant: off });
    await forbiddenAt(t, FL, '2026-06-11T01:00:00Z', 'us-federal.tcpa', '2026-06-11T12:00:00Z', { tenant: off });
    const informational = await f.tenant({ call_type: 'informational' });
    await allowedAt(t, FL, '2026-06-11T02:00:00Z', { tenant: informational });
    await forbiddenAt(t, ME, '2026-06-10T21:00:00Z', 'us-me.1498.automated', '2026-06-11T13:00:00Z', { tenant: informational });
    const human = await f.tenant({ call_type: 'informational', automated_voice: false });
    await allowedAt(t, ME, '2026-06-10T21:00:00Z', { tenant: human });
  });

  await t.test('an emergency blackout holds the jurisdiction until it ends', async (t) => {
    const own = await f.tenant();
    const id = await pool.oneFirst(sql.unsafe`
      insert into dialer.blackouts (tenant_id, jurisdiction, starts_at, ends_at, reason)
      values (${own}, 'US-LA', '2026-06-10T16:00:00Z', '2026-06-12T23:00:00Z', 'LPSC EOC activation') returning id`);
    await allowedAt(t, LA, '2026-06-10T15:59:00Z', { tenant: own });
    await forbiddenAt(t, LA, '2026-06-10T16:00:00Z', `blackout:${id}`, '2026-06-12T23:00:00Z', { tenant: own });
    await allowedAt(t, LA, '2026-06-12T23:00:00Z', { tenant: own }); // Friday 18:00 CDT
    await allowedAt(t, FL, '2026-06-10T16:00:00Z', { tenant: own }); // another state
    const informational = await f.tenant({ call_type: 'informational' });
    await pool.query(sql.unsafe`
      insert into dialer.blackouts (tenant_id, jurisdiction, starts_at, ends_at, reason)
      values (${informational}, 'US-LA', '2026-06-10T16:00:00Z', '2026-06-12T23:00:00Z', 'LPSC EOC activation')`);
    await allowedAt(t, LA, '2026-06-10T16:00:00Z', { tenant: informational }); // the record covers solicitation
  });

  await t.test('a rule may demand a known jurisdiction (fail closed)', async (t) => {
    const unknown = '+15555550101'; // no area code, state or postal code
    await forbiddenAt(t, unknown, '2026-06-10T15:00:00Z', 'us-federal.tcpa', '2026-06-10T18:00:00Z');
    await pool.query(sql.unsafe`update dialer.rules set requires_known_jurisdiction = true where id = 'us-federal.tcpa'`);
    try {
      await forbiddenAt(t, unknown, '2026-06-10T20:00:00Z', 'us-federal.tcpa', null); // never, by time alone
      await allowedAt(t, unknown, '2026-06-10T20:00:00Z', { state: 'NY' });
      await allowedAt(t, NY, '2026-06-10T20:00:00Z');
    } finally {
      await pool.query(sql.unsafe`update dialer.rules set requires_known_jurisdiction = false where id = 'us-federal.tcpa'`);
    }
  });

  await t.test('bad input is PD400', async (t) => {
    const code = async (phone: string, at: string, state: string | null, postal: string | null) => {
      try {
        await pool.query(sql.unsafe`select * from dialer.calling_allowed(${tenantId}, ${phone}, ${at}, ${state}, ${postal})`);
        return 'ok';
      } catch (error) {
        return postgresErrorOf(error)?.code ?? String(error);
      }
    };
    t.equal(await code('5551234', '2026-06-10T15:00:00Z', null, null), 'PD400', 'not E.164');
    t.equal(await code(FL, '2026-06-10T15:00:00Z', 'ZZ', null), 'PD400', 'unknown state');
    t.equal(await code(FL, '2026-06-10T15:00:00Z', null, '3310'), 'PD400', 'malformed ZIP');
    t.equal(await code(FL, 'infinity', null, null), 'PD400', 'not an instant');
    t.equal(await code(FL, '2026-06-10T15:00:00Z', 'US-FL', '33101-1234'), 'ok');
  });
});

t.test('holidays()', async (t) => {
  const { pool } = await createTestDatabase(t);
  const days = async (jurisdiction: string, from: string, to: string) =>
    (await pool.any(sql.unsafe`select to_char(day, 'YYYY-MM-DD') as day, observed from dialer.holidays(${jurisdiction}, ${from}, ${to})`))
      .map((row) => `${row.day}${row.observed ? '*' : ''}`);

  // US federal holidays 2026–2030 (5 U.S.C. 6103; OPM's tables): the date, and * the observed
  // weekday of one falling on a weekend (New Year's Day 2028, a Saturday, is observed 2027-12-31).
  const federal = [
    '2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03*', '2026-07-04', '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25',
    '2027-01-01', '2027-01-18', '2027-02-15', '2027-05-31', '2027-06-18*', '2027-06-19', '2027-07-04', '2027-07-05*', '2027-09-06', '2027-10-11', '2027-11-11', '2027-11-25', '2027-12-24*', '2027-12-25', '2027-12-31*',
    '2028-01-01', '2028-01-17', '2028-02-21', '2028-05-29', '2028-06-19', '2028-07-04', '2028-09-04', '2028-10-09', '2028-11-10*', '2028-11-11', '2028-11-23', '2028-12-25',
    '2029-01-01', '2029-01-15', '2029-02-19', '2029-05-28', '2029-06-19', '2029-07-04', '2029-09-03', '2029-10-08', '2029-11-11', '2029-11-12*', '2029-11-22', '2029-12-25',
    '2030-01-01', '2030-01-21', '2030-02-18', '2030-05-27', '2030-06-19', '2030-07-04', '2030-09-02', '2030-10-14', '2030-11-11', '2030-11-28', '2030-12-25',
  ];
  t.same(await days('US', '2026-01-01', '2030-12-31'), federal);

  const easter = ['2026-04-05', '2027-03-28', '2028-04-16', '2029-04-01', '2030-04-21'];
  t.same([...(await pool.anyFirst(sql.unsafe`select to_char(dialer._easter(y), 'YYYY-MM-DD') from generate_series(2026, 2030) y`))], easter);
  const goodFriday = (await days('US-LA', '2026-01-01', '2030-12-31')).filter((day) =>
    easter.some((sunday) => Date.parse(sunday) - Date.parse(day) === 2 * 86_400_000));
  t.same(goodFriday, ['2026-04-03', '2027-03-26', '2028-04-14', '2029-03-30', '2030-04-19'], 'Good Friday from Easter');
  t.same((await days('US-LA', '2026-01-01', '2026-12-31')).slice(0, 4), ['2026-01-01', '2026-01-19', '2026-02-16', '2026-02-17'],
    'Louisiana: Mardi Gras is Easter − 47');
  t.same(await days('US-LA', '2023-07-01', '2023-07-05'), ['2023-07-03', '2023-07-04'], 'a declared day');
  t.same((await days('CA-BC', '2026-05-01', '2026-10-31')), ['2026-05-18', '2026-07-01', '2026-08-03', '2026-09-07', '2026-09-30', '2026-10-12'],
    'British Columbia: Victoria Day is the Monday on or before 24 May');
  t.same(await days('US-PA', '2026-11-01', '2026-11-30'), ['2026-11-03', '2026-11-11', '2026-11-26'], 'Election Day: the Tuesday after the first Monday');
  t.same(await days('US-FL', '2026-01-01', '2026-12-31'), [], 'no calendar');

  // The gate's per-day question agrees with the listing on every day of 2026-2030, every calendar.
  const disagreements = await pool.any(sql.unsafe`
    select calendar, day::date::text as day
    from (select distinct calendar from dialer.holiday_rules where rule_set = 1) calendars
    cross join generate_series(date '2026-01-01', date '2030-12-31', interval '1 day') day
    where (dialer._holiday_on(1, calendar, day::date) is not null)
          <> exists (select 1 from dialer._calendar_days(1, calendar, day::date, day::date))`);
  t.same(disagreements, [], '_holiday_on and holidays() agree');
});
