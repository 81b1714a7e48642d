// The tenant's registry of caller numbers (dialer.phone_numbers): register, list, read, change,
// rest, remove. Which number a call uses, limits and rests are decided in SQL
// (sql/033_caller_numbers.sql); this module validates and maps.
import type { Router } from 'express';
import { sql, type CommonQueryMethods } from 'slonik';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { callerOf } from './auth.js';
import { instant, timeZone } from './schemas.js';
import { route } from './route.js';

/** VAPI phone-number ids are UUIDs; stored lowercase. */
export const vapiPhoneNumberId = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'not a VAPI phone number id (a UUID)')
  .transform((id) => id.toLowerCase())
  .describe('VAPI phone number id (a UUID)');

const limits = {
  label: z.string().trim().min(1).max(200).nullable().describe('a name for people'),
  timeZone: timeZone.nullable().describe("the zone of the number's local day (daily limit, daily-limit rest); null: its area code's first zone, else UTC"),
  maxConcurrentCalls: z.int().min(1).max(10_000).nullable().describe('live calls at once from this number; null: no limit'),
  maxCallsPerDay: z.int().min(1).max(1_000_000).nullable().describe("calls claimed per local day (midnight to midnight in timeZone); null: no limit"),
  restAfterUnanswered: z.int().min(1).max(1000).nullable().describe('rest the number after this many no_answer/busy ends in a row; null: never'),
  restMinutes: z.int().min(1).max(525_600).describe('how long such a rest lasts (default 1440)'),
};

const number = z.string().trim().min(1).max(50).describe('the number in E.164, e.g. +13055550100');

const createBody = z
  .object({
    vapiPhoneNumberId,
    number,
    label: limits.label.optional(),
    timeZone: limits.timeZone.optional(),
    maxConcurrentCalls: limits.maxConcurrentCalls.optional(),
    maxCallsPerDay: limits.maxCallsPerDay.optional(),
    restAfterUnanswered: limits.restAfterUnanswered.optional(),
    restMinutes: limits.restMinutes.optional(),
  })
  .strict();
const patchBody = z.object({ number, ...limits }).partial().strict();

const restBody = z
  .object({
    until: instant.nullable().describe('rest until then; null lifts a rest'),
    reason: z.string().trim().min(1).max(500).optional().describe('e.g. "flagged as spam by the carrier"'),
  })
  .strict();

const params = z.object({ id: vapiPhoneNumberId });

