// Retry sequences (sql/035_retry_sequences.sql): the halves of a window (DST days, past-midnight
// windows, the last minute), the due time apply_call_result gives each attempt (sequence steps,
// the per-outcome fallback after them, outcomes not retried), why_not's words for a step,
// attempt_override, and the table's checks. Expected instants are worked out by hand in UTC.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { fixtures, iso } from './fixtures.js';

const ALL = [1, 2, 3, 4, 5, 6, 7];

/** The SQLSTATE a query failed with (slonik wraps the driver's error). */
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
const NY = 'America/New_York';

t.test('next_window_half_open', async (t) => {
  const { pool } = await createTestDatabase(t);
  const half = async (start: string, end: string, days: number[], which: string, after: string, tz = NY) =>
    iso(await pool.oneFirst(sql.type(z.object({ next: z.string().nullable() }))`
      select dialer.next_window_half_open(${tz}, ${start}::time, ${end}::time, ${sql.array(days, 'int4')}, ${which}, ${after}::timestamptz) as next`));

  await t.test('09:00-17:00 splits at 13:00; the last minute of a half is in it, its end is not', async (t) => {
    // 2026-06-10 (Wednesday), EDT = UTC-4.
    t.equal(await half('09:00', '17:00', ALL, 'later', '2026-06-10T14:00:00Z'), '2026-06-10T17:00:00.000Z', '10:00 → 13:00');
    t.equal(await half('09:00', '17:00', ALL, 'later', '2026-06-10T20:59:00Z'), '2026-06-10T20:59:00.000Z', '16:59, the window\'s last minute');
    t.equal(await half('09:00', '17:00', ALL, 'later', '2026-06-10T21:00:00Z'), '2026-06-11T17:00:00.000Z', '17:00 → tomorrow 13:00');
    t.equal(await half('09:00', '17:00', ALL, 'earlier', '2026-06-10T16:59:00Z'), '2026-06-10T16:59:00.000Z', '12:59 is still earlier');
    t.equal(await half('09:00', '17:00', ALL, 'earlier', '2026-06-10T17:00:00Z'), '2026-06-11T13:00:00.000Z', '13:00 → tomorrow 09:00');
    t.equal(await half('09:00', '17:00', [1, 2, 3, 4, 5], 'earlier', '2026-06-12T17:00:00Z'), '2026-06-15T13:00:00.000Z', 'Friday afternoon → Monday 09:00');
    t.equal(await half('09:00', '17:00', ALL, 'sideways', '2026-06-10T14:00:00Z'), null, 'neither half');
  });

  await t.test('an all-day window splits at 12:00', async (t) => {
    t.equal(await half('00:00', '00:00', ALL, 'later', '2026-06-10T14:00:00Z'), '2026-06-10T16:00:00.000Z');
    t.equal(await half('00:00', '00:00', ALL, 'later', '2026-06-11T03:59:00Z'), '2026-06-11T03:59:00.000Z', '23:59');
    t.equal(await half('00:00', '00:00', ALL, 'earlier', '2026-06-10T16:00:00Z'), '2026-06-11T04:00:00.000Z', 'next midnight');
  });

  await t.test('a window past midnight: the half after midnight belongs to the day it opened on', async (t) => {
    // Friday 22:00-02:00 only; 2026-11-20 is a Friday, EST = UTC-5.
    t.equal(await half('22:00', '02:00', [5], 'later', '2026-11-21T04:00:00Z'), '2026-11-21T05:00:00.000Z', 'Fri 23:00 → Sat 00:00');
    t.equal(await half('22:00', '02:00', [5], 'later', '2026-11-21T06:59:00Z'), '2026-11-21T06:59:00.000Z', 'Sat 01:59, the last minute');
    t.equal(await half('22:00', '02:00', [5], 'later', '2026-11-21T07:00:00Z'), '2026-11-28T05:00:00.000Z', 'Sat 02:00 → next Sat 00:00');
    t.equal(await half('22:00', '02:00', [5], 'earlier', '2026-11-21T05:30:00Z'), '2026-11-28T03:00:00.000Z', 'Sat 00:30 → next Fri 22:00');
    t.equal(await half('22:00', '02:00', [5], 'earlier', '2026-11-21T02:00:00Z'), '2026-11-21T03:00:00.000Z', 'Fri 21:00 → Fri 22:00');
    t.equal(await half('22:00', '02:00', [5], 'earlier', '2026-11-21T04:59:00Z'), '2026-11-21T04:59:00.000Z', 'Fri 23:59');
    // 20:00-06:00 splits at 01:00, after midnight.
    t.equal(await half('20:00', '06:00', [5], 'earlier', '2026-11-21T05:30:00Z'), '2026-11-21T05:30:00.000Z', 'Sat 00:30 is earlier');
    t.equal(await half('20:00', '06:00', [5], 'later', '2026-11-21T05:30:00Z'), '2026-11-21T06:00:00.000Z', 'Sat 01:00');
    t.equal(await half('20:00', '06:00', [5], 'later', '2026-11-21T06:30:00Z', 'UTC'), '2026-11-28T01:00:00.000Z', 'in UTC, Sat 06:30 is past the window: next Sat 01:00');
  });

  await t.test('America/New_York spring forward (2026-03-08, 02:00 EST → 03:00 EDT at 07:00Z)', async (t) => {
    // The midpoint is a wall time: 13:00 EDT on the day after the change.
    t.equal(await half('09:00', '17:00', ALL, 'later', '2026-03-08T13:00:00Z'), '2026-03-08T17:00:00.000Z', '09:00 EDT → 13:00 EDT');
    t.equal(await half('09:00', '17:00', ALL, 'later', '2026-03-07T21:59:00Z'), '2026-03-07T21:59:00.000Z', 'Sat 16:59 EST');
    // 00:00-04:00 splits at 02:00, inside the gap: the later half opens when the gap ends.
    t.equal(await half('00:00', '04:00', [7], 'later', '2026-03-08T05:00:00Z'), '2026-03-08T07:00:00.000Z', '03:00 EDT');
    t.equal(await half('00:00', '04:00', [7], 'earlier', '2026-03-08T06:59:00Z'), '2026-03-08T06:59:00.000Z', '01:59 EST');
    t.equal(await half('00:00', '04:00', [7], 'earlier', '2026-03-08T07:00:00Z'), '2026-03-15T04:00:00.000Z', '03:00 EDT is later: next Sunday 00:00 EDT');
  });

  await t.test('America/New_York fall back (2026-11-01, 02:00 EDT → 01:00 EST at 06:00Z)', async (t) => {
    t.equal(await half('00:00', '04:00', [7], 'later', '2026-11-01T04:00:00Z'), '2026-11-01T07:00:00.000Z', '00:00 EDT → 02:00 EST');
    t.equal(await half('00:00', '04:00', [7], 'earlier', '2026-11-01T06:30:00Z'), '2026-11-01T06:30:00.000Z', '01:30 EST, the second reading, is earlier too');
    t.equal(await half('00:00', '04:00', [7], 'earlier', '2026-11-01T07:00:00Z'), '2026-11-08T05:00:00.000Z', '02:00 EST → next Sunday 00:00 EST');
    t.equal(await half('09:00', '17:00', ALL, 'later', '2026-11-01T14:00:00Z'), '2026-11-01T18:00:00.000Z', '09:00 EST → 13:00 EST');
  });
});

