// Campaigns: create (draft), list, read with progress, change while draft or paused, soft delete.
// The lifecycle (start, pause, resume, stop) is in campaignLifecycle.ts.
import type { Router } from 'express';
import { sql, type FragmentSqlToken as SqlFragment } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { conflict, notFound } from '../http/errors.js';
import { apiKeyActor, audit } from '../../db/queries/audit.js';
import { campaignColumns, campaignProgress, campaignRow, findCampaign } from '../../db/queries/campaigns.js';
import { exactInstant } from '../../db/queries/keyset.js';
import { callerOf } from './auth.js';
import { idParams } from './schemas.js';
import { cursorSchema, decodeCursor, limitSchema, page, pageOf } from './pagination.js';
import { route } from './route.js';
import { checkPool } from './phoneNumbers.js';
import {
  campaignProgressView,
  campaignView,
  createCampaignBody,
  patchCampaignBody,
  toCampaignView,
  type CampaignInput,
} from './campaignSchemas.js';
import { assertWithinMaxAttempts, overridesToRow, sequenceToRow } from './retrySequence.js';

const z3Count = z3.object({ count: z3.number() });

const editableStatuses = ['draft', 'paused'];

/** Column assignments for the fields present in a create or patch body. */
function assignments(input: CampaignInput): [string, SqlFragment][] {
  const out: [string, SqlFragment][] = [];
  const add = (column: string, value: SqlFragment) => out.push([column, value]);
  if (input.name !== undefined) add('name', sql.fragment`${input.name}`);
  if (input.assistantId !== undefined) add('assistant_id', sql.fragment`${input.assistantId}`);
  if (input.phoneNumberIds !== undefined) {
    add('phone_number_id', sql.fragment`${input.phoneNumberIds[0]!}`);
    add('phone_number_ids', sql.fragment`${sql.array(input.phoneNumberIds, 'text')}`);
  } else if (input.phoneNumberId !== undefined) {
    add('phone_number_id', sql.fragment`${input.phoneNumberId}`);
    add('phone_number_ids', sql.fragment`${sql.array([input.phoneNumberId], 'text')}`);
  }
  if (input.timeZone !== undefined) add('time_zone', sql.fragment`${input.timeZone}`);
  if (input.window !== undefined) {
    add('window_start', sql.fragment`${input.window.start}::time`);
    add('window_end', sql.fragment`${input.window.end}::time`);
  }
  if (input.days !== undefined) add('days', sql.fragment`${sql.array([...input.days].sort((a, b) => a - b), 'int4')}`);
  if (input.frequency !== undefined) add('frequency', sql.fragment`${input.frequency}`);
  if (input.maxAttempts !== undefined) add('max_attempts', sql.fragment`${input.maxAttempts}`);
  if (typeof input.retryDelayMinutes === 'number') {
    add('retry_delay_minutes', sql.fragment`${input.retryDelayMinutes}`);
    add('retry_delays', sql.fragment`'{}'::jsonb`);
  } else if (input.retryDelayMinutes !== undefined) {
    add('retry_delays', sql.fragment`${sql.jsonb(input.retryDelayMinutes)}`);
  }
  if (input.retryOutcomes !== undefined) add('retry_outcomes', sql.fragment`${sql.array([...new Set(input.retryOutcomes)], 'text')}`);
  if (input.retrySequence !== undefined) add('retry_sequence', sql.fragment`${sql.jsonb(sequenceToRow(input.retrySequence))}`);
  if (input.attemptOverrides !== undefined) add('attempt_overrides', sql.fragment`${sql.jsonb(JSON.parse(JSON.stringify(overridesToRow(input.attemptOverrides))))}`);
  if (input.maxConcurrency !== undefined) add('max_concurrency', sql.fragment`${input.maxConcurrency}`);
  if (input.startsOn !== undefined) add('starts_on', sql.fragment`${input.startsOn}::date`);
  if (input.endsOn !== undefined) add('ends_on', sql.fragment`${input.endsOn}::date`);
  if (input.blackoutDates !== undefined) add('blackout_dates', sql.fragment`${sql.array([...new Set(input.blackoutDates)].sort(), 'date')}`);
  if (input.forwardUrl !== undefined) add('forward_url', sql.fragment`${input.forwardUrl}`);
  if (input.variables !== undefined) add('variables', sql.fragment`${sql.jsonb(JSON.parse(JSON.stringify(input.variables)))}`);
  return out;
}

