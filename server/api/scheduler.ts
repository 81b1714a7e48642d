// GET /v1/scheduler/status: what the scheduler sees for this tenant right now, read from the
// admin views (dialer.scheduler_status, dialer.campaign_progress, dialer.queue_health), so the
// API and psql always tell the same story. Counts are as of the database's now(), returned as
// `now` (one transaction: the three reads share it). The queues are the server's (shared by
// every tenant); only their counts are shown.
import type { Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { callerOf } from './auth.js';
import { route } from './route.js';
import { vapiStatusOf, vapiStatusView } from './settings.js';

const statusRow = z3.object({
  now: z3.string(),
  server_next_wake_at: z3.string().nullable(),
  next_wake_at: z3.string().nullable(),
  due_now: z3.number(),
  in_flight: z3.number(),
  concurrency_limit: z3.number(),
  vapi_blocked_at: z3.string().nullable(),
  vapi_blocked_reason: z3.string().nullable(),
});

const campaignRow = z3.object({
  campaign_id: z3.string(),
  name: z3.string(),
  status: z3.string(),
  next_window_open: z3.string().nullable(),
  pending: z3.number(),
  due_now: z3.number(),
  waiting_for_window: z3.number(),
  waiting_for_retry: z3.number(),
  held_by_concurrency: z3.number(),
  in_flight: z3.number(),
});

const queueRow = z3.object({
  queue: z3.string(),
  ready: z3.number(),
  deferred: z3.number(),
  retry: z3.number(),
  active: z3.number(),
  completed: z3.number(),
  cancelled: z3.number(),
  failed: z3.number(),
  failed_last_hour: z3.number(),
  oldest_ready_at: z3.string().nullable(),
  oldest_ready_seconds: z3.number().nullable(),
  next_start_after: z3.string().nullable(),
});

const schedulerStatus = z.object({
  now: z.string().describe("the database's now(), the instant every count is taken at"),
  nextWakeAt: z.string().nullable().describe('when something of this tenant next becomes due (null: nothing planned)'),
  dueNow: z.int().describe('calls the due gate allows now, before concurrency'),
  inFlight: z.int(),
  concurrencyLimit: z.int().describe('effective: the lower of the tenant\'s limit and VAPI\'s'),
  vapiStatus: vapiStatusView,
  worker: z
    .object({
      state: z.enum(['starting', 'awake', 'asleep', 'stopping', 'stopped', 'external']).describe('external: the worker runs in another process (or only ticks dial); the rest is what SQL says'),
      since: z.string().optional(),
      until: z.string().nullable().optional().describe('asleep: the wake-up its timer is set for (null: only a wake-up from outside)'),
      nextWakeAt: z.string().nullable().describe('the next instant anything of any tenant falls due (next_wake_at): when a sleeping worker wakes'),
    })
    .describe('the dialer worker of this server'),
  campaigns: z
    .array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        status: z.string(),
        nextWindowOpen: z.string().nullable(),
        due: z.int(),
        waiting: z.int().describe('scheduled but not dialable now'),
        waitingForWindow: z.int(),
        waitingForRetry: z.int(),
        heldByConcurrency: z.int(),
        inFlight: z.int(),
      }),
    )
    .describe('active and paused campaigns'),
  queues: z
    .array(
      z.object({
        name: z.string(),
        ready: z.int(),
        deferred: z.int(),
        retry: z.int(),
        active: z.int(),
        completed: z.int(),
        cancelled: z.int(),
        failed: z.int(),
        failedLastHour: z.int(),
        oldestReadyAt: z.string().nullable(),
        oldestReadySeconds: z.number().nullable(),
        nextStartAfter: z.string().nullable(),
      }),
    )
    .describe('pg-boss queues of the server (dialer.queue_health)'),
});

/** This process's worker as it knows itself; a worker elsewhere only as SQL tells: next_wake_at. */
function workerView(context: AppContext, serverNextWakeAt: string | null) {
  const local = context.workerState();
  const states = ['starting', 'awake', 'asleep', 'stopping', 'stopped'] as const;
  const state = states.find((name) => name === local.state) ?? 'external';
  if (state === 'external') return { state, nextWakeAt: serverNextWakeAt };
  return {
    state,
    ...(typeof local.since === 'string' ? { since: local.since } : {}),
    ...(state === 'asleep' ? { until: (local.until as string | null | undefined) ?? null } : {}),
    nextWakeAt: (local.nextWakeAt as string | null | undefined) ?? serverNextWakeAt,
  };
}

export function installSchedulerRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'get',
      path: '/v1/scheduler/status',
      summary: 'What the scheduler sees now: next wake-up, due and live calls, campaigns, job queues',
      responses: { 200: { description: 'the status', schema: schedulerStatus } },
    },
    async (_input, _request, response) => {
      const { tenantId } = callerOf(response);
      const { status, campaigns, queues } = await context.pool.transaction(async (connection) => ({
        status: await connection.one(sql.type(statusRow)`
        select now() as now, dialer.next_wake_at(now()) as server_next_wake_at, next_wake_at, due_now::int, in_flight::int, concurrency_limit::int, vapi_blocked_at, vapi_blocked_reason
        from dialer.scheduler_status where tenant_id = ${tenantId}`),
        campaigns: await connection.any(sql.type(campaignRow)`
        select campaign_id, name, status, next_window_open, pending::int, due_now::int, waiting_for_window::int,
               waiting_for_retry::int, held_by_concurrency::int, in_flight::int
        from dialer.campaign_progress
        where tenant_id = ${tenantId} and status in ('active', 'paused')
        order by name, campaign_id`),
        queues: await connection.any(sql.type(queueRow)`
        select queue, ready::int, deferred::int, retry::int, active::int, completed::int, cancelled::int, failed::int,
               failed_last_hour::int, oldest_ready_at, oldest_ready_seconds, next_start_after
        from dialer.queue_health`),
      }));
      return {
        body: {
          now: status.now,
          nextWakeAt: status.next_wake_at,
          dueNow: status.due_now,
          inFlight: status.in_flight,
          concurrencyLimit: status.concurrency_limit,
          vapiStatus: vapiStatusOf(status),
          worker: workerView(context, status.server_next_wake_at),
          campaigns: campaigns.map((c) => ({
            id: c.campaign_id,
            name: c.name,
            status: c.status,
            nextWindowOpen: c.next_window_open,
            due: c.due_now,
            waiting: Math.max(0, c.pending - c.due_now),
            waitingForWindow: c.waiting_for_window,
            waitingForRetry: c.waiting_for_retry,
            heldByConcurrency: c.held_by_concurrency,
            inFlight: c.in_flight,
          })),
          queues: queues.map((q) => ({
            name: q.queue,
            ready: q.ready,
            deferred: q.deferred,
            retry: q.retry,
            active: q.active,
            completed: q.completed,
            cancelled: q.cancelled,
            failed: q.failed,
            failedLastHour: q.failed_last_hour,
            oldestReadyAt: q.oldest_ready_at,
            oldestReadySeconds: q.oldest_ready_seconds,
            nextStartAfter: q.next_start_after,
          })),
        },
      };
    },
  );
}
