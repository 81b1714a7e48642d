// Each test file gets its own database, cloned from the template that `npm test` migrated.
// With PGDIALER_TEST_POOLER=pgbouncer the file's pool (and `url`) go through a PgBouncer in
// transaction mode started for the file (test/helpers/pgbouncer.ts), as with Neon's or
// Supabase's pooled URLs; `directUrl` is always the database itself (LISTEN, migrations).
import { randomBytes } from 'node:crypto';
import type { Test } from 'tap';
import type { DatabasePool } from 'slonik';
import pg from 'pg';
import { adminQuery, createDatabase, dropDatabase, withDatabase } from '../../db/databaseUrls.js';
import { createDatabasePool } from '../../db/pool.js';
import { startPgBouncer, type PgBouncer } from './pgbouncer.js';

export type TestDatabase = { name: string; url: string; directUrl: string; pool: DatabasePool; pooled: boolean };

export function testServer(): { serverUrl: string; template: string } {
  const serverUrl = process.env.PGDIALER_TEST_SERVER_URL;
  const template = process.env.PGDIALER_TEST_TEMPLATE;
  if (!serverUrl || !template) throw new Error('run the tests with `npm test` (it prepares the database)');
  return { serverUrl, template };
}

let bouncer: Promise<PgBouncer> | undefined;
/** The file's PgBouncer when the run asks for one (started once, stopped when the file ends). */
function pooler(t: Test): Promise<PgBouncer> | undefined {
  if (process.env.PGDIALER_TEST_POOLER !== 'pgbouncer') return undefined;
  if (!bouncer) {
    bouncer = startPgBouncer(testServer().serverUrl);
    const root = (t as Test & { parent?: Test }).parent ?? t;
    root.teardown(async () => (await bouncer)?.stop());
  }
  return bouncer;
}

/** A fresh database for this test (migrated, empty), dropped at teardown. */
export async function createTestDatabase(
  t: Test,
  options: { empty?: boolean; /** Database-level settings (ALTER DATABASE … SET), e.g. pgdialer.live_check_seconds. */ settings?: Record<string, string> } = {},
): Promise<TestDatabase> {
  const { serverUrl, template } = testServer();
  const name = `${template}_${process.env.TAP_CHILD_ID ?? 0}_${randomBytes(4).toString('hex')}`;
  await createDatabase(serverUrl, name, options.empty ? undefined : template);
  for (const [setting, value] of Object.entries(options.settings ?? {})) {
    if (!/^[a-z_]+\.[a-z_]+$/.test(setting)) throw new Error(`not a custom setting name: ${setting}`);
    await adminQuery(serverUrl, `alter database ${pg.escapeIdentifier(name)} set ${setting} = ${pg.escapeLiteral(value)}`);
  }
  const directUrl = withDatabase(serverUrl, name);
  const viaPooler = await pooler(t);
  const url = viaPooler ? viaPooler.urlFor(name) : directUrl;
  const pool = await createDatabasePool(url);
  t.teardown(async () => {
    await pool.end();
    await dropDatabase(serverUrl, name);
  });
  return { name, url, directUrl, pool, pooled: Boolean(viaPooler) };
}
