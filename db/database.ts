// Which Postgres this process talks to: DATABASE_URL when set, otherwise the embedded one
// (database "pgdialer" created on first run). A server starts and owns the embedded Postgres, and
// refuses to start while another live process owns it; a tool ('attach') connects to the running
// one and leaves it running, or starts its own for the time it runs.
import pg from 'pg';
import { attachOrStartEmbeddedPostgres, startEmbeddedPostgres, type EmbeddedDatabase } from './embeddedPostgres.js';
import type { Config } from '../server/config.js';
import type { Logger } from '../server/log.js';

export const EMBEDDED_DATABASE_NAME = 'pgdialer';

export type Database = {
  url: string;
  embedded: EmbeddedDatabase | undefined;
  stop(): Promise<void>;
};

export async function createDatabaseIfMissing(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0) await client.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

export type EmbeddedUse = 'own' | 'attach';

export async function openDatabase(config: Config, log: Logger, use: EmbeddedUse): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: undefined, stop: async () => {} };
  const options = { dataDir: config.dataDir, log };
  const embedded = use === 'own' ? await startEmbeddedPostgres(options) : await attachOrStartEmbeddedPostgres(options);
  try {
    await createDatabaseIfMissing(embedded.url, EMBEDDED_DATABASE_NAME);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return { url: embedded.urlFor(EMBEDDED_DATABASE_NAME), embedded, stop: () => embedded.stop() };
}
