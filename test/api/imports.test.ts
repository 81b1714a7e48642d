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
