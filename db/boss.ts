// pg-boss, in its own schema of the same database. Created here so every process and the
// migrate step configure it the same way.
import { PgBoss } from 'pg-boss';

export const BOSS_SCHEMA = 'pgboss';

export type BossOptions = ConstructorParameters<typeof PgBoss>[0] & object;

export function createBoss(url: string, options: Partial<BossOptions> = {}): PgBoss {
  return new PgBoss({
    connectionString: url,
    schema: BOSS_SCHEMA,
    application_name: 'pgdialer-boss',
    ...options,
  });
}

/** Creates or upgrades pg-boss's schema and returns without starting any timers. */
export async function installBossSchema(url: string): Promise<void> {
  const boss = createBoss(url, { supervise: false, schedule: false, max: 1 });
  boss.on('error', () => {});
  await boss.start();
  await boss.stop({ graceful: false });
}
