// Read-only look at pg-boss's job table: before the worker stops pg-boss to sleep, the earliest
// job still waiting (any queue) bounds how long it may sleep.
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from '../zod.js';
import { BOSS_SCHEMA } from '../boss.js';

export async function earliestPendingJobAt(db: CommonQueryMethods): Promise<Date | null> {
  const at = await db.oneFirst(sql.type(z.object({ at: z.string().nullable() }))`
    select min(start_after) as at from ${sql.identifier([BOSS_SCHEMA, 'job'])} where state in ('created', 'retry')`);
  return at === null ? null : new Date(at);
}
