// Brings a database up to date: the numbered table migrations (node-pg-migrate), then every
// function and view file in sql/ in name order (idempotent, CREATE OR REPLACE), then pg-boss's
// own schema. Running it twice changes nothing.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { installBossSchema } from './boss.js';
import type { Logger } from '../server/log.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
export const SQL_DIR = fileURLToPath(new URL('../sql', import.meta.url));
export const MIGRATIONS_TABLE = 'pgmigrations';
export const MIGRATIONS_SCHEMA = 'dialer_migrations';
// Serializes concurrent migrate runs (several processes starting at once).
const SQL_FILES_LOCK = 7_429_001;

export type MigrateResult = { migrationsRun: string[]; sqlFilesApplied: string[] };

export async function listSqlFiles(): Promise<string[]> {
  return (await readdir(SQL_DIR)).filter((name) => name.endsWith('.sql')).sort();
}

async function applySqlFiles(client: pg.Client): Promise<string[]> {
  const files = await listSqlFiles();
  await client.query('begin');
  try {
    await client.query('select pg_advisory_xact_lock($1)', [SQL_FILES_LOCK]);
    for (const file of files) {
      const text = await readFile(join(SQL_DIR, file), 'utf8');
      try {
        await client.query(text);
      } catch (error) {
        throw new Error(`sql/${file}: ${(error as Error).message}`, { cause: error });
      }
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
  return files;
}

/**
 * Settings every session of this database gets from Postgres itself, so no connection has to ask
 * for them (a transaction-mode pooler refuses startup options and forgets SET between
 * transactions): JIT off, since this is short OLTP work and the admin views expand into large
 * expressions whose cost estimates trigger JIT compilation that takes longer than the query
 * (measured on Debian's PG 15: 9.4 s with JIT, 1.1 s without, for one campaign's progress).
 * Needs the database's owner; otherwise says what an admin should run.
 */
export async function applyDatabaseSettings(client: pg.Client, log: Logger): Promise<void> {
  const { rows } = await client.query(`
    select current_database() as name,
           pg_has_role(current_user, datdba, 'usage') or (select rolsuper from pg_roles where rolname = current_user) as owner
    from pg_database where datname = current_database()`);
  const { name, owner } = rows[0] as { name: string; owner: boolean };
  if (owner) await client.query(`alter database ${pg.escapeIdentifier(name)} set jit = off`);
  else log.warn('db.settings_skipped', { reason: 'not the owner of the database', run: `alter database ${pg.escapeIdentifier(name)} set jit = off` });
}

/** Give it a direct URL (DATABASE_DIRECT_URL), not a transaction-mode pooler's: node-pg-migrate holds a session-level advisory lock. */
export async function migrate(url: string, log: Logger): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgdialer-migrate' });
  await client.connect();
  try {
    // Quiet NOTICEs such as "schema already exists, skipping".
    await client.query("set client_min_messages = 'warning'");
    const ran = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      migrationsSchema: MIGRATIONS_SCHEMA,
      createMigrationsSchema: true,
      direction: 'up',
      checkOrder: true,
      advisoryLockMode: 'wait',
      log: () => {},
    });
    const sqlFilesApplied = await applySqlFiles(client);
    await applyDatabaseSettings(client, log);
    await installBossSchema(url);
    const result = { migrationsRun: ran.map((migration) => migration.name), sqlFilesApplied };
    log.info('db.migrated', result);
    return result;
  } finally {
    await client.end();
  }
}
