// GET /v1/campaigns/:id/waiting: why the campaign's scheduled calls are not being dialed, from
// dialer.why_not at the API's now (the same answer psql's dialer.why_not_now gives): counts by
// reason with the earliest instant each lifts, and a page of examples, each in words.
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { notFound } from '../http/errors.js';
import { findCampaign } from '../../db/queries/campaigns.js';
import { callerOf } from './auth.js';
import { idParams } from './schemas.js';
import { cursorSchema, decodeCursor, limitSchema, page } from './pagination.js';
import { route } from './route.js';
import { waitingText } from './waitingText.js';

const reasonRow = z3.object({ reason: z3.string(), calls: z3.number(), next_lift_at: z3.string().nullable(), zone: z3.string().nullable() });
const exampleRow = z3.object({
  call_id: z3.string(),
  contact_id: z3.string(),
  name: z3.string().nullable(),
  phone: z3.string(),
  due_at: z3.string(),
  reason: z3.string(),
  until: z3.string().nullable(),
  zone: z3.string().nullable(),
});

const waitingView = z.object({
  at: z.string().describe('the instant the answer is for'),
  total: z.int().describe('scheduled calls of the campaign not being dialed at `at`'),
  reasons: z.array(
    z.object({
      reason: z.string().describe("dialer.why_not's reason, e.g. contact hours closed, window closed, retry not due"),
      calls: z.int(),
      nextLiftAt: z.string().nullable().describe('the earliest instant this reason stops holding one of them (null: not known)'),
      text: z.string().describe("e.g. \"outside the contact's calling hours until 08:00 America/Chicago\""),
    }),
  ),
  examples: z.array(
    z.object({
      callId: z.uuid(),
      contactId: z.uuid(),
      name: z.string().nullable(),
      phone: z.string(),
      dueAt: z.string(),
      reason: z.string(),
      until: z.string().nullable(),
      text: z.string(),
    }),
  ),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page of examples; null at the end'),
});

const waitingQuery = z.object({
  reason: z.string().max(300).optional().describe('only examples held by this reason'),
  limit: limitSchema(200, 20),
  cursor: cursorSchema,
});

export function installCampaignWaitingRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'get',
      path: '/v1/campaigns/:id/waiting',
      summary: "Why the campaign's calls wait: counts by reason, when each lifts, a page of examples (dialer.why_not)",
      tag: 'campaigns',
      params: idParams,
      query: waitingQuery,
      responses: { 200: { description: 'the waiting calls by reason', schema: waitingView } },
    },
    async ({ params, query }, _request, response) => {
      const caller = callerOf(response);
      const now = context.clock.now();
      const at = now.toISOString();
      const after = query.cursor ? decodeCursor(query.cursor, z.tuple([z.uuid()])) : undefined;
      const { campaign, reasons, examples } = await context.pool.transaction(async (connection) => {
        const campaign = await findCampaign(connection, caller.tenantId, params.id);
        if (!campaign) throw notFound('campaign');
        // why_not once, kept for both reads of this transaction.
        await connection.query(sql.unsafe`
          create temporary table waiting on commit drop as
          select held.call_id, held.contact_id, contact.name, held.phone, held.due_at, held.reason, held.until,
                 coalesce(contact.time_zone, contact.possible_time_zones[1]) as zone
          from dialer.why_not(${at}::timestamptz) held
          join dialer.contacts contact on contact.id = held.contact_id
          where held.campaign_id = ${params.id}::uuid and held.tenant_id = ${caller.tenantId}::uuid`);
        const reasons = await connection.any(sql.type(reasonRow)`
          select reason, count(*)::int as calls, min(until) as next_lift_at,
                 (array_agg(zone order by until nulls last))[1] as zone
          from waiting group by reason order by count(*) desc, reason`);
        const examples = await connection.any(sql.type(exampleRow)`
          select call_id, contact_id, name, phone, due_at, reason, until, zone from waiting
          where true
            ${query.reason ? sql.fragment`and reason = ${query.reason}` : sql.fragment``}
            ${after ? sql.fragment`and call_id > ${after[0]}::uuid` : sql.fragment``}
          order by call_id limit ${query.limit + 1}`);
        return { campaign, reasons, examples };
      });
      const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());
      const result = page(examples, query.limit, (row) => [row.call_id]);
      return {
        body: {
          at,
          total: reasons.reduce((sum, row) => sum + row.calls, 0),
          reasons: reasons.map((row) => ({
            reason: row.reason,
            calls: row.calls,
            nextLiftAt: iso(row.next_lift_at),
            text: waitingText(row.reason, iso(row.next_lift_at), { contact: row.zone, campaign: campaign.time_zone }, now),
          })),
          examples: result.items.map((row) => ({
            callId: row.call_id,
            contactId: row.contact_id,
            name: row.name,
            phone: row.phone,
            dueAt: new Date(row.due_at).toISOString(),
            reason: row.reason,
            until: iso(row.until),
            text: waitingText(row.reason, iso(row.until), { contact: row.zone, campaign: campaign.time_zone }, now),
          })),
          nextCursor: result.nextCursor,
        },
      };
    },
  );
}
