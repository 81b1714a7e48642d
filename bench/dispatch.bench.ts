// Dispatch lag and slot refill, measured against the VAPI simulator with the real worker and
// webhook receiver. Baseline in the same run: pg-boss with its default configuration delivering
// a delayed job (startAfter = the due instant) and an immediate job (what a worker driven by
// pg-boss polling would see).
//   dispatch lag: a call's due_at → its POST reaching the simulator (goal p99 ≤ 1 s);
//   slot refill: a call's ended webhook answered → the next POST, while calls wait for a slot
//                (goal p99 ≤ 0.5 s).
import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import { createDatabasePool } from '../db/pool.js';
import { createBoss } from '../db/boss.js';
import { createApp } from '../server/app.js';
import { listen } from '../server/httpServer.js';
import { loadConfig } from '../server/config.js';
import { createLogger, silentLogger } from '../server/log.js';
import { systemClock } from '../server/clock.js';
import { startWorker } from '../server/worker/worker.js';
import { notifyWorker } from '../server/worker/wake.js';
import { startVapiSimulator } from '../server/vapiSimulator/index.js';
import { insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET, waitFor } from '../test/worker/fixtures.js';
import type { BenchContext, BenchSection, Goal } from './types.js';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (value: number) => Math.round(value);

async function withDatabaseCopy<T>(context: BenchContext, work: (url: string) => Promise<T>): Promise<T> {
  const name = `${context.template}_dispatch_${randomBytes(3).toString('hex')}`;
  await createDatabase(context.serverUrl, name, context.template);
  try {
    return await work(withDatabase(context.serverUrl, name));
  } finally {
    await dropDatabase(context.serverUrl, name);
  }
}

async function measureWorker(context: BenchContext, sizes: { due: number; spacingMs: number; refillCalls: number }) {
  return withDatabaseCopy(context, async (url) => {
    const pool = await createDatabasePool(url);
    const sim = await startVapiSimulator({ concurrencyLimit: 1000, timing: { queuedMs: 5, ringingMs: 10, talkMs: [100, 300], reportDelayMs: 5 } });
    const config = loadConfig({ APP_SECRET: TEST_APP_SECRET });
    const server = await listen(
      createApp({ config, secrets: { appSecret: TEST_APP_SECRET, adminToken: undefined }, log: silentLogger, pool, clock: systemClock, workerState: () => ({ state: 'external' }) }),
      0,
      '127.0.0.1',
    );
    const worker = await startWorker({ databaseUrl: url, listenUrl: url, pool, log: process.env.BENCH_DEBUG ? createLogger('debug', {}, (line) => process.stderr.write(line + '\n')) : silentLogger, clock: systemClock, appSecret: TEST_APP_SECRET, publicUrl: server.url, vapiBaseUrl: sim.url });
    try {
      // Dispatch lag: calls falling due one by one, the worker told only once.
      const tenantId = await insertTenant(pool, { vapiBaseUrl: sim.url, concurrencyLimit: 1000 });
      const start = Date.now() + 3_000;
      const dueAt = new Map<string, number>();
      for (let i = 0; i < sizes.due; i++) {
        const phone = `+1555600${String(i).padStart(4, '0')}`;
        const contact = await insertContact(pool, tenantId, phone);
        const at = start + i * sizes.spacingMs;
        dueAt.set(await insertDirectCall(pool, tenantId, contact, phone, new Date(at)), at);
      }
      await notifyWorker(pool, 'bench');
      await waitFor(() => sim.dials().filter((d) => dueAt.has(d.externalId ?? '')).length === sizes.due, start - Date.now() + sizes.due * sizes.spacingMs + 30_000, 'dispatch');
      const lags = sim.dials().filter((d) => dueAt.has(d.externalId ?? '')).map((d) => d.at - dueAt.get(d.externalId!)!);
      await sim.idle();
      await waitFor(() => worker.state().state === 'asleep', 30_000, 'sleep');

      // Slot refill: a tenant limited to 5 live calls, many calls waiting.
      const refillTenant = await insertTenant(pool, { vapiBaseUrl: sim.url, concurrencyLimit: 5 });
      const refillIds = new Set<string>();
      for (let i = 0; i < sizes.refillCalls; i++) {
        const phone = `+1555700${String(i).padStart(4, '0')}`;
        const contact = await insertContact(pool, refillTenant, phone);
        refillIds.add(await insertDirectCall(pool, refillTenant, contact, phone, new Date()));
      }
      await notifyWorker(pool, 'bench');
      await waitFor(() => sim.dials().filter((d) => refillIds.has(d.externalId ?? '')).length === sizes.refillCalls, 120_000, 'refill');
      await sim.idle();
      const posts = sim.dials().filter((d) => refillIds.has(d.externalId ?? '')).map((d) => d.at).sort((a, b) => a - b);
      const lastPost = posts[posts.length - 1]!;
      const refillVapiIds = new Set(sim.dials().filter((d) => refillIds.has(d.externalId ?? '')).map((d) => d.callId));
      const ends = sim.webhooksSent
        .filter((w) => refillVapiIds.has(w.callId) && w.type === 'status-update' && w.status === 'ended' && w.responseStatus === 200 && !w.duplicate)
        .map((w) => w.at + w.durationMs)
        .filter((end) => end < lastPost);
      const refills = ends.map((end) => posts.find((post) => post >= end)! - end).filter((lag) => Number.isFinite(lag));
      return { lags, refills };
    } finally {
      await worker.stop();
      await server.close();
      await sim.close();
      await pool.end();
    }
  });
}

