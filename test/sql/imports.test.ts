// The SQL side of CSV imports (sql/070_imports.sql, migration 0003): the time zone CHECK's
// fast path accepts exactly what the exception-based test accepts, and
// dialer.import_contacts_batch reads its parallel arrays row by row.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures } from './fixtures.js';

t.test('_is_time_zone: the constant lookup agrees with trying the zone', async (t) => {
  const { pool } = await createTestDatabase(t);
  const junk = [
    'Foo/Bar', 'america/new_york', 'AMERICA/NEW_YORK', 'UTC+3', '+3', '-0530', 'EST5EDT', '<+03>-3', '', ' ',
    '  America/New_York', 'America/New_York ', 'America/New_York,America/Chicago', 'now', 'epoch', 'BC', 'AM',
    'Z', 'z', 'J2451545', '2000', 'America', 'America/', '/America/New_York', 'posixrules', 'localtime',
  ];
  const disagreements = await pool.any(sql.type(z.object({ tz: z.string(), fast: z.boolean().nullable(), slow: z.boolean().nullable() }))`
    select tz, dialer._is_time_zone(tz) as fast, dialer._is_time_zone_slow(tz) as slow
    from (
      select name as tz from pg_timezone_names
      union select abbrev from pg_timezone_abbrevs
      union select unnest(${sql.array(junk, 'text')})
    ) candidates
    where dialer._is_time_zone(tz) is distinct from dialer._is_time_zone_slow(tz)`);
  t.same(disagreements, [], 'same answer for every zone name, abbreviation and junk string');
  const names = Number(await pool.oneFirst(sql.unsafe`select count(*) from pg_timezone_names where dialer._is_time_zone(name)`));
  t.ok(names > 400, `every zone name is accepted (${names})`);
  t.equal(await pool.oneFirst(sql.unsafe`select dialer._is_time_zone('Foo/Bar')`), false);
  t.equal(await pool.oneFirst(sql.unsafe`select dialer._is_time_zone(null)`), null, 'null passes a CHECK, as before');

  // The point of the change: known names never reach the subtransaction. The function is
  // inlined (not STRICT, plain SQL), so the plan shows the jsonb lookup before the fallback.
  const plan = (await pool.anyFirst(sql.unsafe`explain verbose select dialer._is_time_zone(name) from pg_timezone_names`)).join('\n');
  t.match(plan, /::jsonb \? .*OR dialer\._is_time_zone_slow/s, 'inlined: constant lookup, then the fallback');

  const f = fixtures(pool);
  const tenantId = await f.tenant();
  await t.rejects(f.contact(tenantId, { time_zone: 'Mars/Olympus_Mons' }), /check integrity constraint/, 'the CHECK still refuses unknown zones');
  await f.contact(tenantId, { time_zone: 'EST5EDT' });
  await f.contact(tenantId, { time_zone: 'UTC+3' });
  t.pass('zones outside pg_timezone_names that Postgres accepts still pass');
});

t.test('import_contacts_batch: parallel arrays, duplicates, do-not-call, the import recorded on each member', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const tenantId = await f.tenant();
  const campaignId = await f.campaign(tenantId, { status: 'draft' });
  const importId = await pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    select dialer.start_import(${tenantId}, ${campaignId}, 'a.csv', ${AT}) as id`);
  await pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${tenantId}, '+12125550102')`);
  const known = await f.contact(tenantId, { phone: '+12125550103', name: null });
  const member = await f.contact(tenantId, { phone: '+12125550104', name: 'Kept' });
  await f.member(campaignId, member, { kept: 'yes' });

  const batch = (phones: string[]) =>
    pool.one(sql.type(z.object({ imported: z.number(), duplicates: z.number(), dnc: z.number() }))`
      select * from dialer.import_contacts_batch(${tenantId}, ${campaignId}, ${importId},
        ${sql.array(phones, 'text')},
        ${sql.array(phones.map((_, i) => `Person ${i}`), 'text')},
        ${sql.array(phones.map((_, i) => (i === 0 ? 'Europe/London' : null)), 'text')},
        ${sql.array(phones.map((_, i) => (i === 1 ? 'America/Denver,America/Boise' : '')), 'text')},
        ${sql.array(phones.map((_, i) => (i === 0 ? 'column' : i === 1 ? 'area_code' : null)), 'text')},
        ${sql.array(phones.map((_, i) => JSON.stringify({ row: String(i) })), 'text')},
        ${sql.array(phones.map((_, i) => (i === 3 ? 'US-FL' : null)), 'text')},
        ${sql.array(phones.map((_, i) => (i === 1 ? '83702' : null)), 'text')},
        ${sql.array(phones.map((_, i) => (i === 1 || i === 3 ? 'person-1' : null)), 'text')},
        ${AT})`);

  const phones = ['+442071234567', '+12085550101', '+12125550102', '+12125550103', '+12125550104'];
  t.same(await batch(phones), { imported: 3, duplicates: 1, dnc: 1 });
  const places = await pool.any(sql.unsafe`
    select phone, state, postal_code, person_key, jurisdictions from dialer.contacts
    where tenant_id = ${tenantId} and phone in ('+12085550101', '+12125550103') order by phone`);
  t.same(places, [
    { phone: '+12085550101', state: null, postal_code: '83702', person_key: 'person-1', jurisdictions: ['US', 'US-ID'] },
    { phone: '+12125550103', state: 'US-FL', postal_code: null, person_key: 'person-1', jurisdictions: ['US', 'US-FL', 'US-NY'] },
  ], 'state, postal code and person key stored; jurisdictions follow (an existing contact refreshed too)');
  const rows = await pool.any(sql.type(z.object({
    phone: z.string(), name: z.string().nullable(), time_zone: z.string().nullable(), possible_time_zones: z.array(z.string()),
    time_zone_source: z.string().nullable(), variables: z.record(z.string()).nullable(), import_id: z.string().nullable(),
  }))`
    select c.phone, c.name, c.time_zone, c.possible_time_zones, c.time_zone_source, m.variables, m.import_id
    from dialer.contacts c left join dialer.campaign_contacts m on m.contact_id = c.id and m.campaign_id = ${campaignId}
    where c.tenant_id = ${tenantId} order by c.phone`);
  t.same(rows, [
    { phone: '+12085550101', name: 'Person 1', time_zone: null, possible_time_zones: ['America/Denver', 'America/Boise'], time_zone_source: 'area_code', variables: { row: '1' }, import_id: importId },
    { phone: '+12125550102', name: 'Person 2', time_zone: null, possible_time_zones: [], time_zone_source: null, variables: { row: '2' }, import_id: importId },
    { phone: '+12125550103', name: 'Person 3', time_zone: null, possible_time_zones: [], time_zone_source: null, variables: { row: '3' }, import_id: importId },
    { phone: '+12125550104', name: 'Kept', time_zone: null, possible_time_zones: [], time_zone_source: null, variables: { kept: 'yes' }, import_id: null },
    { phone: '+442071234567', name: 'Person 0', time_zone: 'Europe/London', possible_time_zones: [], time_zone_source: 'column', variables: { row: '0' }, import_id: importId },
  ], 'new and known contacts join with their row; a member stays as it was');
  t.ok(known, 'the known contact was refreshed, not duplicated');

  t.same(await batch(phones.slice(0, 2)), { imported: 0, duplicates: 2, dnc: 0 }, 'a second batch with the same numbers: duplicates');
});
