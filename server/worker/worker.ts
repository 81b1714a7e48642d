// The worker process side: drives the state machine of lifecycle.ts. It carries out the
// machine's effects (a pass, the timer, pg-boss, the durable wake-up job) and feeds back what
// happened. Asleep it holds no database session: pg-boss is stopped, the pool's idle
// connections close within its idle timeout, and LISTEN is held only where the database is
// declared not serverless (DATABASE_LISTEN). See server/worker/README.md.
import type { DatabasePool } from 'slonik';
import type { PgBoss } from 'pg-boss';
import { createBoss } from '../../db/boss.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { liveCallCount } from '../../db/queries/dispatch.js';
import { earliestPendingJobAt } from '../../db/queries/bossJobs.js';
import type { DialDeps } from './dialCall.js';
import { createTenantClients } from './tenantClients.js';
import { createDialSteps } from './dialSteps.js';
import { listenForWakeUps, type WakeListener } from './wakeListener.js';
import { defaultWorkerSettings, type WorkerSettings } from './settings.js';
import { restAfterPass, transition, viewOf, type LifecycleEffect, type LifecycleEvent, type LifecycleState, type PassRequest, type WorkerStateView } from './lifecycle.js';
import { runPass } from './pass.js';
import { createForwardingCache } from './forwardingCache.js';
import { createForwardDeliveries } from './forwardDeliveries.js';
import { events } from '../events/bus.js';

export type Worker = {
  state(): WorkerStateView;
  /** Ask for a pass now (what the API does in-process); with `reconcile`, run the reconciliation sweep too. */
  wake(reason: string, reconcile?: boolean): void;
  /** Resolves when no pass is running or queued. */
  settled(): Promise<void>;
  stop(): Promise<void>;
};

export type WorkerOptions = {
  /** pg-boss's connection (the pooled URL works: pg-boss 12 keeps no session state). */
  databaseUrl: string;
  pool: DatabasePool;
  log: Logger;
  clock: Clock;
  appSecret: string;
  publicUrl: string;
  vapiBaseUrl: string;
  /** Hold a LISTEN session on dialer_wake (even asleep) on this URL; unset: no LISTEN at all. */
  listenUrl?: string;
  settings?: Partial<WorkerSettings>;
  /** Overrides for pg-boss's constructor (tests and benchmarks). */
  bossOptions?: Parameters<typeof createBoss>[1];
};

export const QUEUES = {
  wake: 'dialer-wake',
  reconcile: 'dialer-reconcile',
  plan: 'dialer-plan',
} as const;
const CRON = { reconcile: '* * * * *', plan: '*/15 * * * *' };
const WAKE_JOB_KEY = 'next';
// setTimeout takes at most 2^31-1 ms; longer sleeps re-arm.
const MAX_TIMER_MS = 2 ** 31 - 1;
const RETRY_AFTER_ERROR_MS = 5_000;

