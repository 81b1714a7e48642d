import t, { type Test } from 'tap';
import { readFile } from 'node:fs/promises';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant, type TestTenant } from '../helpers/tenant.js';
import { loadConfig } from '../../server/config.js';

const fixture = (name: string) => readFile(new URL(`../fixtures/${name}`, import.meta.url));

async function createCampaign(pool: DatabasePool, tenantId: string, status = 'draft'): Promise<string> {
  return pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, status)
    values (${tenantId}, 'Test campaign', 'asst_1', 'pn_1', 'America/New_York', '09:00', '17:00', ${status})
    returning id`);
}

async function setup(t: Test, options: { importMaxBytes?: number } = {}) {
  const db = await createTestDatabase(t);
  const config = { ...loadConfig({ APP_SECRET: 'test-secret-'.padEnd(40, 'x') }), ...options };
  const api = await startTestApi(t, { pool: db.pool, config });
  const tenant = await createTestTenant(db.pool);
  const campaignId = await createCampaign(db.pool, tenant.id);
  return { db, api, tenant, campaignId };
}

function importCsv(url: string, tenant: TestTenant, campaignId: string, body: Buffer | string | ReadableStream<Uint8Array>, init: { query?: string; contentType?: string } = {}) {
  return fetch(`${url}/v1/campaigns/${campaignId}/contacts/import${init.query ?? ''}`, {
    method: 'POST',
    headers: { ...tenant.headers(), 'content-type': init.contentType ?? 'text/csv' },
    body,
    duplex: 'half',
  } as RequestInit);
}

const contactRow = z.object({
  phone: z.string(),
  name: z.string().nullable(),
  time_zone: z.string().nullable(),
  possible_time_zones: z.array(z.string()),
  time_zone_source: z.string().nullable(),
  variables: z.record(z.string()).nullable(),
});

async function contactsOf(pool: DatabasePool, campaignId: string) {
  return pool.any(sql.type(contactRow)`
    select c.phone, c.name, c.time_zone, c.possible_time_zones, c.time_zone_source, m.variables
    from dialer.contacts c
    left join dialer.campaign_contacts m on m.contact_id = c.id and m.campaign_id = ${campaignId}
    order by c.phone`);
}

t.test('the torture file: BOM, semicolons, CRLF, quotes, blank lines, every kind of bad row', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  await db.pool.query(sql.unsafe`insert into dialer.dnc (tenant_id, phone) values (${tenant.id}, '+13125550106')`);
  const response = await importCsv(api.url, tenant, campaignId, await fixture('torture.csv'));
  t.equal(response.status, 201);
  const report: any = await response.json();
  t.equal(response.headers.get('location'), `/v1/imports/${report.importId}`);
  t.match(report, {
    campaignId,
    status: 'completed',
    filename: null,
    rows: 13,
    imported: 6,
    duplicates: 1,
    dnc: 1,
    rejected: 5,
    errorsOmitted: 0,
  });
  t.same(
    report.errors.map((error: { line: number; code: string }) => [error.line, error.code]),
    [
      [8, 'invalid_phone'],
      [9, 'missing_phone'],
      [11, 'bad_timezone'],
      [12, 'value_too_long'],
      [14, 'too_many_columns'],
    ],
  );
  t.same(await contactsOf(db.pool, campaignId), [
    { phone: '+12125550100', name: 'Alice Smith', time_zone: 'America/New_York', possible_time_zones: [], time_zone_source: 'area_code', variables: { Company: 'Acme', Notes: 'plain' } },
    { phone: '+13125550106', name: 'Dnc Person', time_zone: 'America/Chicago', possible_time_zones: [], time_zone_source: 'area_code', variables: { Company: '', Notes: '' } },
    { phone: '+16045550105', name: 'Judy\r\nMulti', time_zone: 'America/Vancouver', possible_time_zones: [], time_zone_source: 'column', variables: { Company: 'Q "quoted"', Notes: '' } },
    { phone: '+18005550199', name: 'Toll Free', time_zone: null, possible_time_zones: [], time_zone_source: null, variables: { Company: '', Notes: '' } },
    { phone: '+18505550101', name: 'Frank', time_zone: null, possible_time_zones: ['America/New_York', 'America/Chicago'], time_zone_source: 'area_code', variables: { Company: '', Notes: '' } },
    { phone: '+442079460958', name: 'Bob "The Builder" Jones', time_zone: 'Europe/London', possible_time_zones: [], time_zone_source: 'column', variables: { Company: 'Builders; Ltd', Notes: 'multi\r\nline note' } },
    { phone: '+919876543210', name: 'Chandra', time_zone: 'Asia/Kolkata', possible_time_zones: [], time_zone_source: 'area_code', variables: { Company: '', Notes: '' } },
  ]);

  const stored = await fetch(`${api.url}/v1/imports/${report.importId}`, { headers: tenant.headers() });
  t.same(await stored.json(), report, 'GET /v1/imports/:id serves the same report');

  const audit = await db.pool.any(sql.type(z.object({ action: z.string(), entity_id: z.string() }))`
    select action, entity_id from dialer.audit_log where entity = 'campaign'`);
  t.same(audit, [{ action: 'import', entity_id: campaignId }]);

  const again: any = await (await importCsv(api.url, tenant, campaignId, await fixture('torture.csv'))).json();
  t.match(again, { rows: 13, imported: 0, duplicates: 8, dnc: 0, rejected: 5 }, 're-importing the same file: all duplicates');
  t.not(again.importId, report.importId);
});

async function countRows(pool: DatabasePool, table: 'contacts' | 'campaign_contacts') {
  return pool.oneFirst(sql.type(z.object({ count: z.number() }))`select count(*)::int as count from ${sql.identifier(['dialer', table])}`);
}

t.test('a header without a phone column is a 422 and imports nothing', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  const response = await importCsv(api.url, tenant, campaignId, 'name,company\nAlice,Acme\n');
  t.equal(response.status, 422);
  const body: any = await response.json();
  t.equal(body.error.code, 'missing_phone_column');
  const importId = body.error.details[0].importId;
  t.equal(await countRows(db.pool, 'contacts'), 0);
  const stored: any = await (await fetch(`${api.url}/v1/imports/${importId}`, { headers: tenant.headers() })).json();
  t.match(stored, { status: 'failed', rows: 0, imported: 0, errors: [{ line: 1, code: 'missing_phone_column' }] });
});

t.test('a malformed CSV (unterminated quote) rolls back the rows already written', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  const good = Array.from({ length: 2500 }, (_, i) => `+1212555${String(i).padStart(4, '0')},Person ${i}`).join('\n');
  const response = await importCsv(api.url, tenant, campaignId, `phone,name\n${good}\n+12125559999,"never closed\n`);
  t.equal(response.status, 422);
  t.match(await response.json(), { error: { code: 'malformed_csv' } });
  t.equal(await countRows(db.pool, 'contacts'), 0, 'two batches were written, then rolled back');
});