t.test('apply_call_result plans each attempt by the sequence', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const end = async (callId: string, endedAt: string, reason = 'customer-did-not-answer') =>
    pool.oneFirst(sql.type(z.object({ id: z.string().nullable() }))`
      select dialer.apply_call_result(${callId}, ${reason}, ${endedAt}::timestamptz, null, null) as id`);
  const goLive = (callId: string) => pool.query(sql.unsafe`update dialer.calls set status = 'in_progress' where id = ${callId}`);
  const campaign = (over: Record<string, unknown> = {}) => ({
    time_zone: NY, window_start: '09:00', window_end: '17:00', max_attempts: 4, retry_delay_minutes: 30,
    retry_sequence: [{ after_minutes: 120 }, { after_minutes: 1440, shift_window: 'later' }], ...over,
  });
  /** A live first attempt of a once campaign with a second member, so the campaign never completes. */
  const live = async (over: Record<string, unknown> = {}, call: Record<string, unknown> = {}) => {
    const s = await f.scenario({ campaign: campaign(over), call: { status: 'in_progress', occurrence: 'once', ...call } });
    const other = await f.contact(s.tenantId);
    await f.member(s.campaignId, other);
    await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: other, due_at: '2027-01-01T00:00:00Z' });
    return s;
  };

  await t.test('step 1, step 2 with its shift, then the per-outcome delay, then no more', async (t) => {
    const s = await live();
    const second = await end(s.callId, '2026-06-10T14:05:00Z'); // 10:05 EDT
    t.match(await f.callRow(second!), { attempt: 2, due_at: '2026-06-10T16:05:00.000Z', retry_step: { step: 1, after_minutes: 120, shift_window: null } });
    await goLive(second!);
    const third = await end(second!, '2026-06-10T16:10:00Z'); // 12:10 EDT; +1440 = tomorrow 12:10 → the later half
    t.match(await f.callRow(third!), { attempt: 3, due_at: '2026-06-11T17:00:00.000Z', retry_step: { step: 2, after_minutes: 1440, shift_window: 'later' } });
    await goLive(third!);
    const fourth = await end(third!, '2026-06-11T17:02:00Z');
    t.match(await f.callRow(fourth!), { attempt: 4, due_at: '2026-06-11T17:32:00.000Z', retry_step: null }, 'beyond the sequence: retry_delay_minutes');
    await goLive(fourth!);
    t.equal(await end(fourth!, '2026-06-11T17:40:00Z'), null, 'max_attempts reached');
  });

  await t.test('beyond the sequence the per-outcome delay applies', async (t) => {
    const s = await live({ retry_delays: { busy: 10 }, retry_sequence: [{ after_minutes: 5 }] });
    const second = await end(s.callId, '2026-06-10T14:00:00Z', 'customer-busy');
    t.match(await f.callRow(second!), { due_at: '2026-06-10T14:05:00.000Z' }, 'the sequence beats the per-outcome delay');
    await goLive(second!);
    const third = await end(second!, '2026-06-10T14:10:00Z', 'customer-busy');
    t.match(await f.callRow(third!), { due_at: '2026-06-10T14:20:00.000Z', retry_step: null });
  });

  await t.test('an outcome that is not retried stays so', async (t) => {
    const s = await live({ retry_outcomes: ['busy'] });
    t.equal(await end(s.callId, '2026-06-10T14:00:00Z'), null, 'no_answer is not in retry_outcomes');
    const answered = await live();
    t.equal(await end(answered.callId, '2026-06-10T14:00:00Z', 'customer-ended-call'), null, 'answered');
  });

  await t.test('earlier, a blackout date, and a campaign that never opens again', async (t) => {
    const earlier = await live({ retry_sequence: [{ after_minutes: 1440, shift_window: 'earlier' }] });
    const next = await end(earlier.callId, '2026-06-10T19:00:00Z'); // 15:00 EDT → tomorrow 15:00 → the day after, 09:00
    t.match(await f.callRow(next!), { due_at: '2026-06-12T13:00:00.000Z' });
    const blackout = await live({ blackout_dates: ['2026-06-11'] });
    const second = await end(blackout.callId, '2026-06-10T14:00:00Z');
    await goLive(second!);
    const third = await end(second!, '2026-06-10T16:10:00Z');
    t.match(await f.callRow(third!), { due_at: '2026-06-12T17:00:00.000Z' }, 'the blacked-out 11th is skipped');
    const ending = await live({ ends_on: '2026-06-10', retry_sequence: [{ after_minutes: 60, shift_window: 'later' }] });
    const last = await end(ending.callId, '2026-06-10T21:30:00Z');
    t.match(await f.callRow(last!), { due_at: '2026-06-10T22:30:00.000Z' }, 'never open again: the plain delay (the gate holds it)');
  });

  await t.test('across America/New_York DST days', async (t) => {
    const day = { retry_sequence: [{ after_minutes: 1440, shift_window: 'later' }] };
    const a = await live(day);
    // Sat 2026-03-07 12:00 EST + 1440 min = Sun 13:00 EDT: the later half's first minute.
    t.match(await f.callRow((await end(a.callId, '2026-03-07T17:00:00Z'))!), { due_at: '2026-03-08T17:00:00.000Z' });
    const b = await live(day);
    // Sat 16:30 EST + 1440 min = Sun 17:30 EDT, after the window: Monday 13:00 EDT.
    t.match(await f.callRow((await end(b.callId, '2026-03-07T21:30:00Z'))!), { due_at: '2026-03-09T17:00:00.000Z' });
    const c = await live(day);
    // Sat 2026-10-31 12:30 EDT + 1440 min = Sun 11:30 EST: 13:00 EST.
    t.match(await f.callRow((await end(c.callId, '2026-10-31T16:30:00Z'))!), { due_at: '2026-11-01T18:00:00.000Z' });
    const night = await live({ window_start: '22:00', window_end: '02:00', retry_sequence: [{ after_minutes: 60, shift_window: 'later' }] });
    // Sat 2026-10-31 22:30 EDT + 60 = 23:30 EDT → Sun 00:00 EDT (the half after midnight of Saturday's window).
    t.match(await f.callRow((await end(night.callId, '2026-11-01T02:30:00Z'))!), { due_at: '2026-11-01T04:00:00.000Z' });
  });

  await t.test('retry_due_at asks the same from psql', async (t) => {
    const s = await live();
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.retry_due_at(${s.campaignId}, 3, 'no_answer', '2026-06-10T16:10:00Z')`)), '2026-06-11T17:00:00.000Z');
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.retry_due_at(${s.campaignId}, 2, 'no_answer', '2026-06-10T16:10:00Z')`)), '2026-06-10T18:10:00.000Z');
    t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer.retry_due_at(${s.campaignId}, 4, 'busy', '2026-06-10T16:10:00Z')`)), '2026-06-10T16:40:00.000Z');
  });
});

t.test('why_not names the step a call waits for', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const s = await f.scenario({
    campaign: { time_zone: NY, window_start: '09:00', window_end: '17:00', max_attempts: 4, retry_sequence: [{ after_minutes: 120 }, { after_minutes: 1440, shift_window: 'later' }] },
    call: { status: 'in_progress', occurrence: 'once' },
  });
  const end = async (callId: string, at: string) =>
    (await pool.oneFirst(sql.unsafe`select dialer.apply_call_result(${callId}, 'customer-did-not-answer', ${at}::timestamptz, null, null)`)) as string;
  const why = (callId: string, at: string) => pool.one(sql.unsafe`select reason, until from dialer.why_not(${at}::timestamptz) where call_id = ${callId}`);
  const second = await end(s.callId, '2026-06-10T14:05:00Z');
  t.match(await why(second, '2026-06-10T15:00:00Z'), { reason: 'retry not due: retry 1 of 3 (sequence step 1: 120 min after attempt 1)' });
  await pool.query(sql.unsafe`update dialer.calls set status = 'in_progress' where id = ${second}`);
  const third = await end(second, '2026-06-10T16:10:00Z');
  const held = await why(third, '2026-06-11T15:00:00Z');
  t.equal(held.reason, 'retry not due: retry 2 of 3 (sequence step 2: 1440 min after attempt 2, later half of the window)');
  t.equal(iso(held.until), '2026-06-11T17:00:00.000Z');
  t.match(await why(third, '2026-06-11T03:00:00Z'), { reason: held.reason }, 'at 23:00, window closed: still the step it waits for first');
  await pool.query(sql.unsafe`update dialer.campaigns set status = 'paused' where id = ${s.campaignId}`);
  t.match(await why(third, '2026-06-11T15:00:00Z'), { reason: 'campaign paused' }, 'a hold that outlasts the step comes first');
  await pool.query(sql.unsafe`update dialer.campaigns set status = 'active' where id = ${s.campaignId}`);
  await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${s.tenantId}, ${s.phone})`);
  t.match(await why(third, '2026-06-11T15:00:00Z'), { reason: 'do not call' });
  await pool.query(sql.unsafe`delete from dialer.dnc where tenant_id = ${s.tenantId}`);
  t.match(await why(third, '2026-06-11T17:30:00Z').catch(() => null), null, 'due, window open: not held');
  await pool.query(sql.unsafe`update dialer.calls set status = 'in_progress' where id = ${third}`);
  const fourth = await end(third, '2026-06-11T17:02:00Z');
  t.match(await why(fourth, '2026-06-11T17:10:00Z'), { reason: 'retry not due' }, 'beyond the sequence: the plain reason');
  t.match(await why(third, '2026-06-11T22:00:00Z').catch(() => null), null, 'an ended call is not listed');
});

