// GET /v1/stats/calls: ended calls counted by outcome per hour or per day (in a chosen zone),
// with their cost: the overview's charts and "cost today", for integrators too.
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { callerOf } from './auth.js';
import { route } from './route.js';
import { instant, timeZone } from './schemas.js';

const statsQuery = z.object({
  bucket: z.enum(['hour', 'day']).default('hour'),
  from: instant.describe('calls ended at or after this instant'),
  to: instant.optional().describe('calls ended before this instant (default: now)'),
  timeZone: timeZone.default('UTC').describe('the zone hours and days are read in'),
  campaignId: z.uuid().optional(),
});

const outcomes = ['answered', 'no_answer', 'busy', 'voicemail', 'failed'] as const;

const bucketView = z.object({
  start: z.string().describe('the bucket\'s first instant'),
  answered: z.int(),
  noAnswer: z.int(),
  busy: z.int(),
  voicemail: z.int(),
  failed: z.int(),
  other: z.int().describe('ended without one of those outcomes'),
  cost: z.number().describe('USD'),
});

const statsView = z.object({
  bucket: z.enum(['hour', 'day']),
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  buckets: z.array(bucketView).describe('only buckets with calls, oldest first'),
  totals: bucketView.omit({ start: true }),
});

const row = z3.object({ start: z3.string(), outcome: z3.string().nullable(), calls: z3.number(), cost: z3.number() });
const camel: Record<string, keyof z.infer<typeof bucketView>> = { answered: 'answered', no_answer: 'noAnswer', busy: 'busy', voicemail: 'voicemail', failed: 'failed' };

export function installCallStatsRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'get',
      path: '/v1/stats/calls',
      summary: 'Ended calls by outcome per hour or day (in a time zone), with cost',
      tag: 'calls',
      query: statsQuery,
      responses: { 200: { description: 'the buckets', schema: statsView } },
    },
    async ({ query }, _request, response) => {
      const { tenantId } = callerOf(response);
      const to = query.to ?? context.clock.now().toISOString();
      const rows = await context.pool.any(sql.type(row)`
        select (date_trunc(${query.bucket}, ended_at at time zone ${query.timeZone}) at time zone ${query.timeZone}) as start,
               outcome, count(*)::int as calls, coalesce(sum(cost), 0)::float8 as cost
        from dialer.calls
        where tenant_id = ${tenantId} and status = 'ended'
          and ended_at >= ${query.from}::timestamptz and ended_at < ${to}::timestamptz
          ${query.campaignId ? sql.fragment`and campaign_id = ${query.campaignId}` : sql.fragment``}
        group by 1, 2 order by 1`);
      const empty = () => ({ answered: 0, noAnswer: 0, busy: 0, voicemail: 0, failed: 0, other: 0, cost: 0 });
      const buckets = new Map<string, ReturnType<typeof empty> & { start: string }>();
      const totals = empty();
      for (const { start, outcome, calls, cost } of rows) {
        const bucket = buckets.get(start) ?? { start, ...empty() };
        buckets.set(start, bucket);
        const field = outcome && (outcomes as readonly string[]).includes(outcome) ? camel[outcome]! : 'other';
        (bucket as Record<string, number | string>)[field] = (bucket[field as 'other'] as number) + calls;
        (totals as Record<string, number>)[field] = (totals[field as 'other'] as number) + calls;
        bucket.cost += cost;
        totals.cost += cost;
      }
      return { body: { bucket: query.bucket, timeZone: query.timeZone, from: new Date(query.from).toISOString(), to: new Date(to).toISOString(), buckets: [...buckets.values()], totals } };
    },
  );
}
