// POST /v1/calls: one call outside any campaign, to a number (the contact is created, or
// restored, on the way) or to an existing contact. It is inserted as a scheduled call, so it
// goes through the same SQL gate as campaign calls (calling hours in the contact's zone, the
// per-number cap, the tenant's concurrency) and is dialed as soon as that allows, never before
// `at`. A number on the do-not-call list is refused up front (422) rather than silently held.
// A second direct call to a contact that already has one pending or live is refused (409): a
// client retrying a timed-out POST must not get the person called twice. Campaign calls do not
// count (the SQL gate keeps those from overlapping).
import type { Router } from 'express';
import { sql, type CommonQueryMethods } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { normalizePhone, zonesOfNumber } from '../csv/phone.js';
import { notifyWorker } from '../worker/wake.js';
import { callerOf } from './auth.js';
import { instant, variables } from './schemas.js';
import { route } from './route.js';
import { callDetailView } from './callSchemas.js';
import { callDetail } from './calls.js';

const directCallBody = z
  .object({
    phone: z.string().trim().min(1).max(50).optional().describe('any common format; national numbers are read as US'),
    contactId: z.uuid().optional(),
    assistantId: z.string().trim().min(1).max(100),
    phoneNumberId: z.string().trim().min(1).max(100),
    variables: variables.optional(),
    at: instant.optional().describe('not before this instant (default: as soon as allowed)'),
  })
  .strict()
  .refine((body) => (body.phone === undefined) !== (body.contactId === undefined), { message: 'give either phone or contactId', path: ['phone'] });

const idRow = z3.object({ id: z3.string(), phone: z3.string() });

/** The contact for a number: created with zones inferred from it, or found (and restored); locked either way. */
async function contactForPhone(connection: CommonQueryMethods, tenantId: string, raw: string) {
  const number = normalizePhone(raw, 'US');
  if (typeof number === 'string') {
    throw new HttpError(400, 'validation_error', 'the request is not valid', [{ path: 'phone', message: `"${raw}" is not a valid phone number` }]);
  }
  const zones = zonesOfNumber(number);
  return connection.one(sql.type(idRow)`
    insert into dialer.contacts (tenant_id, phone, time_zone, possible_time_zones, time_zone_source)
    values (${tenantId}, ${number.e164}, ${zones.length === 1 ? zones[0]! : null},
            ${sql.array(zones.length > 1 ? [...zones] : [], 'text')}, ${zones.length > 0 ? 'area_code' : null})
    on conflict on constraint contacts_tenant_phone_unique
    do update set deleted_at = null, updated_at = now()
    returning id, phone`);
}

async function existingContact(connection: CommonQueryMethods, tenantId: string, id: string) {
  const contact = await connection.maybeOne(sql.type(idRow)`
    select id, phone from dialer.contacts where id = ${id} and tenant_id = ${tenantId} and deleted_at is null
    for update`);
  if (!contact) throw notFound('contact');
  return contact;
}

export function installDirectCallRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'post',
      path: '/v1/calls',
      summary: 'Place a direct call (outside campaigns), as soon as calling hours and limits allow',
      description:
        '422 business_rule when the number is on the do-not-call list; 409 when the contact already has a direct call pending or live; 404 when contactId is not a contact of the tenant.',
      body: directCallBody,
      errors: [409, 422],
      responses: { 201: { description: 'the scheduled call', schema: callDetailView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const now = context.clock.now();
      const dueAt = new Date(Math.max(now.getTime(), body.at ? Date.parse(body.at) : 0)).toISOString();
      const callId = await context.pool.transaction(async (connection) => {
        const contact = body.contactId
          ? await existingContact(connection, caller.tenantId, body.contactId)
          : await contactForPhone(connection, caller.tenantId, body.phone!);
        // create_direct_call (sql/060_call_writes.sql): PD422 on do-not-call, PD409 when one is pending or live.
        const id = await connection.oneFirst(sql.type(z3.object({ id: z3.string() }))`
          select dialer.create_direct_call(${caller.tenantId}::uuid, ${contact.id}::uuid, ${body.assistantId}::text, ${body.phoneNumberId}::text,
                  ${sql.jsonb(JSON.parse(JSON.stringify(body.variables ?? {})))}, ${dueAt}::timestamptz) as id`);
        await audit(connection, {
          tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'create', entity: 'call', entityId: id,
          details: { phone: contact.phone, contactId: contact.id, dueAt },
        });
        await notifyWorker(connection, 'direct_call');
        return id;
      });
      context.wakeWorker?.('direct_call');
      return { status: 201, body: await callDetail(context.pool, caller.tenantId, callId) };
    },
  );
}
