// One pass for hosts that only run cron jobs or call URLs (`npm run tick`, POST /v1/admin/tick):
// plan, claim and dial what is due (every POST answered before it returns), reconcile what is
// stale, deliver the relayed messages that are due, and say when something next falls due. Nothing is left running: no pg-boss, no timer,
// no LISTEN. Any number of ticks and workers may run at once; none dials a call twice (pass.ts).
import type { DatabasePool } from 'slonik';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { runPass } from './pass.js';
import { defaultWorkerSettings, type WorkerSettings } from './settings.js';
import { createDialDeps } from './worker.js';
import { createForwardDeliveries } from './forwardDeliveries.js';

export type TickOptions = {
  pool: DatabasePool;
  clock: Clock;
  log: Logger;
  appSecret: string;
  publicUrl: string;
  vapiBaseUrl: string;
  settings?: Partial<WorkerSettings>;
};

/** The one JSON object a tick prints (npm run tick) or answers (POST /v1/admin/tick). */
export type TickResult = {
  at: string;
  planned: number;
  dialed: number;
  reconciled: number;
  /** When something next falls due (null: nothing planned); a cron every minute covers it to the minute. */
  nextWakeAt: string | null;
  ms: number;
};

export async function runTick(options: TickOptions): Promise<TickResult> {
  const settings: WorkerSettings = { ...defaultWorkerSettings, ...options.settings };
  const at = options.clock.now();
  // Relayed messages due now go beside the pass, as in the worker (forwardDeliveries.ts); a retry
  // falls due through next_wake_at, so the next tick (or the cron) takes it.
  const forwards = createForwardDeliveries({ ...options, settings, onRetryScheduled: () => {} });
  forwards.kick();
  const result = await runPass(createDialDeps(options, settings), { plan: true, reconcile: true }).finally(async () => {
    await forwards.idle();
    await forwards.stop();
  });
  const tick: TickResult = {
    at: at.toISOString(),
    planned: result.planned,
    dialed: result.dialed,
    reconciled: result.reconciled ?? 0,
    nextWakeAt: result.nextWakeAt?.toISOString() ?? null,
    ms: result.ms,
  };
  options.log.info('tick.done', tick);
  return tick;
}
