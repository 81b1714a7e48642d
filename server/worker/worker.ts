// The worker process side: owns pg-boss. (Job handlers arrive with the worker issue.)
import { createBoss } from '../../db/boss.js';
import type { WorkerState } from '../http/health.js';
import type { Logger } from '../log.js';

export type Worker = { state(): WorkerState; stop(): Promise<void> };

export async function startWorker(options: { databaseUrl: string; log: Logger }): Promise<Worker> {
  const { log } = options;
  const boss = createBoss(options.databaseUrl, { migrate: false });
  boss.on('error', (error) => log.error('worker.boss_error', { error }));
  await boss.start();
  let state: WorkerState = { state: 'running', since: new Date().toISOString() };
  log.info('worker.started');
  return {
    state: () => state,
    async stop() {
      state = { state: 'stopping' };
      await boss.stop({ graceful: true, timeout: 10_000 });
      state = { state: 'stopped' };
      log.info('worker.stopped');
    },
  };
}