t.test('a body over the limit is a 413, declared or streamed, and imports nothing', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t, { importMaxBytes: 4096 });
  const rows = Array.from({ length: 400 }, (_, i) => `+1212555${String(i).padStart(4, '0')},Person ${i}`).join('\n');
  const body = `phone,name\n${rows}\n`;
  const declared = await importCsv(api.url, tenant, campaignId, body);
  t.equal(declared.status, 413);
  t.match(await declared.json(), { error: { code: 'payload_too_large' } });

  // Chunked, no Content-Length: cut off while streaming, after the first rows were parsed.
  const chunks = body.match(/[\s\S]{1,1000}/g)!;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const streamed = await importCsv(api.url, tenant, campaignId, stream);
  t.equal(streamed.status, 413);
  t.equal(await countRows(db.pool, 'contacts'), 0);
});

t.test('other content types are a 415', async (t) => {
  const { api, tenant, campaignId } = await setup(t);
  const bodies: Array<[string, string]> = [
    ['application/json', '{"phone": "+12125550100"}'],
    ['text/plain', 'phone\n+12125550100\n'],
    ['text/csv; charset=latin1', 'phone\n+12125550100\n'],
  ];
  for (const [contentType, body] of bodies) {
    const response = await importCsv(api.url, tenant, campaignId, body, { contentType });
    t.equal(response.status, 415, contentType);
    t.match(await response.json(), { error: { code: 'unsupported_media_type' } });
  }
});

t.test('a multipart/form-data upload: the file part is imported, form fields are skipped', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  const form = new FormData();
  form.append('note', 'a field before the file');
  form.append('file', new Blob([await fixture('small.csv')], { type: 'text/csv' }), 'small.csv');
  const response = await fetch(`${api.url}/v1/campaigns/${campaignId}/contacts/import`, {
    method: 'POST',
    headers: tenant.headers(),
    body: form,
  });
  t.equal(response.status, 201);
  t.match(await response.json(), {
    filename: 'small.csv',
    rows: 3,
    imported: 2,
    rejected: 1,
    errors: [{ line: 4, code: 'invalid_phone' }],
  });
  t.same((await contactsOf(db.pool, campaignId)).map((row) => [row.phone, row.variables]), [
    ['+12125550100', { city: 'New York' }],
    ['+442079460958', { city: 'London' }],
  ]);
});

