// GET /health: is the database reachable, and what is the worker doing.
import type { Express } from 'express';
import { sql, type DatabasePool } from 'slonik';

export type WorkerState = { state: string; [key: string]: unknown };

export type HealthDeps = { pool: DatabasePool; workerState: () => WorkerState };

export function installHealth(app: Express, deps: HealthDeps): void {
  // Liveness without a database session: for a platform's frequent health checks, which would
  // otherwise keep a serverless Postgres (Neon) from ever suspending.
  app.get('/health/live', (_request, response) => {
    response.json({ status: 'ok', worker: deps.workerState() });
  });
  app.get('/health', async (_request, response) => {
    let database: 'ok' | 'unreachable' = 'ok';
    try {
      await deps.pool.oneFirst(sql.unsafe`select 1`);
    } catch {
      database = 'unreachable';
    }
    const ok = database === 'ok';
    response.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', database, worker: deps.workerState() });
  });
}