t.test('attempt_override', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const tenantId = await f.tenant();
  const campaignId = await f.campaign(tenantId, {
    max_attempts: 3,
    attempt_overrides: [{ attempt: 3, variables: { tone: 'last' }, voicemail_message: 'Please call us back.' }, { attempt: 1, variables: { tone: 'first' } }],
  });
  const override = (campaign: string | null, attempt: number) =>
    pool.one(sql.unsafe`select variables, voicemail_message from dialer.attempt_override(${campaign}::uuid, ${attempt})`);
  t.same(await override(campaignId, 3), { variables: { tone: 'last' }, voicemail_message: 'Please call us back.' });
  t.same(await override(campaignId, 1), { variables: { tone: 'first' }, voicemail_message: null });
  t.same(await override(campaignId, 2), { variables: {}, voicemail_message: null });
  t.same(await override(null, 1), { variables: {}, voicemail_message: null }, 'a direct call');
});

t.test('the checks refuse what the API refuses', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const tenantId = await f.tenant();
  const campaignId = await f.campaign(tenantId, { max_attempts: 3 });
  const set = (column: string, value: unknown) =>
    pool.query(sql.unsafe`update dialer.campaigns set ${sql.identifier([column])} = ${JSON.stringify(value)}::jsonb where id = ${campaignId}`);
  const refused = async (column: string, value: unknown, what: string) => t.equal(await sqlState(set(column, value)), '23514', what);
  await set('retry_sequence', [{ after_minutes: 0 }, { after_minutes: 60, shift_window: 'earlier' }, { after_minutes: 5, shift_window: null }]);
  t.pass('three entries with max_attempts 3');
  await refused('retry_sequence', [{ after_minutes: 1 }, { after_minutes: 1 }, { after_minutes: 1 }, { after_minutes: 1 }], 'longer than max_attempts');
  await refused('retry_sequence', [{ after_minutes: -1 }], 'a negative delay');
  await refused('retry_sequence', [{ after_minutes: 1.5 }], 'a fraction');
  await refused('retry_sequence', [{ after_minutes: '5' }], 'a string');
  await refused('retry_sequence', [{ after_minutes: 5, shift_window: 'noon' }], 'an unknown shift');
  await refused('retry_sequence', [{ after_minutes: 5, extra: 1 }], 'an unknown key');
  await refused('retry_sequence', { after_minutes: 5 }, 'not an array');
  await refused('attempt_overrides', [{ attempt: 4 }], 'an attempt over max_attempts');
  await refused('attempt_overrides', [{ attempt: 1 }, { attempt: 1 }], 'an attempt twice');
  await refused('attempt_overrides', [{ attempt: 1, voicemail_message: '' }], 'an empty voicemail message');
  await refused('attempt_overrides', [{ attempt: 1, variables: [] }], 'variables not an object');
  await set('attempt_overrides', [{ attempt: 3, voicemail_message: 'Hi' }]);
  t.equal(await sqlState(pool.query(sql.unsafe`update dialer.campaigns set max_attempts = 2 where id = ${campaignId}`)), '23514', 'max_attempts lowered under the sequence');
});