/**
 * pg-boss, default configuration: a delayed job's lateness, and an immediate job's delivery time.
 * Jobs are spaced wider than its 2 s poll, so this is latency, not a backlog (with batchSize 1,
 * a default worker takes one job per poll).
 */
async function measurePgBoss(context: BenchContext, samples: number, spacingMs: number) {
  return withDatabaseCopy(context, async (url) => {
    const boss = createBoss(url, { migrate: false });
    boss.on('error', () => {});
    await boss.start();
    const received = new Map<string, number>();
    for (const queue of ['bench-delayed', 'bench-immediate']) {
      await boss.createQueue(queue);
      await boss.work<{ key: string }>(queue, async ([job]) => {
        received.set(job!.data.key, Date.now());
      });
    }
    try {
      const delayed = new Map<string, number>();
      const start = Date.now() + 3_000;
      for (let i = 0; i < samples; i++) {
        const at = start + i * spacingMs;
        delayed.set(`d${i}`, at);
        await boss.send('bench-delayed', { key: `d${i}` }, { startAfter: new Date(at) });
      }
      const immediate = new Map<string, number>();
      for (let i = 0; i < samples; i++) {
        await new Promise((resolve) => setTimeout(resolve, spacingMs));
        immediate.set(`i${i}`, Date.now());
        await boss.send('bench-immediate', { key: `i${i}` });
      }
      await waitFor(() => received.size === samples * 2, 60_000, 'pg-boss jobs');
      return {
        delayed: [...delayed].map(([key, at]) => received.get(key)! - at),
        immediate: [...immediate].map(([key, at]) => received.get(key)! - at),
      };
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  });
}

export async function run(context: BenchContext): Promise<BenchSection> {
  const sizes = context.quick ? { due: 8, spacingMs: 300, refillCalls: 20 } : { due: 50, spacingMs: 200, refillCalls: 150 };
  const measured = await measureWorker(context, sizes);
  const baseline = await measurePgBoss(context, context.quick ? 4 : 16, 2_500);
  const figures = {
    dispatch_lag_p50_ms: round(percentile(measured.lags, 50)),
    dispatch_lag_p99_ms: round(percentile(measured.lags, 99)),
    dispatch_lag_max_ms: round(Math.max(...measured.lags)),
    slot_refill_p50_ms: round(percentile(measured.refills, 50)),
    slot_refill_p99_ms: round(percentile(measured.refills, 99)),
    pgboss_delayed_job_lag_p50_ms: round(percentile(baseline.delayed, 50)),
    pgboss_delayed_job_lag_p99_ms: round(percentile(baseline.delayed, 99)),
    pgboss_immediate_job_p50_ms: round(percentile(baseline.immediate, 50)),
    pgboss_immediate_job_p99_ms: round(percentile(baseline.immediate, 99)),
    samples_dispatch: measured.lags.length,
    samples_refill: measured.refills.length,
  };
  const goals: Goal[] = [
    { name: 'dispatch lag p99', value: figures.dispatch_lag_p99_ms, target: '≤ 1000 ms', met: figures.dispatch_lag_p99_ms <= 1000 },
    { name: 'slot refill p99', value: figures.slot_refill_p99_ms, target: '≤ 500 ms', met: figures.slot_refill_p99_ms <= 500 },
  ];
  const table = [
    '| measure | pgdialer worker | baseline: pg-boss defaults |',
    '|---|---|---|',
    `| dispatch lag (due → POST), p50 / p99 / max | ${figures.dispatch_lag_p50_ms} / ${figures.dispatch_lag_p99_ms} / ${figures.dispatch_lag_max_ms} ms (${figures.samples_dispatch} calls) | delayed job (startAfter → handler) ${figures.pgboss_delayed_job_lag_p50_ms} / ${figures.pgboss_delayed_job_lag_p99_ms} ms |`,
    `| slot refill (ended webhook → next POST), p50 / p99 | ${figures.slot_refill_p50_ms} / ${figures.slot_refill_p99_ms} ms (${figures.samples_refill} ends) | immediate job (send → handler) ${figures.pgboss_immediate_job_p50_ms} / ${figures.pgboss_immediate_job_p99_ms} ms |`,
  ].join('\n');
  return {
    name: 'dispatch',
    figures,
    goals,
    table,
    notes:
      'The worker sleeps until next_wake_at on a local timer (and wakes on NOTIFY when a call ends); pg-boss alone sees a delayed or new job only on its next poll (every 2 s by default).',
  };
}