export const phoneNumberView = z.object({
  id: z.string().describe('the VAPI phone number id'),
  number: z.string(),
  label: z.string().nullable(),
  areaCode: z.string().nullable().describe('NANP area code'),
  jurisdictions: z.array(z.string()).describe('its states/provinces and country, as for contacts (e.g. ["US", "US-FL"])'),
  country: z.string().nullable().describe('ISO 3166-1 alpha-2'),
  timeZone: z.string(),
  maxConcurrentCalls: z.int().nullable(),
  maxCallsPerDay: z.int().nullable(),
  restAfterUnanswered: z.int().nullable(),
  restMinutes: z.int(),
  restedUntil: z.string().nullable(),
  restReason: z.string().nullable(),
  consecutiveUnanswered: z.int(),
  usedToday: z.int().describe('calls claimed since local midnight'),
  liveCalls: z.int(),
  hold: z.enum(['resting', 'daily limit', 'concurrent calls']).nullable().describe('why the number cannot take a call now; null: it can'),
  freeAt: z.string().nullable().describe('when a rest or the daily limit ends'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const numberRow = z3.object({
  vapi_phone_number_id: z3.string(),
  number: z3.string(),
  label: z3.string().nullable(),
  area_code: z3.string().nullable(),
  jurisdictions: z3.array(z3.string()),
  country: z3.string().nullable(),
  time_zone: z3.string(),
  max_concurrent_calls: z3.number().nullable(),
  max_calls_per_day: z3.number().nullable(),
  rest_after_unanswered: z3.number().nullable(),
  rest_minutes: z3.number(),
  rested_until: z3.string().nullable(),
  rest_reason: z3.string().nullable(),
  consecutive_unanswered: z3.number(),
  used_today: z3.number(),
  live_calls: z3.number(),
  hold: z3.enum(['resting', 'daily limit', 'concurrent calls']).nullable(),
  free_at: z3.string().nullable(),
  created_at: z3.string(),
  updated_at: z3.string(),
});

const toView = (row: z3.infer<typeof numberRow>): z.infer<typeof phoneNumberView> => ({
  id: row.vapi_phone_number_id,
  number: row.number,
  label: row.label,
  areaCode: row.area_code,
  jurisdictions: row.jurisdictions,
  country: row.country,
  timeZone: row.time_zone,
  maxConcurrentCalls: row.max_concurrent_calls,
  maxCallsPerDay: row.max_calls_per_day,
  restAfterUnanswered: row.rest_after_unanswered,
  restMinutes: row.rest_minutes,
  restedUntil: row.rested_until,
  restReason: row.rest_reason,
  consecutiveUnanswered: row.consecutive_unanswered,
  usedToday: row.used_today,
  liveCalls: row.live_calls,
  hold: row.hold,
  freeAt: row.free_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** The numbers of a tenant with their state at `at` (caller_number_hold). */
async function readNumbers(connection: CommonQueryMethods, tenantId: string, at: Date, id?: string) {
  return connection.any(sql.type(numberRow)`
    select pn.vapi_phone_number_id, pn.number, pn.label, pn.area_code, pn.jurisdictions, pn.country, pn.time_zone,
           pn.max_concurrent_calls, pn.max_calls_per_day, pn.rest_after_unanswered, pn.rest_minutes, pn.rested_until,
           pn.rest_reason, pn.consecutive_unanswered, state.used_today, live.calls as live_calls, state.hold, state.free_at,
           pn.created_at, pn.updated_at
    from dialer.phone_numbers pn
    cross join lateral (select dialer._caller_number_live(pn.tenant_id, pn.vapi_phone_number_id) as calls) live
    cross join lateral dialer.caller_number_hold(pn, live.calls, ${at.toISOString()}::timestamptz) state
    where pn.tenant_id = ${tenantId} ${id ? sql.fragment`and pn.vapi_phone_number_id = ${id}` : sql.fragment``}
    order by pn.number`);
}

const invalid = (path: string, message: string) => new HttpError(400, 'validation_error', 'the request is not valid', [{ path, message }]);

/** E.164 and the country libphonenumber gives it, or a 400 on `number`. */
function parseNumber(raw: string): { e164: string; country: string | null; callingCode: string } {
  const parsed = raw.startsWith('+') ? parsePhoneNumberFromString(raw) : undefined;
  if (!parsed || !parsed.isValid()) throw invalid('number', `"${raw}" is not a valid phone number in E.164 (+ and country code)`);
  return { e164: parsed.number, country: parsed.country ?? null, callingCode: parsed.countryCallingCode };
}

/** 400 with the field when the VAPI id or the number is already registered by the tenant. */
async function refuseDuplicates(connection: CommonQueryMethods, tenantId: string, vapiId: string | null, e164: string | null, except?: string) {
  const taken = await connection.any(sql.type(z3.object({ vapi_phone_number_id: z3.string(), number: z3.string() }))`
    select vapi_phone_number_id, number from dialer.phone_numbers
    where tenant_id = ${tenantId} and (vapi_phone_number_id = ${vapiId} or number = ${e164})
      and vapi_phone_number_id is distinct from ${except ?? null}`);
  const details = [
    ...(taken.some((row) => row.vapi_phone_number_id === vapiId) ? [{ path: 'vapiPhoneNumberId', message: 'this VAPI phone number is already registered' }] : []),
    ...(taken.some((row) => row.number === e164) ? [{ path: 'number', message: 'this number is already registered' }] : []),
  ];
  if (details.length) throw new HttpError(400, 'validation_error', 'the request is not valid', details);
}

/**
 * A campaign's pool: one number may be any VAPI id, registered or not (then it has no limits);
 * two or more must all be registered. 400 naming each bad entry (`phoneNumberIds.<i>`).
 */
export async function checkPool(connection: CommonQueryMethods, tenantId: string, ids: string[]): Promise<void> {
  if (ids.length < 2) return;
  const registered = new Set(await connection.anyFirst(sql.type(z3.object({ id: z3.string() }))`
    select vapi_phone_number_id as id from dialer.phone_numbers
    where tenant_id = ${tenantId} and vapi_phone_number_id = any(${sql.array(ids, 'text')})`));
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const details = ids.flatMap((id, index) =>
    registered.has(id)
      ? []
      : [{ path: `phoneNumberIds.${index}`,
           message: uuid.test(id) ? `"${id}" is not a registered phone number (POST /v1/phone-numbers)` : `"${id}" is not a VAPI phone number id (a UUID, lowercase) of a registered number` }]);
  if (details.length) throw new HttpError(400, 'validation_error', 'the request is not valid', details);
}

export function installPhoneNumberRoutes(router: Router, context: AppContext): void {
  const now = () => context.clock.now();
  const one = async (connection: CommonQueryMethods, tenantId: string, id: string) => {
    const [row] = await readNumbers(connection, tenantId, now(), id);
    if (!row) throw notFound('phone number');
    return toView(row);
  };

  route(
    router,
    {
      method: 'post',
      path: '/v1/phone-numbers',
      summary: 'Register a caller number (a VAPI phone number) with optional limits',
      description: 'Its area code, state/province and country come from the number. 400 when the VAPI id or the number is already registered.',
      body: createBody,
      responses: { 201: { description: 'the number', schema: phoneNumberView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const parsed = parseNumber(body.number);
      const view = await context.pool.transaction(async (connection) => {
        await refuseDuplicates(connection, caller.tenantId, body.vapiPhoneNumberId, parsed.e164);
        await connection.query(sql.unsafe`
          insert into dialer.phone_numbers (tenant_id, vapi_phone_number_id, number, country, country_calling_code, label, time_zone,
                                            max_concurrent_calls, max_calls_per_day, rest_after_unanswered, rest_minutes, created_at, updated_at)
          values (${caller.tenantId}, ${body.vapiPhoneNumberId}, ${parsed.e164}, ${parsed.country}, ${parsed.callingCode}, ${body.label ?? null},
                  ${body.timeZone ?? null}, ${body.maxConcurrentCalls ?? null}, ${body.maxCallsPerDay ?? null},
                  ${body.restAfterUnanswered ?? null}, ${body.restMinutes ?? 1440}, ${now().toISOString()}, ${now().toISOString()})`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'create', entity: 'phone_number', entityId: null, details: { id: body.vapiPhoneNumberId, number: parsed.e164 } });
        return one(connection, caller.tenantId, body.vapiPhoneNumberId);
      });
      return { status: 201, body: view };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/phone-numbers',
      summary: "The tenant's caller numbers, with their use today, live calls and whether they can take a call now",
      responses: { 200: { description: 'every registered number, by number', schema: z.object({ items: z.array(phoneNumberView) }) } },
    },
    async (_input, _request, response) => {
      const caller = callerOf(response);
      return { body: { items: (await readNumbers(context.pool, caller.tenantId, now())).map(toView) } };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/phone-numbers/:id',
      summary: 'A caller number (by its VAPI id)',
      params,
      responses: { 200: { description: 'the number', schema: phoneNumberView } },
    },
    async ({ params: { id } }, _request, response) => ({ body: await one(context.pool, callerOf(response).tenantId, id) }),
  );

  route(
    router,
    {
      method: 'patch',
      path: '/v1/phone-numbers/:id',
      summary: "Change a caller number's number, label, zone or limits (null clears a limit)",
      description: 'A new number without timeZone takes the zone of its area code again.',
      params,
      body: patchBody,
      responses: { 200: { description: 'the number after the change', schema: phoneNumberView } },
    },
    async ({ params: { id }, body }, _request, response) => {
      const caller = callerOf(response);
      const parsed = body.number !== undefined ? parseNumber(body.number) : undefined;
      const view = await context.pool.transaction(async (connection) => {
        if (parsed) await refuseDuplicates(connection, caller.tenantId, null, parsed.e164, id);
        const set = [
          ...(parsed ? [sql.fragment`number = ${parsed.e164}`, sql.fragment`country = ${parsed.country}`, sql.fragment`country_calling_code = ${parsed.callingCode}`] : []),
          ...(parsed && body.timeZone === undefined ? [sql.fragment`time_zone = null`] : []),
          ...(body.label !== undefined ? [sql.fragment`label = ${body.label}`] : []),
          ...(body.timeZone !== undefined ? [sql.fragment`time_zone = ${body.timeZone}`] : []),
          ...(body.maxConcurrentCalls !== undefined ? [sql.fragment`max_concurrent_calls = ${body.maxConcurrentCalls}`] : []),
          ...(body.maxCallsPerDay !== undefined ? [sql.fragment`max_calls_per_day = ${body.maxCallsPerDay}`] : []),
          ...(body.restAfterUnanswered !== undefined ? [sql.fragment`rest_after_unanswered = ${body.restAfterUnanswered}`] : []),
          ...(body.restMinutes !== undefined ? [sql.fragment`rest_minutes = ${body.restMinutes}`] : []),
          sql.fragment`updated_at = ${now().toISOString()}`,
        ];
        const updated = await connection.query(sql.unsafe`
          update dialer.phone_numbers set ${sql.join(set, sql.fragment`, `)}
          where tenant_id = ${caller.tenantId} and vapi_phone_number_id = ${id}`);
        if (updated.rowCount === 0) throw notFound('phone number');
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'phone_number', entityId: null, details: { id, fields: Object.keys(body) } });
        return one(connection, caller.tenantId, id);
      });
      return { body: view };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/v1/phone-numbers/:id/rest',
      summary: 'Rest a caller number until an instant (e.g. a carrier flagged it), or lift its rest (until null)',
      description: 'Calls go to the other numbers of their pools meanwhile; a campaign whose every number rests waits (why-not says until when).',
      params,
      body: restBody,
      responses: { 200: { description: 'the number', schema: phoneNumberView } },
    },
    async ({ params: { id }, body }, _request, response) => {
      const caller = callerOf(response);
      const view = await context.pool.transaction(async (connection) => {
        // rest_caller_number (sql/033): PD400 (until) not after now, PD404 unknown.
        await connection.query(sql.unsafe`
          select dialer.rest_caller_number(${caller.tenantId}, ${id}, ${body.until}::timestamptz, ${body.reason ?? null}, ${now().toISOString()}::timestamptz)`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'rest', entity: 'phone_number', entityId: null, details: { id, until: body.until, reason: body.reason ?? null } });
        return one(connection, caller.tenantId, id);
      });
      return { body: view };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/v1/phone-numbers/:id',
      summary: 'Remove a caller number (409 while a live call uses it); it leaves the pools of two or more numbers',
      description: 'Scheduled calls are given another number when claimed. A campaign whose only number it was keeps it, unregistered (no limits).',
      params,
      errors: [409],
      responses: { 204: { description: 'removed' } },
    },
    async ({ params: { id } }, _request, response) => {
      const caller = callerOf(response);
      await context.pool.transaction(async (connection) => {
        const pools = await connection.oneFirst(sql.type(z3.object({ pools: z3.number() }))`
          select dialer.delete_caller_number(${caller.tenantId}, ${id}, ${now().toISOString()}::timestamptz) as pools`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'delete', entity: 'phone_number', entityId: null, details: { id, poolsChanged: pools } });
      });
      return { status: 204 };
    },
  );
}