t.test('a column mapping names the phone, name and zone columns; defaultRegion reads national numbers', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  const csv = 'Cell Number,Who,Zone Name,Phone\n020 7946 0958,Olivia,Europe/London,not used\n';
  const response = await importCsv(api.url, tenant, campaignId, csv, {
    query: '?phone=cell%20number&name=Who&timezone=Zone%20Name&defaultRegion=GB',
  });
  t.equal(response.status, 201);
  t.match(await response.json(), { imported: 1, rejected: 0 });
  t.same(await contactsOf(db.pool, campaignId), [
    { phone: '+442079460958', name: 'Olivia', time_zone: 'Europe/London', possible_time_zones: [], time_zone_source: 'column', variables: { Phone: 'not used' } },
  ]);

  const unknown = await importCsv(api.url, tenant, campaignId, csv, { query: '?phone=Mobile' });
  t.equal(unknown.status, 422);
  t.match(await unknown.json(), { error: { code: 'unknown_column' } });
  const badRegion = await importCsv(api.url, tenant, campaignId, csv, { query: '?defaultRegion=XX' });
  t.equal(badRegion.status, 400);
});

t.test('first and last name columns make the name and stay variables', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  const response = await importCsv(api.url, tenant, campaignId, 'First Name,Last_Name,Tel\nAda,Lovelace,212-555-0100\n');
  t.equal(response.status, 201);
  t.same((await contactsOf(db.pool, campaignId)).map((row) => [row.name, row.variables]), [
    ['Ada Lovelace', { 'First Name': 'Ada', Last_Name: 'Lovelace' }],
  ]);
});

t.test("another tenant's campaign is a 404, a completed one a 409, an unknown import a 404", async (t) => {
  const { db, api, tenant } = await setup(t);
  const other = await createTestTenant(db.pool);
  const theirs = await createCampaign(db.pool, other.id);
  const response = await importCsv(api.url, tenant, theirs, 'phone\n+12125550100\n');
  t.equal(response.status, 404);
  const completed = await createCampaign(db.pool, tenant.id, 'completed');
  t.equal((await importCsv(api.url, tenant, completed, 'phone\n+12125550100\n')).status, 409);
  t.equal(await countRows(db.pool, 'contacts'), 0);

  const mine: any = await (await importCsv(api.url, other, theirs, 'phone\n+12125550100\n')).json();
  const peek = await fetch(`${api.url}/v1/imports/${mine.importId}`, { headers: tenant.headers() });
  t.equal(peek.status, 404, "another tenant's import is not found");
});

t.test('an import into an active campaign schedules the new members and wakes the worker', async (t) => {
  const { db, api, tenant } = await setup(t);
  const campaignId = await createCampaign(db.pool, tenant.id, 'active');
  const listener = await db.pool.connect(async (connection) => {
    await connection.query(sql.unsafe`listen dialer_wake`);
    const response = await importCsv(api.url, tenant, campaignId, 'phone\n+12125550100\n+13125550101\n');
    t.equal(response.status, 201);
    // The notification arrives on this connection with the next round trip.
    await connection.query(sql.unsafe`select 1`);
    return true;
  });
  t.ok(listener);
  const calls = await db.pool.any(sql.type(z.object({ phone: z.string(), status: z.string() }))`
    select phone, status from dialer.calls where campaign_id = ${campaignId} order by phone`);
  t.same(calls, [
    { phone: '+12125550100', status: 'scheduled' },
    { phone: '+13125550101', status: 'scheduled' },
  ]);
});

t.test('a contact already known to the tenant joins the campaign; its name and column zone are refreshed', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  await importCsv(api.url, tenant, campaignId, 'phone,name,tz\n+12125550100,Old Name,America/Chicago\n');
  const second = await createCampaign(db.pool, tenant.id);
  const report: any = await (await importCsv(api.url, tenant, second, 'phone,name,tz\n+12125550100,New Name,\n')).json();
  t.match(report, { imported: 1, duplicates: 0 });
  const [contact] = await contactsOf(db.pool, second);
  t.match(contact, { name: 'New Name', time_zone: 'America/Chicago', time_zone_source: 'column' }, 'an area-code guess does not replace a zone given in a column');
  t.equal(await countRows(db.pool, 'contacts'), 1);
  t.equal(await countRows(db.pool, 'campaign_contacts'), 2);
});

t.test('two imports at once with the same numbers in opposite orders: no deadlock, each number imported once', async (t) => {
  const { db, api, tenant, campaignId } = await setup(t);
  const phones = Array.from({ length: 2500 }, (_, i) => `+1212555${String(i).padStart(4, '0')}`);
  const forward = `phone\n${phones.join('\n')}\n`;
  const backward = `phone\n${[...phones].reverse().join('\n')}\n`;
  const responses = await Promise.all([
    importCsv(api.url, tenant, campaignId, forward),
    importCsv(api.url, tenant, campaignId, backward),
  ]);
  t.same(responses.map((response) => response.status), [201, 201]);
  const reports: any[] = await Promise.all(responses.map((response) => response.json()));
  t.equal(reports[0].imported + reports[1].imported, 2500);
  t.equal(reports[0].duplicates + reports[1].duplicates, 2500);
  t.ok(reports.some((report) => report.imported === 2500), 'one import ran after the other');
  t.equal(await countRows(db.pool, 'campaign_contacts'), 2500);
});
