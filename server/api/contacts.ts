// A tenant's contacts: list/search, create, read, edit, delete (soft). Phones are normalised to
// E.164 as on import; a contact without an explicit zone gets one from its number (area code or
// single-zone country), like an imported one. Deleting sets deleted_at and cancels the
// contact's scheduled calls in the same transaction; a deleted contact is hidden here and
// restored by creating (or importing) the same number again.
import type { Router } from 'express';
import { sql, type CommonQueryMethods } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { CountryCode } from 'libphonenumber-js';
import type { AppContext } from '../context.js';
import { HttpError, conflict, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { callerOf } from './auth.js';
import { idParams } from './schemas.js';
import { route } from './route.js';
import { cursorSchema, decodeCursor, limitSchema, page, pageOf } from './pagination.js';
import { isRegion, normalizePhone, zonesOfNumber } from '../csv/phone.js';
import { loadTimeZones } from '../csv/timeZones.js';
import { importLimits } from '../csv/limits.js';
import { postalCode, stateCode } from '../csv/regions.js';

const contactRow = z3.object({
  id: z3.string(),
  phone: z3.string(),
  name: z3.string().nullable(),
  time_zone: z3.string().nullable(),
  time_zone_source: z3.string().nullable(),
  possible_time_zones: z3.array(z3.string()),
  attributes: z3.record(z3.unknown()),
  state: z3.string().nullable(),
  postal_code: z3.string().nullable(),
  person_key: z3.string().nullable(),
  jurisdictions: z3.array(z3.string()),
  created_at: z3.string(),
  updated_at: z3.string(),
});
type ContactRow = z3.infer<typeof contactRow>;
const columns = sql.fragment`id, phone, name, time_zone, time_zone_source, possible_time_zones, attributes, state, postal_code, person_key,
  jurisdictions, created_at, updated_at`;

const contact = z.object({
  id: z.uuid(),
  phone: z.string().describe('E.164'),
  name: z.string().nullable(),
  timeZone: z.string().nullable().describe('the contact\'s zone when known'),
  timeZoneSource: z.enum(['column', 'area_code', 'manual']).nullable().describe('where timeZone (or possibleTimeZones) came from'),
  possibleTimeZones: z.array(z.string()).describe('zones the number may be in when its area code spans several'),
  attributes: z.record(z.string(), z.unknown()),
  state: z.string().nullable().describe('US state or Canadian province (US-FL, CA-ON) whose calling rules apply, besides the area code\'s'),
  postalCode: z.string().nullable().describe('US ZIP or Canadian postal code: its state/province\'s rules apply too'),
  personKey: z.string().nullable().describe('contacts sharing it are one person for per-person caps (null: the contact itself)'),
  jurisdictions: z.array(z.string()).describe('every jurisdiction whose calling rules apply (area code, state, postal code): the strictest wins'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const toContact = (row: ContactRow): z.infer<typeof contact> => ({
  id: row.id,
  phone: row.phone,
  name: row.name,
  timeZone: row.time_zone,
  timeZoneSource: row.time_zone_source as z.infer<typeof contact>['timeZoneSource'],
  possibleTimeZones: row.possible_time_zones,
  attributes: row.attributes,
  state: row.state,
  postalCode: row.postal_code,
  personKey: row.person_key,
  jurisdictions: row.jurisdictions,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const attributes = z
  .record(z.string().max(200), z.unknown())
  .refine((value) => Object.keys(value).length <= importLimits.maxVariableColumns, `at most ${importLimits.maxVariableColumns} attributes`)
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= importLimits.maxVariablesBytes, `at most ${importLimits.maxVariablesBytes} bytes as JSON`)
  .describe('free attributes of the contact');
const name = z.string().trim().min(1).max(importLimits.maxNameLength);
const zoneName = z.string().min(1).max(100).describe('IANA time zone, e.g. America/New_York');
const place = {
  state: z.string().trim().transform((value, context) => {
    const code = stateCode(value);
    if (!code) context.addIssue({ code: 'custom', message: 'a US state or Canadian province code (FL, US-FL, ON, …)' });
    return code ?? value;
  }),
  postalCode: z.string().trim().transform((value, context) => {
    const code = postalCode(value);
    if (!code) context.addIssue({ code: 'custom', message: 'a US ZIP (12345, 12345-6789) or Canadian postal code (A1A 1A1)' });
    return code ?? value;
  }),
  personKey: z.string().trim().min(1).max(200),
};

const createBody = z.strictObject({
  phone: z.string().min(1).max(50).describe('any common format; national numbers are read in defaultRegion'),
  name: name.optional(),
  timeZone: zoneName.optional(),
  attributes: attributes.optional(),
  state: place.state.optional(),
  postalCode: place.postalCode.optional(),
  personKey: place.personKey.optional(),
  defaultRegion: z.string().default('US').refine(isRegion, 'not a supported ISO 3166 country code').optional(),
});

const patchBody = z.strictObject({
  name: name.nullable().optional(),
  timeZone: zoneName.nullable().optional().describe('null: forget the zone set by hand and infer it from the number again'),
  attributes: attributes.optional(),
  state: place.state.nullable().optional(),
  postalCode: place.postalCode.nullable().optional(),
  personKey: place.personKey.nullable().optional(),
});

const listQuery = z.object({
  q: z.string().trim().min(1).max(200).optional().describe('part of the name (case-insensitive) or of the phone number (digits)'),
  limit: limitSchema(500),
  cursor: cursorSchema,
});

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'validation_error', 'the request is not valid', [{ path, message }]);
}

type Zone = { time_zone: string | null; possible_time_zones: readonly string[]; time_zone_source: string | null };

/** The zone a contact gets: the one given (checked against Postgres's names), else its number's. */
async function zoneFor(connection: CommonQueryMethods, phone: string, given: string | undefined): Promise<Zone> {
  if (given !== undefined) {
    const zone = (await loadTimeZones(connection))(given);
    if (!zone) throw invalid('timeZone', `"${given}" is not a time zone name`);
    return { time_zone: zone, possible_time_zones: [], time_zone_source: 'manual' };
  }
  const number = normalizePhone(phone, 'US');
  const zones = typeof number === 'string' ? [] : zonesOfNumber(number);
  return {
    time_zone: zones.length === 1 ? zones[0]! : null,
    possible_time_zones: zones.length > 1 ? zones : [],
    time_zone_source: zones.length > 0 ? 'area_code' : null,
  };
}

const textArray = (values: readonly string[]) => sql.array([...values], 'text');

export function installContactRoutes(router: Router, context: AppContext): void {
  const { pool } = context;

  route(
    router,
    {
      method: 'get',
      path: '/v1/contacts',
      summary: 'List or search contacts (by phone order)',
      query: listQuery,
      responses: { 200: { description: 'a page of contacts', schema: pageOf(contact) } },
    },
    async ({ query }, _request, response) => {
      const { tenantId } = callerOf(response);
      const after = query.cursor ? decodeCursor(query.cursor, z.tuple([z.string()]))[0] : null;
      const digits = query.q?.replace(/\D/g, '') ?? '';
      const pattern = query.q ? `%${query.q.replace(/[\\%_]/g, '\\$&')}%` : null;
      const rows = await pool.any(sql.type(contactRow)`
        select ${columns} from dialer.contacts
        where tenant_id = ${tenantId} and deleted_at is null
          and (${after}::text is null or phone > ${after})
          and (${pattern}::text is null or name ilike ${pattern} or (${digits} <> '' and phone like ${`%${digits}%`}))
        order by phone
        limit ${query.limit + 1}`);
      const result = page(rows, query.limit, (row) => [row.phone]);
      return { body: { items: result.items.map(toContact), nextCursor: result.nextCursor } };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/v1/contacts',
      summary: 'Create a contact',
      description: 'A number that is already a contact is a 409; a deleted contact with the same number is restored with these values.',
      body: createBody,
      errors: [409],
      responses: { 201: { description: 'the contact', schema: contact } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const phone = normalizePhone(body.phone, (body.defaultRegion ?? 'US') as CountryCode);
      if (typeof phone === 'string') throw invalid('phone', `"${body.phone}" is not a valid phone number`);
      const at = context.clock.now().toISOString();
      const created = await pool.transaction(async (tx) => {
        const zone = await zoneFor(tx, phone.e164, body.timeZone);
        const row = await tx.maybeOne(sql.type(contactRow)`
          insert into dialer.contacts as c (tenant_id, phone, name, time_zone, possible_time_zones, time_zone_source, attributes,
                                            state, postal_code, person_key, created_at, updated_at)
          values (${caller.tenantId}, ${phone.e164}, ${body.name ?? null}, ${zone.time_zone}, ${textArray(zone.possible_time_zones)},
            ${zone.time_zone_source}, ${JSON.stringify(body.attributes ?? {})}::jsonb,
            ${body.state ?? null}, ${body.postalCode ?? null}, ${body.personKey ?? null}, ${at}, ${at})
          on conflict (tenant_id, phone) do update set
            name = excluded.name, time_zone = excluded.time_zone, possible_time_zones = excluded.possible_time_zones,
            time_zone_source = excluded.time_zone_source, attributes = excluded.attributes, state = excluded.state,
            postal_code = excluded.postal_code, person_key = excluded.person_key, deleted_at = null, updated_at = excluded.updated_at
          where c.deleted_at is not null
          returning ${columns}`);
        if (!row) throw conflict(`${phone.e164} is already a contact`);
        await audit(tx, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'create', entity: 'contact', entityId: row.id, details: { phone: row.phone } });
        return row;
      });
      response.set('Location', `/v1/contacts/${created.id}`);
      return { status: 201, body: toContact(created) };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/contacts/:id',
      summary: 'A contact',
      params: idParams,
      responses: { 200: { description: 'the contact', schema: contact } },
    },
    async ({ params }, _request, response) => {
      const row = await pool.maybeOne(sql.type(contactRow)`
        select ${columns} from dialer.contacts
        where id = ${params.id} and tenant_id = ${callerOf(response).tenantId} and deleted_at is null`);
      if (!row) throw notFound('contact');
      return { body: toContact(row) };
    },
  );

  route(
    router,
    {
      method: 'patch',
      path: '/v1/contacts/:id',
      summary: 'Edit a contact (name, time zone, attributes; the phone is its identity)',
      params: idParams,
      body: patchBody,
      responses: { 200: { description: 'the contact', schema: contact } },
    },
    async ({ params, body }, _request, response) => {
      const caller = callerOf(response);
      const at = context.clock.now().toISOString();
      const updated = await pool.transaction(async (tx) => {
        const current = await tx.maybeOne(sql.type(contactRow)`
          select ${columns} from dialer.contacts
          where id = ${params.id} and tenant_id = ${caller.tenantId} and deleted_at is null
          for update`);
        if (!current) throw notFound('contact');
        const zone: Zone =
          body.timeZone === undefined ? current : await zoneFor(tx, current.phone, body.timeZone ?? undefined);
        const row = await tx.one(sql.type(contactRow)`
          update dialer.contacts set
            name = ${body.name === undefined ? current.name : body.name},
            time_zone = ${zone.time_zone}, possible_time_zones = ${textArray(zone.possible_time_zones)},
            time_zone_source = ${zone.time_zone_source},
            attributes = ${JSON.stringify(body.attributes ?? current.attributes)}::jsonb,
            state = ${body.state === undefined ? current.state : body.state},
            postal_code = ${body.postalCode === undefined ? current.postal_code : body.postalCode},
            person_key = ${body.personKey === undefined ? current.person_key : body.personKey},
            updated_at = ${at}
          where id = ${current.id}
          returning ${columns}`);
        await audit(tx, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'contact', entityId: row.id, details: { changed: Object.keys(body) } });
        return row;
      });
      return { body: toContact(updated) };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/v1/contacts/:id',
      summary: 'Delete a contact (soft): it is never called again and its scheduled calls are cancelled',
      params: idParams,
      responses: { 204: { description: 'deleted' } },
    },
    async ({ params }, _request, response) => {
      const caller = callerOf(response);
      const at = context.clock.now().toISOString();
      await pool.transaction(async (tx) => {
        // delete_contact (sql/060_call_writes.sql): PD404 unknown or deleted.
        const cancelled = await tx.oneFirst(sql.type(z3.object({ count: z3.number() }))`
          select dialer.delete_contact(${caller.tenantId}::uuid, ${params.id}::uuid, ${at}::timestamptz) as count`);
        await audit(tx, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'delete', entity: 'contact', entityId: params.id, details: { cancelledCalls: cancelled } });
      });
      return { status: 204 };
    },
  );
}
