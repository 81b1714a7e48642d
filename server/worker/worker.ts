// The worker process side. A thin loop around SQL: one tick = plan occurrences, claim and dial
// what is due, then arm the next wake-up; it sleeps (no statements at all) when nothing is live
// and nothing is due soon. See server/worker/README.md for the wake-up design.
import type { DatabasePool } from 'slonik';
import type { PgBoss } from 'pg-boss';
import { createBoss } from '../../db/boss.js';
import type { WorkerState } from '../http/health.js';
import type { Logger } from '../log.js';
import type { Clock } from '../clock.js';
import { claimCalls, liveCallCount, nextWakeAt, planOccurrences } from '../../db/queries/dispatch.js';
import { earliestPendingJobAt } from '../../db/queries/bossJobs.js';
import { dialCall, type DialDeps } from './dialCall.js';
import { reconcile } from './reconcile.js';
import { createTenantClients } from './tenantClients.js';
import { createDialSteps } from './dialSteps.js';
import { listenForWakeUps, type WakeListener } from './wakeListener.js';
import { defaultWorkerSettings, type WorkerSettings } from './settings.js';
import { createForwardingCache } from './forwardingCache.js';
import { createForwardDeliveries } from './forwardDeliveries.js';
import { events } from '../events/bus.js';

export type Worker = {
  state(): WorkerState;
  /** Ask for a tick now (what a NOTIFY does); with `reconcile`, run the reconciliation sweep too (what the cron job does). */
  wake(reason: string, reconcile?: boolean): void;
  /** Resolves when no tick or sweep is running or requested. */
  settled(): Promise<void>;
  stop(): Promise<void>;
};

