// window_open / next_window_open across zones, DST days in both hemispheres, odd offsets,
// windows past midnight and whole-day windows. Every expected instant is worked out by hand in UTC.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { iso } from './fixtures.js';

const ALL = [1, 2, 3, 4, 5, 6, 7];

t.test('time windows', async (t) => {
  const { pool } = await createTestDatabase(t);
  const open = async (tz: string, start: string, end: string, days: number[], at: string) =>
    pool.oneFirst(sql.type(z.object({ open: z.boolean() }))`
      select dialer.window_open(${tz}, ${start}::time, ${end}::time, ${sql.array(days, 'int4')}, ${at}::timestamptz) as open`);
  const next = async (tz: string, start: string, end: string, days: number[], after: string) =>
    iso(await pool.oneFirst(sql.type(z.object({ next: z.string().nullable() }))`
      select dialer.next_window_open(${tz}, ${start}::time, ${end}::time, ${sql.array(days, 'int4')}, ${after}::timestamptz) as next`));

  await t.test('an ordinary window, and next_window_open returns `after` itself when open', async (t) => {
    // New York, Friday 2026-11-20: 09:00 EST = 14:00Z, 17:00 EST = 22:00Z.
    t.equal(await open('America/New_York', '09:00', '17:00', [1, 2, 3, 4, 5], '2026-11-20T13:59:59Z'), false);
    t.equal(await open('America/New_York', '09:00', '17:00', [1, 2, 3, 4, 5], '2026-11-20T14:00:00Z'), true);
    t.equal(await open('America/New_York', '09:00', '17:00', [1, 2, 3, 4, 5], '2026-11-20T21:59:59Z'), true);
    t.equal(await open('America/New_York', '09:00', '17:00', [1, 2, 3, 4, 5], '2026-11-20T22:00:00Z'), false, 'the end is excluded');
    t.equal(await next('America/New_York', '09:00', '17:00', [1, 2, 3, 4, 5], '2026-11-20T15:00:00Z'), '2026-11-20T15:00:00.000Z');
    t.equal(await next('America/New_York', '09:00', '17:00', [1, 2, 3, 4, 5], '2026-11-20T22:00:00Z'), '2026-11-23T14:00:00.000Z', 'Friday evening → Monday');
  });

  await t.test('America/New_York DST start (2026-03-08, 02:00 EST → 03:00 EDT)', async (t) => {
    t.equal(await next('America/New_York', '09:00', '17:00', ALL, '2026-03-07T23:00:00Z'), '2026-03-08T13:00:00.000Z', '09:00 EDT');
    t.equal(await next('America/New_York', '09:00', '17:00', ALL, '2026-03-07T05:00:00Z'), '2026-03-07T14:00:00.000Z', 'the day before: 09:00 EST');
    // A start inside the gap opens right after it (07:00Z = 03:00 EDT).
    t.equal(await next('America/New_York', '02:30', '05:00', [7], '2026-03-08T05:00:00Z'), '2026-03-08T07:00:00.000Z');
    t.equal(await open('America/New_York', '02:30', '05:00', [7], '2026-03-08T06:59:59Z'), false, '01:59:59 EST');
    t.equal(await open('America/New_York', '02:30', '05:00', [7], '2026-03-08T07:00:00Z'), true, '03:00 EDT');
    // A window ending in the gap closes when the gap begins; one wholly inside never opens that day.
    t.equal(await open('America/New_York', '01:00', '02:30', [7], '2026-03-08T06:59:59Z'), true);
    t.equal(await open('America/New_York', '01:00', '02:30', [7], '2026-03-08T07:00:00Z'), false);
    t.equal(await next('America/New_York', '02:10', '02:40', [7], '2026-03-08T05:00:00Z'), '2026-03-15T06:10:00.000Z', 'next Sunday, 02:10 EDT');
  });

  await t.test('America/New_York DST end (2026-11-01, 02:00 EDT → 01:00 EST)', async (t) => {
    t.equal(await next('America/New_York', '09:00', '17:00', ALL, '2026-11-01T05:00:00Z'), '2026-11-01T14:00:00.000Z', '09:00 EST');
    // Repeated wall times are open both times: 00:00–01:30 is open 04:00–05:30Z and 06:00–06:30Z.
    t.equal(await open('America/New_York', '00:00', '01:30', [7], '2026-11-01T05:15:00Z'), true, '01:15 EDT');
    t.equal(await open('America/New_York', '00:00', '01:30', [7], '2026-11-01T05:45:00Z'), false, '01:45 EDT');
    t.equal(await open('America/New_York', '00:00', '01:30', [7], '2026-11-01T06:15:00Z'), true, '01:15 EST');
    t.equal(await open('America/New_York', '00:00', '01:30', [7], '2026-11-01T06:30:00Z'), false, '01:30 EST');
    t.equal(await next('America/New_York', '00:00', '01:30', [7], '2026-11-01T05:45:00Z'), '2026-11-01T06:00:00.000Z', 'reopens as the clock goes back');
    t.equal(await next('America/New_York', '01:10', '01:20', [7], '2026-11-01T05:30:00Z'), '2026-11-01T06:10:00.000Z', 'second reading of a repeated start');
  });

  await t.test('Europe/London DST start and end', async (t) => {
    // 2026-03-29 01:00 GMT → 02:00 BST; a 01:30 start is in the gap and opens at 01:00Z.
    t.equal(await next('Europe/London', '01:30', '03:00', [7], '2026-03-28T23:00:00Z'), '2026-03-29T01:00:00.000Z');
    t.equal(await next('Europe/London', '09:00', '17:00', ALL, '2026-03-29T02:00:00Z'), '2026-03-29T08:00:00.000Z', '09:00 BST');
    // 2026-10-25 02:00 BST → 01:00 GMT.
    t.equal(await next('Europe/London', '09:00', '17:00', ALL, '2026-10-25T02:00:00Z'), '2026-10-25T09:00:00.000Z', '09:00 GMT');
  });

  await t.test('Australia/Sydney (southern hemisphere; the local day is ahead of the UTC day)', async (t) => {
    // DST ends 2026-04-05 03:00 AEDT → 02:00 AEST; Monday 09:00 AEST = Sunday 23:00Z.
    t.equal(await next('Australia/Sydney', '09:00', '17:00', [1], '2026-04-05T00:00:00Z'), '2026-04-05T23:00:00.000Z');
    t.equal(await open('Australia/Sydney', '09:00', '17:00', [1], '2026-04-05T23:30:00Z'), true, 'a Sunday in UTC is a Monday in Sydney');
    // The Monday before, still in DST: 09:00 AEDT = Sunday 22:00Z.
    t.equal(await next('Australia/Sydney', '09:00', '17:00', [1], '2026-03-29T12:00:00Z'), '2026-03-29T22:00:00.000Z');
    // DST starts 2026-10-04 02:00 AEST → 03:00 AEDT: a 02:30 start opens at 16:00Z (03:00 AEDT).
    t.equal(await next('Australia/Sydney', '02:30', '04:00', [7], '2026-10-03T12:00:00Z'), '2026-10-03T16:00:00.000Z');
  });

  await t.test('half- and quarter-hour offsets, and 30-minute DST', async (t) => {
    t.equal(await next('Asia/Kolkata', '09:00', '18:00', ALL, '2026-06-10T00:00:00Z'), '2026-06-10T03:30:00.000Z', '+05:30');
    t.equal(await next('Asia/Kathmandu', '09:00', '18:00', ALL, '2026-06-10T00:00:00Z'), '2026-06-10T03:15:00.000Z', '+05:45');
    t.equal(await open('Asia/Kathmandu', '09:00', '18:00', ALL, '2026-06-10T03:14:59Z'), false);
    // Lord Howe: 2026-10-04 02:00 (+10:30) → 02:30 (+11); a 02:15 start opens at 15:30Z.
    t.equal(await next('Australia/Lord_Howe', '02:15', '05:00', [7], '2026-10-03T12:00:00Z'), '2026-10-03T15:30:00.000Z');
    // Lord Howe: 2026-04-05 02:00 (+11) → 01:30 (+10:30); 01:40–01:50 happens twice.
    t.equal(await open('Australia/Lord_Howe', '01:40', '01:50', [7], '2026-04-04T14:45:00Z'), true, 'first 01:45');
    t.equal(await next('Australia/Lord_Howe', '01:40', '01:50', [7], '2026-04-04T14:55:00Z'), '2026-04-04T15:10:00.000Z', 'second 01:40');
    // Chatham: 2026-09-27 02:45 (+12:45) → 03:45 (+13:45); a 03:00 start opens at 14:00Z.
    t.equal(await next('Pacific/Chatham', '03:00', '04:00', [7], '2026-09-26T12:00:00Z'), '2026-09-26T14:00:00.000Z');
    t.equal(await next('Pacific/Chatham', '09:00', '17:00', ALL, '2026-06-10T05:00:00Z'), '2026-06-10T20:15:00.000Z', '+12:45 in winter');
  });

  await t.test('a zone without DST (America/Phoenix) keeps its offset on the US change day', async (t) => {
    t.equal(await next('America/Phoenix', '09:00', '17:00', ALL, '2026-03-08T00:00:00Z'), '2026-03-08T16:00:00.000Z');
    t.equal(await next('America/Phoenix', '09:00', '17:00', ALL, '2026-03-07T00:00:00Z'), '2026-03-07T16:00:00.000Z');
    t.equal(await open('America/Phoenix', '09:00', '17:00', ALL, '2026-03-08T23:59:59Z'), true, '16:59:59 MST');
  });

  await t.test('a window past midnight belongs to the day it opens on', async (t) => {
    // Friday 2026-11-20 22:00–02:00 in New York (EST, -05:00).
    t.equal(await open('America/New_York', '22:00', '02:00', [5], '2026-11-21T06:00:00Z'), true, '01:00 Saturday');
    t.equal(await open('America/New_York', '22:00', '02:00', [5], '2026-11-20T06:00:00Z'), false, '01:00 Friday: Thursday is not a day');
    t.equal(await open('America/New_York', '22:00', '02:00', [4, 5], '2026-11-20T06:00:00Z'), true, '01:00 Friday with Thursday');
    t.equal(await open('America/New_York', '22:00', '02:00', [5], '2026-11-21T07:00:00Z'), false, '02:00 Saturday');
    t.equal(await open('America/New_York', '22:00', '02:00', [5], '2026-11-21T02:59:59Z'), false, '21:59:59 Friday');
    t.equal(await next('America/New_York', '22:00', '02:00', [5], '2026-11-21T07:00:00Z'), '2026-11-28T03:00:00.000Z', 'next Friday 22:00');
    // Sydney Monday 22:00–06:00 (AEST +10): Monday 22:00 = Monday 12:00Z; Tuesday 05:00 = Monday 19:00Z.
    t.equal(await open('Australia/Sydney', '22:00', '06:00', [1], '2026-06-15T19:00:00Z'), true);
    t.equal(await open('Australia/Sydney', '22:00', '06:00', [1], '2026-06-14T19:00:00Z'), false, 'Monday 05:00 belongs to Sunday');
  });

  await t.test('whole-day windows and empty days', async (t) => {
    // Wednesday only, in Kolkata: Wednesday 2026-06-10 00:00 IST = Tuesday 18:30Z.
    t.equal(await open('Asia/Kolkata', '00:00', '00:00', [3], '2026-06-09T18:29:59Z'), false);
    t.equal(await open('Asia/Kolkata', '00:00', '00:00', [3], '2026-06-09T18:30:00Z'), true);
    t.equal(await open('Asia/Kolkata', '09:00', '09:00', [3], '2026-06-10T18:29:59Z'), true, 'start = end: the whole day');
    t.equal(await next('Asia/Kolkata', '09:00', '09:00', [3], '2026-06-08T00:00:00Z'), '2026-06-09T18:30:00.000Z');
    t.equal(await open('UTC', '09:00', '17:00', [], '2026-06-10T12:00:00Z'), false);
    t.equal(await next('UTC', '09:00', '17:00', [], '2026-06-10T12:00:00Z'), null, 'no days: never');
  });
});
