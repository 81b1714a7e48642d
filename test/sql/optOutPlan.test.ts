// The cost of listing a number follows the number's own calls, not the tenant's history: the
// cancellation inside dialer.opt_out reads calls through the number's contact (calls_contact_idx),
// and a batch of the import never scans calls either. Its plan is read with auto_explain (nested statements, sent to the
// client as notices), on a tenant with 40,000 calls of history.
import t from 'tap';
import pg from 'pg';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures } from './fixtures.js';

const db = await createTestDatabase(t);
const f = fixtures(db.pool);
const tenantId = await f.tenant();
await db.pool.query(sql.unsafe`
  with contact as (
    insert into dialer.contacts (tenant_id, phone)
    select ${tenantId}::uuid, '+1303' || lpad(n::text, 7, '0') from generate_series(2000000, 2009999) n
    returning id, phone
  )
  insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, status, due_at, attempt)
  select ${tenantId}::uuid, id, phone, 'a', 'p', case when attempt = 4 then 'scheduled' else 'cancelled' end, ${AT}::timestamptz, attempt
  from contact cross join generate_series(1, 4) attempt`);
for (const table of ['contacts', 'calls', 'dnc']) await db.pool.query(sql.unsafe`analyze ${sql.identifier(['dialer', table])}`);

t.test('opt_out cancels through the contact index, without a sequential scan of calls', async (t) => {
  const client = new pg.Client(db.url);
  await client.connect();
  t.teardown(() => client.end());
  try {
    await client.query(`load 'auto_explain'`);
  } catch (error) {
    t.pass("the plan is not checked", { skip: `auto_explain is not installed on this server: ${(error as Error).message}` });
    return;
  }
  const plans: string[] = [];
  client.on('notice', (notice) => plans.push(notice.message ?? ''));
  await client.query(`set auto_explain.log_min_duration = 0; set auto_explain.log_nested_statements = on; set auto_explain.log_level = notice`);
  const result = await client.query(`select cancelled_calls from dialer.opt_out($1, '+13032004321', 'api', null, $2)`, [tenantId, AT]);
  t.equal(result.rows[0].cancelled_calls, 1, 'the number\'s one scheduled call');
  const update = plans.find((plan) => plan.includes('Update on calls'));
  t.ok(update, 'the cancellation\'s plan was seen');
  // An index scan, or on PostgreSQL 16 a bitmap scan, of the same index.
  t.match(update, /Index Scan (using calls_contact_idx on calls|on calls_contact_idx)/);
  t.notOk(plans.some((plan) => /Seq Scan on (calls|contacts)\b/.test(plan)), 'no sequential scan of calls or contacts');
  if (process.env.SHOW_PLANS) console.error(update);

  // A batch of the CSV import: 1,000 numbers at once.
  plans.length = 0;
  const phones = Array.from({ length: 1_000 }, (_, i) => `+1303${2_005_000 + i}`);
  const batch = await client.query(`select cancelled_calls from dialer.import_dnc_batch($1, $2, $3, $4)`, [tenantId, phones, phones.map(() => null), AT]);
  t.equal(batch.rows[0].cancelled_calls, 1_000);
  const batchUpdate = plans.find((plan) => plan.includes('Update on calls'));
  t.ok(batchUpdate, 'the batch cancellation\'s plan was seen');
  // With 1,000 numbers the planner may join the pending calls (a partial index) instead of probing
  // per contact, whichever costs less; it never reads the history. (When the batch names most of
  // the tenant's contacts, as here, PostgreSQL 16 reads the contacts whole: that is the cheaper plan.)
  t.notOk(plans.some((plan) => /Seq Scan on calls\b/.test(plan)), 'no sequential scan of calls for a batch either');
  if (process.env.SHOW_PLANS) console.error(batchUpdate);
});
