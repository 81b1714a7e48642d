// Rows for the scheduling tests, inserted straight into the tables with overridable fields, so
// each test states only what matters to it. Columns are named as in the tables (snake_case).
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';

type Row = Record<string, unknown>;

/** A Wednesday afternoon in June (UTC), when the default scenario's call is due. */
export const AT = '2026-06-10T15:00:00.000Z';

let numbers = 0;
/** A fresh E.164 number. */
export const nextPhone = () => `+1555${String(++numbers).padStart(7, '0')}`;

const idRow = z.object({ id: z.string() });

/** Inserts one row; columns not given keep their defaults. Values go through jsonb_populate_record. */
export async function insertRow(pool: DatabasePool, table: string, row: Row): Promise<string> {
  const columns = Object.keys(row);
  const target = sql.identifier(['dialer', table]);
  return pool.oneFirst(sql.type(idRow)`
    insert into ${target} (${sql.join(columns.map((column) => sql.identifier([column])), sql.fragment`, `)})
    select ${sql.join(columns.map((column) => sql.identifier(['r', column])), sql.fragment`, `)}
    from jsonb_populate_record(null::${target}, ${JSON.stringify(row)}::jsonb) r
    returning id`);
}

export type Scenario = { tenantId: string; campaignId: string; contactId: string; callId: string; phone: string };

export function fixtures(pool: DatabasePool) {
  const tenant = (row: Row = {}) => insertRow(pool, 'tenants', { name: 'Tenant', ...row });
  const campaign = (tenantId: string, row: Row = {}) =>
    insertRow(pool, 'campaigns', {
      tenant_id: tenantId,
      name: 'Campaign',
      assistant_id: 'asst_1',
      phone_number_id: 'pn_1',
      time_zone: 'UTC',
      window_start: '00:00',
      window_end: '00:00',
      days: [1, 2, 3, 4, 5, 6, 7],
      status: 'active',
      ...row,
    });
  const contact = (tenantId: string, row: Row = {}) => insertRow(pool, 'contacts', { tenant_id: tenantId, phone: nextPhone(), ...row });
  const member = async (campaignId: string, contactId: string, variables: Row = {}) => {
    await pool.query(sql.unsafe`
      insert into dialer.campaign_contacts (campaign_id, contact_id, variables)
      values (${campaignId}, ${contactId}, ${JSON.stringify(variables)}::jsonb)`);
  };
  const call = async (row: Row & { tenant_id: string; contact_id: string }) => {
    const phone = row.phone ?? (await pool.oneFirst(sql.unsafe`select phone from dialer.contacts where id = ${row.contact_id}`));
    const direct = row.campaign_id ? {} : { assistant_id: 'asst_direct', phone_number_id: 'pn_direct' };
    return insertRow(pool, 'calls', { due_at: AT, ...direct, ...row, phone });
  };

  /** A tenant, an active all-week all-day campaign in UTC, a member contact, and its call due at AT. */
  const scenario = async (over: { tenant?: Row; campaign?: Row; contact?: Row; call?: Row; tenantId?: string } = {}): Promise<Scenario> => {
    const tenantId = over.tenantId ?? (await tenant(over.tenant));
    const campaignId = await campaign(tenantId, over.campaign);
    const contactId = await contact(tenantId, over.contact);
    await member(campaignId, contactId);
    const callId = await call({ tenant_id: tenantId, campaign_id: campaignId, contact_id: contactId, ...over.call });
    const phone = String(await pool.oneFirst(sql.unsafe`select phone from dialer.contacts where id = ${contactId}`));
    return { tenantId, campaignId, contactId, callId, phone };
  };

  /** The ids of the calls due_calls(at) returns for a tenant. */
  const dueIds = async (tenantId: string, at = AT) =>
    [...(await pool.anyFirst(sql.unsafe`select id from dialer.due_calls(${at}) where tenant_id = ${tenantId} order by id`))] as string[];

  const callRow = async (callId: string) => pool.one(sql.unsafe`select * from dialer.calls where id = ${callId}`);

  return { tenant, campaign, contact, member, call, scenario, dueIds, callRow };
}

let vapiIds = 0;
/** A fresh VAPI-style phone number id (a UUID). */
export const vapiId = () => `00000000-0000-4000-8000-${String(++vapiIds).padStart(12, '0')}`;

export type NumberRow = { number: string; max_concurrent_calls?: number; max_calls_per_day?: number; rest_after_unanswered?: number;
                          rest_minutes?: number; time_zone?: string; country?: string; country_calling_code?: string;
                          rested_until?: string; calls_today?: number; calls_day?: string };

/** Registers a caller number (dialer.phone_numbers) with a fresh VAPI id; returns the id. */
export async function registerNumber(pool: DatabasePool, tenantId: string, row: NumberRow): Promise<string> {
  const id = vapiId();
  const columns = { tenant_id: tenantId, vapi_phone_number_id: id, ...row };
  const keys = Object.keys(columns);
  await pool.query(sql.unsafe`
    insert into dialer.phone_numbers (${sql.join(keys.map((key) => sql.identifier([key])), sql.fragment`, `)})
    select ${sql.join(keys.map((key) => sql.identifier(['r', key])), sql.fragment`, `)}
    from jsonb_populate_record(null::dialer.phone_numbers, ${JSON.stringify(columns)}::jsonb) r`);
  return id;
}

/** A timestamptz value from SQL (ISO string) or null, normalised for comparison. */
export const iso = (value: unknown) => (value === null || value === undefined ? null : new Date(String(value)).toISOString());