export const progressOf = (row: NonNullable<Awaited<ReturnType<typeof campaignProgress>>>): z.infer<typeof campaignProgressView> => ({
  contacts: row.contacts,
  pending: row.pending,
  dueNow: row.due_now,
  waitingForWindow: row.waiting_for_window,
  waitingForRetry: row.waiting_for_retry,
  heldByConcurrency: row.held_by_concurrency,
  heldByCallerNumbers: row.held_by_caller_numbers,
  inFlight: row.in_flight,
  answered: row.answered,
  noAnswer: row.no_answer,
  busy: row.busy,
  voicemail: row.voicemail,
  failed: row.failed,
  totalCost: row.total_cost ?? 0,
  byContact: {
    contacts: row.contacts,
    reached: row.contacts_reached,
    inFlight: row.contacts_in_flight,
    waiting: row.contacts_waiting,
    notReached: row.contacts_not_reached,
    notStarted: row.contacts_not_started,
  },
});

const callerNumberProgress = z.object({
  phoneNumberId: z.string(),
  number: z.string().nullable().describe('null for an unregistered number'),
  calls: z.int().describe('ended calls that count as attempts'),
  answered: z.int(),
  noAnswer: z.int(),
  busy: z.int(),
  voicemail: z.int(),
  failed: z.int(),
  inFlight: z.int(),
  answerRate: z.number().nullable().describe('answered / calls; null before any'),
});
const callerNumberRow = z3.object({
  phone_number_id: z3.string(), number: z3.string().nullable(), calls: z3.number(), answered: z3.number(), no_answer: z3.number(),
  busy: z3.number(), voicemail: z3.number(), failed: z3.number(), in_flight: z3.number(), answer_rate: z3.number().nullable(),
});

const campaignDetail = campaignView.extend({
  progress: campaignProgressView,
  callerNumbers: z.array(callerNumberProgress).describe('per caller number the calls were placed from (dialer.caller_number_progress): a flagged number shows a low answer rate'),
  nextWindowOpen: z.string().nullable().describe('when the campaign\'s window next opens on an allowed day (null: never again)'),
});

const listQuery = z.object({
  status: z
    .string()
    .regex(/^(draft|active|paused|completed|stopped)(,(draft|active|paused|completed|stopped))*$/, 'a status or comma-separated statuses: draft, active, paused, completed, stopped')
    .optional()
    .describe('e.g. active or active,paused'),
  limit: limitSchema(200),
  cursor: cursorSchema,
});
const listCursor = z.tuple([z.string(), z.uuid()]);

