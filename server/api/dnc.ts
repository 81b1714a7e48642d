// The do-not-call list: add (normalised to E.164 like imports; cancels the number's pending
// calls: dialer.opt_out, source api), list (with where each entry came from), remove. Removing a
// number does not bring back calls cancelled when it was added. CSV import and export: dncCsv.ts.
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { normalizePhone } from '../csv/phone.js';
import { exactInstant } from '../../db/queries/keyset.js';
import { callerOf } from './auth.js';
import { cursorSchema, decodeCursor, limitSchema, page, pageOf } from './pagination.js';
import { route } from './route.js';

/** A phone in any common format as E.164 (national numbers read as US), or a 400 naming `path`. */
export function e164(raw: string, path: string): string {
  const number = normalizePhone(raw, 'US');
  if (typeof number === 'string') {
    throw new HttpError(400, 'validation_error', 'the request is not valid', [{ path, message: `"${raw}" is not a valid phone number` }]);
  }
  return number.e164;
}

export const dncSources = ['api', 'import', 'in-call', 'admin'] as const;

const dncEntry = z.object({
  phone: z.string().describe('E.164'),
  reason: z.string().nullable(),
  source: z.enum(dncSources).describe('where it came from: api (POST /v1/dnc), import (POST /v1/dnc/import), in-call (an opt-out during a call), admin (inserted by hand)'),
  sourceCallId: z.uuid().nullable().describe('for an in-call opt-out: the call during which the person opted out'),
  createdAt: z.string().describe('when the number was first listed'),
});
const dncRow = z3.object({
  phone: z3.string(),
  reason: z3.string().nullable(),
  source: z3.enum(dncSources),
  source_call_id: z3.string().nullable(),
  created_at: z3.string(),
});
const toEntry = (row: z3.infer<typeof dncRow>) => ({
  phone: row.phone,
  reason: row.reason,
  source: row.source,
  sourceCallId: row.source_call_id,
  createdAt: row.created_at,
});

export function installDncRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'post',
      path: '/v1/dnc',
      summary: 'Add a number to do-not-call; its pending calls are cancelled',
      description: '201 when added, 200 when it was already listed (the reason is replaced when one is given).',
      body: z.object({
        phone: z.string().trim().min(1).max(50).describe('any common format; national numbers are read as US'),
        reason: z.string().trim().min(1).max(500).optional(),
      }),
      responses: {
        201: { description: 'added', schema: dncEntry.extend({ cancelledCalls: z.int() }) },
        200: { description: 'already listed', schema: dncEntry.extend({ cancelledCalls: z.int() }) },
      },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      const phone = e164(body.phone, 'phone');
      const at = context.clock.now().toISOString();
      const row = await context.pool.transaction(async (connection) => {
        const added = await connection.one(sql.type(dncRow.extend({ added: z3.boolean(), cancelled_calls: z3.number() }))`
          select phone, reason, source, source_call_id, created_at, added, cancelled_calls
          from dialer.opt_out(${caller.tenantId}, ${phone}, 'api', null, ${at}::timestamptz, ${body.reason ?? null})`);
        await audit(connection, {
          tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'add', entity: 'dnc', entityId: phone,
          details: { reason: added.reason, cancelledCalls: added.cancelled_calls },
        });
        return added;
      });
      return { status: row.added ? 201 : 200, body: { ...toEntry(row), cancelledCalls: row.cancelled_calls } };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/dnc',
      summary: 'List do-not-call numbers, newest first',
      description: 'Keyset pagination: pass nextCursor as `cursor`. The whole list as CSV: GET /v1/dnc.csv.',
      query: z.object({
        limit: limitSchema(500, 100),
        cursor: cursorSchema,
        source: z.enum(dncSources).optional().describe('only the entries from this source'),
      }),
      responses: { 200: { description: 'a page of numbers', schema: pageOf(dncEntry) } },
    },
    async ({ query }, _request, response) => {
      const caller = callerOf(response);
      const after = query.cursor ? decodeCursor(query.cursor, z.tuple([z.string(), z.string()])) : undefined;
      const rows = await context.pool.any(sql.type(dncRow.extend({ sort_at: z3.string() }))`
        select phone, reason, source, source_call_id, created_at, ${exactInstant(['created_at'])} as sort_at from dialer.dnc
        where tenant_id = ${caller.tenantId}
          ${query.source ? sql.fragment`and source = ${query.source}` : sql.fragment``}
          ${after ? sql.fragment`and (created_at, phone) < (${after[0]}::timestamptz, ${after[1]})` : sql.fragment``}
        order by created_at desc, phone desc
        limit ${query.limit + 1}`);
      const result = page(rows, query.limit, (row) => [row.sort_at, row.phone]);
      return { body: { items: result.items.map(toEntry), nextCursor: result.nextCursor } };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/v1/dnc/:phone',
      summary: 'Remove a number from do-not-call (calls cancelled when it was added stay cancelled)',
      params: z.object({ phone: z.string().min(1).max(50).describe('the number, URL-encoded (+ as %2B or literal)') }),
      responses: { 204: { description: 'removed' } },
    },
    async ({ params }, _request, response) => {
      const caller = callerOf(response);
      const phone = e164(params.phone, 'phone');
      await context.pool.transaction(async (connection) => {
        const removed = await connection.maybeOne(sql.type(dncRow)`
          delete from dialer.dnc where tenant_id = ${caller.tenantId} and phone = ${phone}
          returning phone, reason, source, source_call_id, created_at`);
        if (!removed) throw notFound('do-not-call number');
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'remove', entity: 'dnc', entityId: phone });
      });
      return { status: 204 };
    },
  );
}
