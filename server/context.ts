// What the API and the worker share: built once by server/main.ts (or a test) and passed down.
import type { DatabasePool } from 'slonik';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import type { Clock } from './clock.js';
import type { Secrets } from './localSecrets.js';
import type { WorkerState } from './http/health.js';
import type { WorkerWaker } from './worker/wake.js';

export type AppContext = {
  config: Config;
  secrets: Secrets;
  log: Logger;
  pool: DatabasePool;
  clock: Clock;
  /** What the worker in this process is doing, for /health ("external" when it runs elsewhere). */
  workerState: () => WorkerState;
  /**
   * Wakes the worker after a change that may make calls due has committed: in-process with
   * `npm start`, WORKER_WAKE_URL when the worker runs apart, nothing when only ticks dial.
   */
  wakeWorker?: WorkerWaker;
  /** Serve POST /internal/wake on this app (the process hosts the worker: `npm start`). */
  serveWorkerWake?: boolean;
};
