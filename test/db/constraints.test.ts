// The database itself refuses bad data, whatever the code above it does.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { postgresErrorOf } from '../../server/http/errors.js';

const id = z.object({ id: z.string() });

t.test('constraints', async (t) => {
  const { pool } = await createTestDatabase(t);
  const tenantId = await pool.oneFirst(sql.type(id)`insert into dialer.tenants (name) values ('Acme') returning id`);
  const rejects = async (query: ReturnType<typeof sql.unsafe>, constraint: string, sqlState: string) => {
    const error = await pool.query(query).then(
      () => undefined,
      (e: unknown) => e,
    );
    const pgError = postgresErrorOf(error);
    t.equal(pgError?.code, sqlState, `${constraint}: SQLSTATE ${sqlState}`);
    t.equal(pgError?.constraint, constraint, `${constraint} is the constraint that refused it`);
  };

  await t.test('a bad enum value', async () => {
    await rejects(
      sql.unsafe`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, frequency)
                 values (${tenantId}, 'c', 'a', 'p', 'UTC', '09:00', '17:00', 'hourly')`,
      'campaigns_frequency_valid',
      '23514',
    );
    await rejects(
      sql.unsafe`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, status)
                 values (${tenantId}, 'c', 'a', 'p', 'UTC', '09:00', '17:00', 'running')`,
      'campaigns_status_valid',
      '23514',
    );
  });

  await t.test('out-of-range values and unknown time zones', async () => {
    await rejects(
      sql.unsafe`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
                 values (${tenantId}, 'c', 'a', 'p', 'Mars/Olympus_Mons', '09:00', '17:00')`,
      'campaigns_time_zone_valid',
      '23514',
    );
    await rejects(
      sql.unsafe`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, days)
                 values (${tenantId}, 'c', 'a', 'p', 'UTC', '09:00', '17:00', '{0,8}')`,
      'campaigns_days_valid',
      '23514',
    );
    await rejects(
      sql.unsafe`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end, max_attempts)
                 values (${tenantId}, 'c', 'a', 'p', 'UTC', '09:00', '17:00', 21)`,
      'campaigns_max_attempts_range',
      '23514',
    );
    await rejects(
      sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenantId}, '555-1234')`,
      'contacts_phone_e164',
      '23514',
    );
  });

  await t.test('a duplicate phone for a tenant', async () => {
    await pool.query(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenantId}, '+14155550100')`);
    await rejects(
      sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${tenantId}, '+14155550100')`,
      'contacts_tenant_phone_unique',
      '23505',
    );
    const other = await pool.oneFirst(sql.type(id)`insert into dialer.tenants (name) values ('Other') returning id`);
    await pool.query(sql.unsafe`insert into dialer.contacts (tenant_id, phone) values (${other}, '+14155550100')`);
    t.pass('another tenant may have the same number');
  });

  await t.test('an orphan call', async () => {
    await rejects(
      sql.unsafe`insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at)
                 values (${tenantId}, gen_random_uuid(), '+14155550100', 'a', 'p', now())`,
      'calls_contact_fk',
      '23503',
    );
  });

  await t.test('call rows keep their invariants', async () => {
    const contactId = await pool.oneFirst(sql.type(id)`select id from dialer.contacts where tenant_id = ${tenantId}`);
    await rejects(
      sql.unsafe`insert into dialer.calls (tenant_id, contact_id, phone, due_at) values (${tenantId}, ${contactId}, '+14155550100', now())`,
      'calls_direct_has_target',
      '23514',
    );
    await rejects(
      sql.unsafe`insert into dialer.calls (tenant_id, contact_id, phone, assistant_id, phone_number_id, due_at, status)
                 values (${tenantId}, ${contactId}, '+14155550100', 'a', 'p', now(), 'ended')`,
      'calls_outcome_iff_ended',
      '23514',
    );
    const campaignId = await pool.oneFirst(
      sql.type(id)`insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
                   values (${tenantId}, 'c', 'a', 'p', 'UTC', '09:00', '17:00') returning id`,
    );
    const attempt = sql.unsafe`insert into dialer.calls (tenant_id, campaign_id, contact_id, phone, due_at, attempt)
                               values (${tenantId}, ${campaignId}, ${contactId}, '+14155550100', now(), 1)`;
    await pool.query(attempt);
    await rejects(attempt, 'calls_attempt_unique', '23505');
  });
});
