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
    await installBossSchema(url);
    const result = { migrationsRun: ran.map((migration) => migration.name), sqlFilesApplied };
    log.info('db.migrated', result);
    return result;
  } finally {
    await client.end();
  }
}
