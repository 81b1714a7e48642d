// npm run db:dump — migrates a scratch database and writes its schema to db/schema.sql.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../server/config.js';
import { applyEnvFile } from '../server/envFile.js';
import { createLogger, silentLogger } from '../server/log.js';
import { attachOrStartEmbeddedPostgres } from '../db/embeddedPostgres.js';
import { createDatabase, dropDatabase, withDatabase } from '../db/databaseUrls.js';
import { migrate } from '../db/migrate.js';
import { dumpSchema } from '../db/schemaDump.js';

export const SCHEMA_FILE = fileURLToPath(new URL('../db/schema.sql', import.meta.url));

applyEnvFile();
const config = loadConfig();
const log = createLogger(config.logLevel, { process: 'db:dump' });
const embedded = config.databaseUrl ? undefined : await attachOrStartEmbeddedPostgres({ dataDir: config.dataDir, log });
const serverUrl = config.databaseUrl ?? embedded!.url;
const scratch = `pgdialer_schema_dump_${process.pid}`;
try {
  await createDatabase(serverUrl, scratch);
  await migrate(withDatabase(serverUrl, scratch), silentLogger);
  await writeFile(SCHEMA_FILE, await dumpSchema(withDatabase(serverUrl, scratch)));
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
} finally {
  await dropDatabase(serverUrl, scratch);
  await embedded?.stop();
}
