// Idle means idle, with deliveries pending too: a delivery queued while the worker sleeps is
// delivered at once (the receiver wakes the worker: context.wakeWorker('forward'), no LISTEN); one that failed makes the worker sleep until its retry
// (next_forward_at is part of next_wake_at) and wake for it, not sooner and not never.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { silentLogger } from '../../server/log.js';
import { systemClock } from '../../server/clock.js';
import { startWorker } from '../../server/worker/worker.js';
import { insertTenant, TEST_APP_SECRET, waitFor } from './fixtures.js';
import { startForwardTarget } from '../webhooks/forwardTarget.js';

const db = await createTestDatabase(t);
const target = await startForwardTarget(t);
let up = false;
target.on('/hook', () => (up ? { json: {} } : { status: 503 }));
// Long enough that the pass after the failure (on a loaded machine) still finds the retry ahead of it.
const RETRY_MS = 3_000;
const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: silentLogger,
  clock: systemClock,
  appSecret: TEST_APP_SECRET,
  publicUrl: 'http://127.0.0.1:9',
  vapiBaseUrl: 'http://127.0.0.1:9',
  settings: { minSleepMs: 200, forwardRetryBaseMs: RETRY_MS, forwardRetryMaxMs: RETRY_MS },
});
t.teardown(() => worker.stop());
await waitFor(() => worker.state().state === 'asleep', 15_000, 'the worker to fall asleep');

const tenantId = await insertTenant(db.pool);
const deliveryOf = (id: number) =>
  db.pool.one(sql.type(z.object({ state: z.string(), attempts: z.number(), next_attempt_at: z.string().nullable(), delivered_at: z.string().nullable() }))`
    select state, attempts, next_attempt_at, delivered_at from dialer.forwards where id = ${id}`);

t.test('queued while asleep: delivered at once; failed: asleep until the retry, then delivered', async (t) => {
  const queuedAt = Date.now();
  const eventId = await db.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
    insert into dialer.call_events (tenant_id, type, body_sha256, payload)
    values (${tenantId}::uuid, 'status-update', sha256('wake-1'::bytea), '{"message": {"type": "status-update", "status": "ended"}}')
    returning id`);
  // What the webhook receiver does for a relayed message: queue it, then wake the worker (forwardInbound.ts).
  await db.pool.query(sql.unsafe`select dialer.queue_forward(${eventId}, ${`${target.url}/hook`}, now())`);
  worker.wake('forward');
  const id = await db.pool.oneFirst(sql.type(z.object({ id: z.number() }))`select id from dialer.forwards where event_id = ${eventId}`);
  await waitFor(() => target.of('/hook').length === 1, 5_000, 'the first attempt');
  t.ok(target.of('/hook')[0]!.at - queuedAt < 1_000, `first attempt ${target.of('/hook')[0]!.at - queuedAt} ms after queueing, the worker asleep`);
  await waitFor(async () => (await deliveryOf(id)).attempts === 1 && (await deliveryOf(id)).state === 'pending', 5_000, 'the failure recorded');
  const retryAt = Date.parse((await deliveryOf(id)).next_attempt_at!);
  const sleepingUntil = () => {
    const state = worker.state();
    return state.state === 'asleep' && typeof state.until === 'string' ? state.until : undefined;
  };
  await waitFor(() => {
    const until = sleepingUntil();
    return until !== undefined && Date.parse(until) <= retryAt;
  }, 10_000, 'asleep until the retry');
  const state = { until: sleepingUntil() };
  t.ok(state.until && Math.abs(Date.parse(state.until) - retryAt) < 50, `sleeping until ${state.until}, the retry at ${new Date(retryAt).toISOString()}`);

  up = true;
  await waitFor(async () => (await deliveryOf(id)).state === 'delivered', 10_000, 'the retry');
  const delivered = await deliveryOf(id);
  t.equal(delivered.attempts, 2);
  t.equal(target.of('/hook').length, 2);
  t.ok(target.of('/hook')[1]!.at >= retryAt - 5, 'not before the retry instant');
  t.ok(target.of('/hook')[1]!.at - retryAt < 1_000, `woke for it: ${target.of('/hook')[1]!.at - retryAt} ms after`);
});
