// Campaign lifecycle (start, pause, resume, stop, restart, new members; 404/409) and
// plan_occurrences for daily and weekly campaigns, DST days included.
import t from 'tap';
import { sql, type DatabasePool } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { postgresErrorOf } from '../../server/http/errors.js';
import { AT, fixtures } from './fixtures.js';

const calls = (pool: DatabasePool, campaignId: string) =>
  pool.any(sql.unsafe`select contact_id, status, occurrence, attempt, due_at from dialer.calls where campaign_id = ${campaignId} order by contact_id, occurrence, attempt`);

t.test('campaign lifecycle', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const act = (action: string, tenantId: string, campaignId: string, at = AT) =>
    pool.one(sql.unsafe`select status, started_at, finished_at from ${sql.identifier(['dialer', `${action}_campaign`])}(${tenantId}, ${campaignId}, ${at})`);
  const refused = async (promise: Promise<unknown>) => postgresErrorOf(await promise.then(() => undefined, (error: unknown) => error));

  await t.test('start a draft once campaign: one call per callable member, due now', async (t) => {
    const tenantId = await f.tenant();
    const campaignId = await f.campaign(tenantId, { status: 'draft' });
    const ok = await f.contact(tenantId);
    const blocked = await f.contact(tenantId);
    const gone = await f.contact(tenantId, { deleted_at: '2026-01-01T00:00:00Z' });
    for (const contact of [ok, blocked, gone]) await f.member(campaignId, contact);
    await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) select tenant_id, phone from dialer.contacts where id = ${blocked}`);
    t.match(await act('start', tenantId, campaignId), { status: 'active', started_at: AT, finished_at: null });
    t.same([...(await calls(pool, campaignId))], [{ contact_id: ok, status: 'scheduled', occurrence: 'once', attempt: 1, due_at: AT }]);
  });

  await t.test('state errors are PD409, other tenants and unknown campaigns PD404', async (t) => {
    const tenantId = await f.tenant();
    const campaignId = await f.campaign(tenantId, { status: 'draft' });
    await f.member(campaignId, await f.contact(tenantId));
    t.match(await refused(act('pause', tenantId, campaignId)), { code: 'PD409', message: /cannot pause a campaign that is draft/ });
    t.match(await refused(act('resume', tenantId, campaignId)), { code: 'PD409' });
    t.match(await refused(act('stop', tenantId, campaignId)), { code: 'PD409' });
    t.match(await refused(act('start', await f.tenant(), campaignId)), { code: 'PD404' }, "another tenant's campaign");
    t.match(await refused(act('start', tenantId, '00000000-0000-0000-0000-000000000000')), { code: 'PD404' });
    await act('start', tenantId, campaignId);
    t.match(await refused(act('start', tenantId, campaignId)), { code: 'PD409', message: /cannot start a campaign that is active/ });
    t.match(await act('pause', tenantId, campaignId), { status: 'paused' });
    t.match(await refused(act('pause', tenantId, campaignId)), { code: 'PD409' });
    t.match(await act('resume', tenantId, campaignId), { status: 'active' });
    t.match(await refused(act('resume', tenantId, campaignId)), { code: 'PD409' });
    const done = await f.campaign(tenantId, { status: 'completed' });
    t.match(await refused(act('start', tenantId, done)), { code: 'PD409' }, 'completed is final');
  });

  await t.test('pause keeps pending calls; stop cancels them and lets live calls finish', async (t) => {
    const s = await f.scenario();
    const other = await f.contact(s.tenantId);
    await f.member(s.campaignId, other);
    const liveCall = await f.call({ tenant_id: s.tenantId, campaign_id: s.campaignId, contact_id: other, status: 'ringing' });
    await act('pause', s.tenantId, s.campaignId);
    t.match(await f.callRow(s.callId), { status: 'scheduled' });
    t.match(await act('stop', s.tenantId, s.campaignId, '2026-06-10T16:00:00Z'), { status: 'stopped', finished_at: '2026-06-10T16:00:00.000Z' });
    t.match(await f.callRow(s.callId), { status: 'cancelled' });
    t.match(await f.callRow(liveCall), { status: 'ringing' });
    t.match(await refused(act('stop', s.tenantId, s.campaignId)), { code: 'PD409' });
  });

  await t.test('a restart after stop calls the members not yet finished', async (t) => {
    const tenantId = await f.tenant();
    const campaignId = await f.campaign(tenantId, { max_attempts: 3 });
    const member = async (history: Record<string, unknown>[]) => {
      const contactId = await f.contact(tenantId);
      await f.member(campaignId, contactId);
      for (const [index, call] of history.entries()) {
        await f.call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId, attempt: index + 1, ...call });
      }
      return contactId;
    };
    const noAnswer = { status: 'ended', outcome: 'no_answer', ended_reason: 'customer-did-not-answer', ended_at: '2026-06-09T10:00:00Z' };
    const answered = await member([{ status: 'ended', outcome: 'answered', ended_at: '2026-06-09T10:00:00Z' }]);
    const retrying = await member([noAnswer, { status: 'scheduled' }]);
    const live = await member([{ status: 'in_progress' }]);
    const exhausted = await member([noAnswer, noAnswer, noAnswer]);
    const misdialed = await member([{ ...noAnswer, outcome: 'failed', ended_reason: 'twilio-reported-customer-misdialed' }]);
    const never = await member([]);
    await act('stop', tenantId, campaignId);
    t.match(await act('start', tenantId, campaignId, '2026-06-11T09:00:00Z'), { status: 'active', finished_at: null }, 'restarted');
    const created = await pool.any(sql.unsafe`
      select contact_id, occurrence, attempt, due_at from dialer.calls where campaign_id = ${campaignId} and status = 'scheduled' order by attempt`);
    t.same([...created], [
      { contact_id: never, occurrence: 'once', attempt: 1, due_at: '2026-06-11T09:00:00.000Z' },
      { contact_id: retrying, occurrence: 'once-2', attempt: 2, due_at: '2026-06-11T09:00:00.000Z' },
    ], 'the cancelled retry comes back as attempt 2 of a new occurrence; answered, live, exhausted and misdialed members get nothing');
    void [answered, live, exhausted, misdialed];
  });

  await t.test('schedule_new_members', async (t) => {
    const s = await f.scenario();
    const newcomer = await f.contact(s.tenantId);
    await f.member(s.campaignId, newcomer);
    const schedule = (tenantId: string, campaignId: string) =>
      pool.oneFirst(sql.unsafe`select dialer.schedule_new_members(${tenantId}, ${campaignId}, ${AT})`);
    t.equal(await schedule(s.tenantId, s.campaignId), 1, 'only the newcomer');
    t.equal(await schedule(s.tenantId, s.campaignId), 0, 'idempotent');
    const draft = await f.campaign(s.tenantId, { status: 'draft' });
    await f.member(draft, await f.contact(s.tenantId));
    t.equal(await schedule(s.tenantId, draft), 0, 'a draft gets its calls at start');
    t.match(await refused(schedule(await f.tenant(), s.campaignId)), { code: 'PD404' });
  });
});

t.test('plan_occurrences', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const plan = (at: string) => pool.oneFirst(sql.unsafe`select dialer.plan_occurrences(${at})`).then(Number);
  const reset = () => pool.query(sql.unsafe`truncate dialer.tenants cascade`);
  const withMembers = async (campaign: Record<string, unknown>, count = 2) => {
    const tenantId = await f.tenant();
    const campaignId = await f.campaign(tenantId, campaign);
    for (let i = 0; i < count; i++) await f.member(campaignId, await f.contact(tenantId));
    return { tenantId, campaignId };
  };
  const ny = { frequency: 'daily', time_zone: 'America/New_York', window_start: '09:00', window_end: '17:00', days: [1, 2, 3, 4, 5] };

  await t.test('daily: once per day, when the window opens, idempotent; yesterday is skipped', async (t) => {
    await reset();
    const { campaignId } = await withMembers(ny);
    t.equal(await plan('2026-06-10T12:59:59Z'), 0, 'Wednesday 08:59:59 EDT: not begun');
    t.equal(await plan('2026-06-10T14:00:00Z'), 2, 'Wednesday 10:00 EDT');
    t.equal(await plan('2026-06-10T15:00:00Z'), 0, 'again: nothing new');
    t.same((await calls(pool, campaignId)).map((call) => [call.occurrence, call.due_at]), [['2026-06-10', '2026-06-10T13:00:00.000Z'], ['2026-06-10', '2026-06-10T13:00:00.000Z']]);
    t.equal(await plan('2026-06-10T22:00:00Z'), 0, 'after the window');
    t.equal(await plan('2026-06-11T13:00:00Z'), 2, 'Thursday 09:00 EDT');
    const statuses = await pool.anyFirst(sql.unsafe`select status from dialer.calls where occurrence = '2026-06-10'`);
    t.same([...statuses], ['skipped', 'skipped'], "Wednesday's leftovers are skipped");
    t.equal(await plan('2026-06-13T15:00:00Z'), 0, 'Saturday is not a day');
  });

  await t.test('daily across DST changes (New York)', async (t) => {
    await reset();
    const { campaignId } = await withMembers({ ...ny, days: [1, 2, 3, 4, 5, 6, 7] }, 1);
    t.equal(await plan('2026-03-07T15:00:00Z'), 1, 'Saturday 10:00 EST');
    t.equal(await plan('2026-03-08T12:30:00Z'), 0, 'Sunday 08:30 EDT: not begun (it would be 07:30 EST)');
    t.equal(await plan('2026-03-08T13:00:00Z'), 1, 'Sunday 09:00 EDT');
    t.equal(await plan('2026-03-08T20:59:59Z'), 0, 'Sunday 16:59:59 EDT: idempotent');
    t.equal(await plan('2026-11-01T14:00:00Z'), 1, 'fall-back Sunday 09:00 EST');
    t.equal(await plan('2026-11-01T14:30:00Z'), 0);
    t.same((await calls(pool, campaignId)).map((call) => [call.occurrence, call.due_at]), [
      ['2026-03-07', '2026-03-07T14:00:00.000Z'],
      ['2026-03-08', '2026-03-08T13:00:00.000Z'],
      ['2026-11-01', '2026-11-01T14:00:00.000Z'],
    ]);
  });

  await t.test('weekly: one occurrence per ISO week, due at its first window', async (t) => {
    await reset();
    const { campaignId } = await withMembers({ ...ny, frequency: 'weekly', days: [1, 3] }, 1);
    t.equal(await plan('2026-06-10T14:00:00Z'), 1, 'Wednesday of week 24');
    t.equal(await plan('2026-06-12T14:00:00Z'), 0, 'Friday: same week');
    t.equal(await plan('2026-06-15T12:00:00Z'), 0, 'Monday 08:00 of week 25: not begun');
    t.equal(await plan('2026-06-15T13:00:00Z'), 1, 'Monday 09:00 of week 25');
    t.same((await calls(pool, campaignId)).map((call) => [call.occurrence, call.due_at]), [
      ['2026-W24', '2026-06-08T13:00:00.000Z'],
      ['2026-W25', '2026-06-15T13:00:00.000Z'],
    ]);
  });

  await t.test('blackout dates, dnc, inactive campaigns, and completion after ends_on', async (t) => {
    await reset();
    const blackout = await withMembers({ ...ny, blackout_dates: ['2026-06-10'] }, 1);
    await withMembers({ ...ny, status: 'paused' }, 1);
    const dnc = await withMembers(ny, 2);
    await pool.query(sql.unsafe`
      insert into dialer.dnc (tenant_id, phone)
      select ${dnc.tenantId}, phone from dialer.contacts where tenant_id = ${dnc.tenantId} limit 1`);
    t.equal(await plan('2026-06-10T14:00:00Z'), 1, 'only the dnc campaign, without its dnc member');
    t.equal((await calls(pool, blackout.campaignId)).length, 0);
    const ending = await withMembers({ ...ny, ends_on: '2026-06-10' }, 1);
    t.equal(await plan('2026-06-10T15:00:00Z'), 1);
    await plan('2026-06-11T14:00:00Z');
    t.equal(await pool.oneFirst(sql.unsafe`select status from dialer.campaigns where id = ${ending.campaignId}`), 'completed', 'past ends_on, nothing live');
    t.same((await calls(pool, ending.campaignId)).map((call) => call.status), ['skipped']);
  });

  await t.test('starting a daily campaign plans the current occurrence', async (t) => {
    await reset();
    const { tenantId, campaignId } = await withMembers({ ...ny, status: 'draft' }, 2);
    await pool.query(sql.unsafe`select dialer.start_campaign(${tenantId}, ${campaignId}, '2026-06-10T14:00:00Z')`);
    t.equal((await calls(pool, campaignId)).length, 2);
  });
});