export function createDialDeps(options: Pick<WorkerOptions, 'pool' | 'clock' | 'log' | 'appSecret' | 'publicUrl' | 'vapiBaseUrl'>, settings: WorkerSettings): DialDeps {
  return {
    pool: options.pool,
    clock: options.clock,
    log: options.log,
    settings,
    publicUrl: options.publicUrl,
    tenants: createTenantClients({ appSecret: options.appSecret, defaultBaseUrl: options.vapiBaseUrl, requestTimeoutMs: settings.requestTimeoutMs }),
    steps: createDialSteps(options.pool, options.clock),
    reportedLimits: new Map(),
    forwarding: createForwardingCache(),
  };
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { log, pool, clock } = options;
  const settings: WorkerSettings = { ...defaultWorkerSettings, ...options.settings };
  const deps = createDialDeps(options, settings);
  // Relayed messages are delivered beside the pass (forwardDeliveries.ts), kicked by each pass and
  // by the queueing webhook; a retry falls due through next_wake_at (next_forward_at).
  const forwards = createForwardDeliveries({
    pool,
    clock,
    log,
    appSecret: options.appSecret,
    settings,
    onRetryScheduled: () => dispatch({ type: 'wake', at: now(), reason: 'forward-retry', reconcile: false }),
  });

  let state: LifecycleState = { name: 'starting' };
  let timer: NodeJS.Timeout | undefined;
  const settledWaiters: Array<() => void> = [];
  // pg-boss while awake: started in the background on waking, so the first pass does not wait.
  let bossReady: Promise<PgBoss | undefined> | undefined;
  let bossSetUp = false;
  let wakeJobAt: number | undefined;
  let wakeJobWrites: Promise<void> = Promise.resolve();
  let shutDown: Promise<void> | undefined;
  let passRunning: Promise<void> | undefined;

  const now = () => clock.now().getTime();
  const stopping = () => state.name === 'stopping' || state.name === 'stopped';

  function dispatch(event: LifecycleEvent): void {
    const before = viewOf(state).state;
    const result = transition(state, event);
    state = result.state;
    // Live events (GET /v1/events): awake, asleep until …
    const view = viewOf(state);
    if (view.state !== before) events.worker(view);
    for (const effect of result.effects) perform(effect);
  }

  function perform(effect: LifecycleEffect): void {
    switch (effect.type) {
      case 'run_pass':
        forwards.kick();
        passRunning = pass(effect.request);
        return;
      case 'start_boss':
        void ensureBoss();
        return;
      case 'arm_timer':
        armTimer(effect.at);
        return;
      case 'record_wake_job':
        void recordWakeJob(effect.next);
        return;
      case 'fall_asleep':
        void fallAsleep(effect.next);
        return;
      case 'log':
        log.info(effect.event, effect.fields);
        return;
      case 'settled':
        for (const resolve of settledWaiters.splice(0)) resolve();
        return;
      case 'shut_down':
        shutDown = closeEverything();
        return;
    }
  }

  async function pass(request: PassRequest): Promise<void> {
    try {
      const result = await runPass(deps, request, stopping);
      const at = now();
      const next = result.nextWakeAt?.getTime() ?? null;
      log.debug('worker.pass', { planned: result.planned, dialed: result.dialed, reconciled: result.reconciled, next: result.nextWakeAt?.toISOString() ?? null, ms: result.ms });
      // Calls just dialed are live: no need to look further.
      let rest = { rest: false, until: next };
      if (result.dialed === 0 && !stopping()) {
        const live = await liveCallCount(pool);
        // The earliest job waiting in pg-boss (any queue) bounds the sleep; pg-boss runs on real time.
        const pendingJob = live === 0 ? await earliestPendingJobAt(pool) : null;
        rest = restAfterPass({
          now: at,
          dialed: result.dialed,
          live,
          next,
          pendingJob: pendingJob ? pendingJob.getTime() + (at - Date.now()) : null,
          minSleepMs: settings.minSleepMs,
        });
      }
      dispatch({ type: 'pass_done', at: now(), next, rest: rest.rest, until: rest.until });
    } catch (error) {
      log.error('worker.pass_failed', { error });
      dispatch({ type: 'pass_failed', at: now(), retryAt: now() + RETRY_AFTER_ERROR_MS });
    }
  }

  function armTimer(at: number | null): void {
    clearTimeout(timer);
    timer = undefined;
    if (at === null || stopping()) return;
    const delay = Math.max(0, at - now());
    timer = setTimeout(() => {
      timer = undefined;
      if (delay > MAX_TIMER_MS) armTimer(at);
      // next_wake_at includes lease expiries, which only reconciliation settles.
      else dispatch({ type: 'wake', at: now(), reason: 'timer', reconcile: true });
    }, Math.min(delay, MAX_TIMER_MS));
  }

  async function startBoss(): Promise<PgBoss> {
    const next = createBoss(options.databaseUrl, { migrate: false, ...options.bossOptions });
    next.on('error', (error) => log.error('worker.boss_error', { error }));
    await next.start();
    if (!bossSetUp) {
      for (const name of Object.values(QUEUES)) await next.createQueue(name);
      await next.schedule(QUEUES.reconcile, CRON.reconcile);
      await next.schedule(QUEUES.plan, CRON.plan);
      bossSetUp = true;
    }
    // Handlers only ask for a pass and return: a handler never holds a job (or pg-boss's stop) hostage.
    const wakeFor = (reason: string, reconcile = false) => async () => dispatch({ type: 'wake', at: now(), reason, reconcile });
    await next.work(QUEUES.wake, wakeFor('boss:wake'));
    await next.work(QUEUES.plan, wakeFor('boss:plan'));
    await next.work(QUEUES.reconcile, wakeFor('boss:reconcile', true));
    return next;
  }

  function ensureBoss(): Promise<PgBoss | undefined> {
    if (stopping()) return Promise.resolve(undefined);
    bossReady ??= startBoss().catch((error) => {
      log.error('worker.boss_start_failed', { error });
      bossReady = undefined;
      return undefined;
    });
    return bossReady;
  }

  async function stopBoss(): Promise<void> {
    const current = bossReady;
    bossReady = undefined;
    wakeJobAt = undefined;
    await (await current)?.stop({ graceful: true, close: true, timeout: 5_000 });
  }

  /**
   * The durable record of the next wake-up: another or a restarted worker also wakes then.
   * Written in the background, in order, so a pass never waits for pg-boss (which may still be
   * starting); falling asleep waits for it.
   */
  function recordWakeJob(at: number | null): Promise<void> {
    if (at === null) return wakeJobWrites;
    const realAt = at - (now() - Date.now()); // pg-boss runs on real time; ours may be a test clock
    wakeJobWrites = wakeJobWrites
      .then(async () => {
        if (wakeJobAt === realAt || stopping()) return;
        const boss = await ensureBoss();
        if (!boss) return;
        await boss.upsert(QUEUES.wake, {}, { singletonKey: WAKE_JOB_KEY, startAfter: new Date(realAt) });
        wakeJobAt = realAt;
      })
      .catch((error) => log.error('worker.wake_job_failed', { error }));
    return wakeJobWrites;
  }

  async function fallAsleep(next: number | null): Promise<void> {
    try {
      await recordWakeJob(next);
      await stopBoss();
    } catch (error) {
      log.error('worker.boss_stop_failed', { error });
    }
    dispatch({ type: 'slept', at: now() });
  }

  async function closeEverything(): Promise<void> {
    await listener?.close();
    await passRunning?.catch(() => {});
    await forwards.stop();
    await wakeJobWrites;
    await stopBoss().catch((error) => log.error('worker.boss_stop_failed', { error }));
    dispatch({ type: 'stopped' });
    log.info('worker.stopped');
  }

  const listener: WakeListener | undefined = options.listenUrl
    ? await listenForWakeUps({
        databaseUrl: options.listenUrl,
        log,
        // A message queued for relay needs a delivery round, not a pass.
        onWake: (reason) => (reason === 'forward' ? forwards.kick() : dispatch({ type: 'wake', at: now(), reason: `notify:${reason}`, reconcile: false })),
      })
    : undefined;
  log.info('worker.started', { settings, listen: Boolean(listener) });
  dispatch({ type: 'wake', at: now(), reason: 'start', reconcile: true });

  const busy = () => state.name === 'passing' || state.name === 'falling_asleep' || state.name === 'starting';
  return {
    state: () => viewOf(state),
    wake: (reason, reconcile = false) => dispatch({ type: 'wake', at: now(), reason, reconcile }),
    settled: () => (busy() ? new Promise<void>((resolve) => settledWaiters.push(resolve)) : Promise.resolve()),
    async stop() {
      dispatch({ type: 'stop' });
      await shutDown;
      for (const resolve of settledWaiters.splice(0)) resolve();
    },
  };
}