export function installCampaignRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'post',
      path: '/v1/campaigns',
      summary: 'Create a campaign (status draft)',
      body: createCampaignBody,
      responses: { 201: { description: 'the campaign', schema: campaignView } },
    },
    async ({ body }, _request, response) => {
      const caller = callerOf(response);
      assertWithinMaxAttempts(
        { maxAttempts: body.maxAttempts, sequenceLength: body.retrySequence.length, overrideAttempts: body.attemptOverrides.map((o) => o.attempt) },
        { maxAttempts: true, retrySequence: true, attemptOverrides: true },
      );
      const columns = assignments(body);
      const row = await context.pool.transaction(async (connection) => {
        if (body.phoneNumberIds) await checkPool(connection, caller.tenantId, body.phoneNumberIds);
        const created = await connection.one(sql.type(campaignRow)`
          insert into dialer.campaigns (tenant_id, ${sql.join(columns.map(([column]) => sql.identifier([column])), sql.fragment`, `)})
          values (${caller.tenantId}, ${sql.join(columns.map(([, value]) => value), sql.fragment`, `)})
          returning ${campaignColumns}`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'create', entity: 'campaign', entityId: created.id, details: { name: created.name } });
        return created;
      });
      return { status: 201, body: toCampaignView(row) };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/campaigns',
      summary: 'List campaigns, newest first (deleted ones are not listed)',
      description: 'Keyset pagination: pass the answer\'s nextCursor as `cursor` for the next page.',
      query: listQuery,
      responses: { 200: { description: 'a page of campaigns', schema: pageOf(campaignView) } },
    },
    async ({ query }, _request, response) => {
      const caller = callerOf(response);
      const after = query.cursor ? decodeCursor(query.cursor, listCursor) : undefined;
      const rows = await context.pool.any(sql.type(campaignRow.extend({ sort_at: z3.string() }))`
        select ${campaignColumns}, ${exactInstant(['created_at'])} as sort_at from dialer.campaigns
        where tenant_id = ${caller.tenantId} and deleted_at is null
          ${query.status ? sql.fragment`and status = any(${sql.array(query.status.split(','), 'text')})` : sql.fragment``}
          ${after ? sql.fragment`and (created_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql.fragment``}
        order by created_at desc, id desc
        limit ${query.limit + 1}`);
      const result = page(rows, query.limit, (row) => [row.sort_at, row.id]);
      return { body: { items: result.items.map(toCampaignView), nextCursor: result.nextCursor } };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/campaigns/:id',
      summary: 'A campaign, with its progress (dialer.campaign_progress) and next window opening',
      params: idParams,
      responses: { 200: { description: 'the campaign', schema: campaignDetail } },
    },
    async ({ params }, _request, response) => {
      const caller = callerOf(response);
      const row = await findCampaign(context.pool, caller.tenantId, params.id);
      if (!row) throw notFound('campaign');
      const progress = await campaignProgress(context.pool, caller.tenantId, params.id);
      if (!progress) throw notFound('campaign');
      const numbers = await context.pool.any(sql.type(callerNumberRow)`
        select phone_number_id, number, calls, answered, no_answer, busy, voicemail, failed, in_flight, answer_rate::float8 as answer_rate
        from dialer.caller_number_progress
        where tenant_id = ${caller.tenantId} and campaign_id = ${params.id}
        order by calls desc, phone_number_id`);
      const callerNumbers = numbers.map((n) => ({
        phoneNumberId: n.phone_number_id, number: n.number, calls: n.calls, answered: n.answered, noAnswer: n.no_answer, busy: n.busy,
        voicemail: n.voicemail, failed: n.failed, inFlight: n.in_flight, answerRate: n.answer_rate,
      }));
      return { body: { ...toCampaignView(row), progress: progressOf(progress), callerNumbers, nextWindowOpen: progress.next_window_open } };
    },
  );

  route(
    router,
    {
      method: 'patch',
      path: '/v1/campaigns/:id',
      summary: 'Change a campaign (only while draft or paused: 409 otherwise)',
      description: 'Fields left out keep their value.',
      params: idParams,
      body: patchCampaignBody,
      errors: [409],
      responses: { 200: { description: 'the campaign after the change', schema: campaignView } },
    },
    async ({ params, body }, _request, response) => {
      const caller = callerOf(response);
      const columns = assignments(body);
      const row = await context.pool.transaction(async (connection) => {
        const current = await findCampaign(connection, caller.tenantId, params.id, true);
        if (!current) throw notFound('campaign');
        if (!editableStatuses.includes(current.status)) throw conflict(`a campaign can be changed only while draft or paused (it is ${current.status})`);
        // The sequence and the overrides must fit maxAttempts as the campaign will be after the change.
        assertWithinMaxAttempts(
          {
            maxAttempts: body.maxAttempts ?? current.max_attempts,
            sequenceLength: (body.retrySequence ?? current.retry_sequence).length,
            overrideAttempts: body.attemptOverrides?.map((o) => o.attempt) ?? current.attempt_overrides.map((o) => o.attempt),
          },
          { maxAttempts: body.maxAttempts !== undefined, retrySequence: body.retrySequence !== undefined, attemptOverrides: body.attemptOverrides !== undefined },
        );
        if (body.phoneNumberIds) await checkPool(connection, caller.tenantId, body.phoneNumberIds);
        const updated = await connection.one(sql.type(campaignRow)`
          update dialer.campaigns
          set ${sql.join([...columns.map(([column, value]) => sql.fragment`${sql.identifier([column])} = ${value}`), sql.fragment`updated_at = now()`], sql.fragment`, `)}
          where id = ${params.id}
          returning ${campaignColumns}`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'update', entity: 'campaign', entityId: params.id, details: { fields: Object.keys(body) } });
        return updated;
      });
      return { body: toCampaignView(row) };
    },
  );

  route(
    router,
    {
      method: 'delete',
      path: '/v1/campaigns/:id',
      summary: 'Delete a campaign (soft; 409 while active); its scheduled calls are cancelled',
      params: idParams,
      errors: [409],
      responses: { 204: { description: 'deleted' } },
    },
    async ({ params }, _request, response) => {
      const caller = callerOf(response);
      await context.pool.transaction(async (connection) => {
        // delete_campaign (sql/060_call_writes.sql): PD404 unknown, PD409 while active.
        const cancelled = await connection.oneFirst(sql.type(z3Count)`
          select dialer.delete_campaign(${caller.tenantId}::uuid, ${params.id}::uuid, ${context.clock.now().toISOString()}::timestamptz) as count`);
        await audit(connection, { tenantId: caller.tenantId, actor: apiKeyActor(caller.apiKeyId), action: 'delete', entity: 'campaign', entityId: params.id, details: { cancelledCalls: cancelled } });
      });
      return { status: 204 };
    },
  );
}