export type WorkerOptions = {
  databaseUrl: string;
  pool: DatabasePool;
  log: Logger;
  clock: Clock;
  appSecret: string;
  publicUrl: string;
  vapiBaseUrl: string;
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

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const { log, pool, clock } = options;
  const settings: WorkerSettings = { ...defaultWorkerSettings, ...options.settings };
  const deps: DialDeps = {
    pool,
    clock,
    log,
    settings,
    publicUrl: options.publicUrl,
    tenants: createTenantClients({
      appSecret: options.appSecret,
      defaultBaseUrl: options.vapiBaseUrl,
      requestTimeoutMs: settings.requestTimeoutMs,
    }),
    steps: createDialSteps(pool, clock),
    reportedLimits: new Map(),
    forwarding: createForwardingCache(),
  };
  // Relayed messages are delivered beside the tick (see forwardDeliveries.ts).
  const forwards = createForwardDeliveries({
    pool,
    clock,
    log,
    appSecret: options.appSecret,
    settings,
    onRetryScheduled: () => request('forward-retry'),
  });

  let state: WorkerState = { state: 'starting' };
  // pg-boss while awake: started in the background on waking, so the first tick does not wait.
  let bossReady: Promise<PgBoss | undefined> | undefined;
  let bossSetUp = false;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeJobAt: number | undefined;
  let tickRequested = false;
  let planRequested = true;
  let reconcileRequested = true; // at start: settle whatever a previous process left
  let loop: Promise<void> | undefined;
  const idleWaiters: Array<() => void> = [];

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
    // Handlers only ask for work and return: the tick loop does it, and a handler never
    // holds a job (or pg-boss's stop) hostage.
    await next.work(QUEUES.wake, async () => request('boss:wake'));
    await next.work(QUEUES.plan, async () => request('boss:plan'));
    await next.work(QUEUES.reconcile, async () => request('boss:reconcile', true));
    return next;
  }

  function ensureBoss(): Promise<PgBoss | undefined> {
    bossReady ??= startBoss().catch((error) => {
      log.error('worker.boss_start_failed', { error });
      bossReady = undefined;
      return undefined;
    });
    return bossReady;
  }

  async function stopBoss(): Promise<void> {
    const current = await bossReady;
    bossReady = undefined;
    wakeJobAt = undefined;
    await current?.stop({ graceful: true, close: true, timeout: 5_000 });
  }

  function armTimer(at: Date | null, reason: string): void {
    clearTimeout(timer);
    timer = undefined;
    if (!at || stopping) return;
    const delay = Math.max(0, at.getTime() - clock.now().getTime());
    timer = setTimeout(() => {
      timer = undefined;
      if (delay > MAX_TIMER_MS) armTimer(at, reason);
      // next_wake_at includes lease expiries, which only reconciliation settles.
      else request(reason, true);
    }, Math.min(delay, MAX_TIMER_MS));
  }

  /**
   * The durable record of the next wake-up: another or a restarted worker also wakes then.
   * Written in the background, in order, so the tick loop never waits for pg-boss (which may
   * still be starting); going to sleep waits for it.
   */
  let wakeJobWrites: Promise<void> = Promise.resolve();
  function recordWakeJob(at: Date | null): Promise<void> {
    if (!at) return wakeJobWrites;
    // pg-boss runs on real time; convert from our (possibly test) clock.
    const realAt = at.getTime() - (clock.now().getTime() - Date.now());
    wakeJobWrites = wakeJobWrites
      .then(async () => {
        if (wakeJobAt === realAt || stopping) return;
        const boss = await ensureBoss();
        if (!boss) return;
        await boss.upsert(QUEUES.wake, {}, { singletonKey: WAKE_JOB_KEY, startAfter: new Date(realAt) });
        wakeJobAt = realAt;
      })
      .catch((error) => log.error('worker.wake_job_failed', { error }));
    return wakeJobWrites;
  }

  /**
   * Claims and dials until nothing is claimable. Claims are pipelined with dialing: the next
   * batch is claimed as soon as the current one is under way, at most `concurrency` POSTs in flight.
   */
  async function dispatchDue(): Promise<number> {
    let dialed = 0;
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      const claimed = await claimCalls(pool, clock.now(), settings.batchSize, settings.leaseSeconds);
      for (const claim of claimed) {
        while (inFlight.size >= settings.concurrency) await Promise.race(inFlight);
        const dial: Promise<void> = dialCall(deps, claim)
          .then((outcome) => {
            if (outcome === 'dialed') dialed++;
          })
          // The claim stays 'dialing' until its lease ends; reconciliation settles it.
          .catch((error) => log.error('dial.failed', { callId: claim.call_id, error }))
          .finally(() => inFlight.delete(dial));
        inFlight.add(dial);
      }
      // A short claim means nothing else is claimable now (tenants another worker is claiming
      // are served by that worker); what becomes claimable later wakes us again.
      if (claimed.length < settings.batchSize || stopping) break;
    }
    await Promise.all(inFlight);
    return dialed;
  }

  async function tick(): Promise<void> {
    forwards.kick();
    void ensureBoss();
    if (state.state !== 'awake') events.worker((state = { state: 'awake', since: new Date().toISOString() }));
    const started = Date.now();
    let planned = 0;
    if (planRequested) {
      planRequested = false;
      planned = await planOccurrences(pool, clock.now());
    }
    let dialed = await dispatchDue();
    if (reconcileRequested) {
      reconcileRequested = false;
      await reconcile(deps);
      dialed += await dispatchDue(); // reconciliation may have released calls, due now
    }
    // Asked again meanwhile (a call ended): go straight to the next round, which re-reads all this.
    if (tickRequested) return;
    const now = clock.now();
    const next = await nextWakeAt(pool, now);
    armTimer(next, 'timer');
    log.debug('worker.tick', { at: now.toISOString(), planned, dialed, next: next?.toISOString() ?? null, ms: Date.now() - started });
    // Calls just dialed (so some are live): no sleep now.
    if (dialed > 0) {
      void recordWakeJob(next);
      return;
    }
    const live = await liveCallCount(pool);
    const nextInMs = next ? next.getTime() - now.getTime() : Infinity;
    if (live === 0 && nextInMs >= settings.minSleepMs) {
      const pendingJob = await earliestPendingJobAt(pool);
      const pendingInMs = pendingJob ? pendingJob.getTime() - Date.now() : Infinity;
      if (pendingInMs >= settings.minSleepMs) {
        await goToSleep(next, pendingJob ? new Date(clock.now().getTime() + pendingInMs) : null);
        return;
      }
    }
    void recordWakeJob(next);
  }

  async function goToSleep(next: Date | null, pendingJob: Date | null): Promise<void> {
    await recordWakeJob(next);
    const until = [next, pendingJob].filter((d): d is Date => d !== null).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
    await stopBoss();
    armTimer(until, 'timer');
    events.worker((state = { state: 'sleeping', since: new Date().toISOString(), until: until?.toISOString() ?? null }));
    log.info('worker.sleeping', { until: until?.toISOString() ?? null });
  }

  function request(reason: string, withReconcile = false): void {
    if (stopping) return;
    if (withReconcile) reconcileRequested = true;
    // A call's end frees a slot but changes nothing that plan_occurrences looks at.
    if (reason !== 'notify:call-ended') planRequested = true;
    tickRequested = true;
    log.debug('worker.wake', { reason });
    if (!loop) loop = runLoop().finally(() => (loop = undefined));
  }

  async function runLoop(): Promise<void> {
    while (tickRequested && !stopping) {
      tickRequested = false;
      try {
        await tick();
      } catch (error) {
        log.error('worker.tick_failed', { error });
        // Try again shortly rather than spin: the database may be restarting.
        armTimer(new Date(clock.now().getTime() + 5_000), 'retry-after-error');
      }
    }
    if (!tickRequested) for (const resolve of idleWaiters.splice(0)) resolve();
  }

  const listener: WakeListener = await listenForWakeUps({
    databaseUrl: options.databaseUrl,
    log,
    // A message queued for relay needs a delivery round, not a tick.
    onWake: (reason) => (reason === 'forward' ? forwards.kick() : request(`notify:${reason}`)),
  });
  request('start', true);
  log.info('worker.started', { settings });

  return {
    state: () => state,
    wake: (reason, withReconcile = false) => request(reason, withReconcile),
    settled: () => (loop || tickRequested ? new Promise<void>((resolve) => idleWaiters.push(resolve)) : Promise.resolve()),
    async stop() {
      stopping = true;
      state = { state: 'stopping' };
      clearTimeout(timer);
      await listener.close();
      await loop?.catch(() => {});
      await forwards.stop();
      await wakeJobWrites;
      await stopBoss();
      for (const resolve of idleWaiters.splice(0)) resolve();
      state = { state: 'stopped' };
      log.info('worker.stopped');
    },
  };
}
