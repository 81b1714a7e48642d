// Reading calls: the list (filters, newest first, keyset pages), the same list as a CSV stream,
// and one call with its webhook timeline. Direct calls are created in directCalls.ts.
import type { Router } from 'express';
import type { CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { notFound } from '../http/errors.js';
import { callEvents, findCall, listCalls } from '../../db/queries/calls.js';
import { forwardsOfCall, type ForwardRow } from '../../db/queries/forwards.js';
import { callerOf } from './auth.js';
import { idParams } from './schemas.js';
import { cursorSchema, decodeCursor, limitSchema, page, pageOf } from './pagination.js';
import { route } from './route.js';
import { callDetailView, callFilterQuery, callView, filtersOf, toCallView } from './callSchemas.js';
import { writeCallsCsv } from './callsCsv.js';

const keyset = z.tuple([z.string(), z.uuid()]);

/** One call of the tenant with its webhook timeline, or null. */
export async function callDetail(connection: CommonQueryMethods, tenantId: string, id: string): Promise<z.infer<typeof callDetailView> | null> {
  const row = await findCall(connection, tenantId, id);
  if (!row) return null;
  const events = await callEvents(connection, tenantId, id);
  const forwards = await forwardsOfCall(connection, tenantId, id);
  const forwardsOf = (eventId: number) => forwards.filter((forward) => forward.event_id === eventId).map(toForwardView);
  return {
    ...toCallView(row),
    assistantId: row.assistant_id,
    variables: row.variables,
    vapiStatus: row.vapi_status,
    transcript: row.transcript,
    recordingUrl: row.recording_url,
    summary: row.summary,
    analysis: row.analysis ?? null,
    costs: row.costs ?? null,
    costBreakdown: row.cost_breakdown ?? null,
    updatedAt: row.updated_at,
    events: events.map((event) => ({
      id: event.id,
      type: event.type,
      status: event.status,
      eventAt: event.event_at,
      receivedAt: event.received_at,
      appliedAt: event.applied_at,
      error: event.error,
      forwards: forwardsOf(event.id),
    })),
  };
}

const toForwardView = (row: ForwardRow) => ({
  id: row.id,
  mode: row.mode,
  url: row.url,
  state: row.state,
  attempts: row.attempts,
  lastAttemptAt: row.last_attempt_at,
  lastStatus: row.last_status,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at,
  deliveredAt: row.delivered_at,
});

export function installCallRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'get',
      path: '/v1/calls',
      summary: 'List calls, newest first (by created_at)',
      description: 'Filters combine with AND; `from`/`to` bound created_at. Keyset pagination: pass nextCursor as `cursor`.',
      query: callFilterQuery.extend({ limit: limitSchema(500, 100), cursor: cursorSchema }),
      responses: { 200: { description: 'a page of calls', schema: pageOf(callView) } },
    },
    async ({ query }, _request, response) => {
      const caller = callerOf(response);
      const before = query.cursor ? decodeCursor(query.cursor, keyset) : undefined;
      const rows = await listCalls(context.pool, caller.tenantId, { ...filtersOf(query), before }, query.limit + 1);
      const result = page(rows, query.limit, (row) => [row.sort_at, row.id]);
      return { body: { items: result.items.map(toCallView), nextCursor: result.nextCursor } };
    },
  );

  // Before /v1/calls/:id in the document; Express would not confuse them anyway ("calls.csv" has no slash).
  route(
    router,
    {
      method: 'get',
      path: '/v1/calls.csv',
      summary: 'The call list as CSV (same filters, every matching call, streamed)',
      query: callFilterQuery,
      responses: { 200: { description: 'CSV with a header line', schema: z.string(), contentType: 'text/csv' } },
    },
    async ({ query }, _request, response) => {
      const caller = callerOf(response);
      await writeCallsCsv(context.pool, caller.tenantId, filtersOf(query), response);
      return undefined;
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/calls/:id',
      summary: 'A call with its webhook timeline, transcript, recording URL, summary and cost',
      params: idParams,
      responses: { 200: { description: 'the call', schema: callDetailView } },
    },
    async ({ params }, _request, response) => {
      const call = await callDetail(context.pool, callerOf(response).tenantId, params.id);
      if (!call) throw notFound('call');
      return { body: call };
    },
  );
}
