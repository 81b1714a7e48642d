// The import's place columns: state/province, postal/ZIP code and person key are stored (and the
// contact's jurisdictions follow); an unusable state or postal code is reported with its line and
// code, and the contact is kept without that candidate.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { createTestTenant } from '../helpers/tenant.js';
import { loadConfig } from '../../server/config.js';

t.test('CSV import: state, postal code and person key columns', async (t) => {
  const db = await createTestDatabase(t);
  const config = loadConfig({ APP_SECRET: 'test-secret-'.padEnd(40, 'x') });
  const api = await startTestApi(t, { pool: db.pool, config });
  const tenant = await createTestTenant(db.pool);
  const campaignId = await db.pool.oneFirst(sql.unsafe`
    insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
    values (${tenant.id}, 'C', 'a', 'p', 'America/New_York', '09:00', '17:00') returning id`);
  const csv = [
    'phone,name,State,ZIP Code,person_id',
    '+12125550101,Ann,fl,33101,ann',
    '+12125550102,Ann (mobile),,,ann',
    '+12125550103,Bob,Florida,1234,',
    '+14165550101,Cleo,ON,M5V 2T6,',
  ].join('\n');
  const response = await fetch(`${api.url}/v1/campaigns/${campaignId}/contacts/import`, {
    method: 'POST', headers: { ...tenant.headers(), 'content-type': 'text/csv' }, body: csv,
  });
  t.equal(response.status, 201);
  const report = (await response.json()) as { errors: Array<{ line: number; code: string }> };
  t.match(report, { rows: 4, imported: 4, rejected: 0 });
  t.same(report.errors.map((error: { line: number; code: string }) => [error.line, error.code]), [[4, 'bad_state'], [4, 'bad_postal_code']],
    'both bad values of line 4 reported; the row is kept');
  const contacts = await db.pool.any(sql.unsafe`
    select phone, state, postal_code, person_key, jurisdictions from dialer.contacts where tenant_id = ${tenant.id} order by phone`);
  t.same(contacts, [
    { phone: '+12125550101', state: 'US-FL', postal_code: '33101', person_key: 'ann', jurisdictions: ['US', 'US-FL', 'US-NY'] },
    { phone: '+12125550102', state: null, postal_code: null, person_key: 'ann', jurisdictions: ['US', 'US-NY'] },
    { phone: '+12125550103', state: null, postal_code: null, person_key: null, jurisdictions: ['US', 'US-NY'] },
    { phone: '+14165550101', state: 'CA-ON', postal_code: 'M5V 2T6', person_key: null, jurisdictions: ['CA', 'CA-ON'] },
  ]);
});
