// npm run tenant:create -- --name Acme
// Creates a tenant and its first API key straight in the database (DATABASE_URL, or the embedded
// one: the running `npm start`'s when it is up, which keeps running), migrating it first
// if needed. Prints {"id", "name", "apiKey"} as JSON on stdout; the key is shown only this once.
import { parseArgs } from 'node:util';
import { loadConfig } from '../server/config.js';
import { applyEnvFile } from '../server/envFile.js';
import { createLogger } from '../server/log.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { createDatabasePool } from '../db/pool.js';
import { createTenant } from '../db/queries/tenants.js';

const { values } = parseArgs({ options: { name: { type: 'string' } } });
const name = values.name?.trim();
if (!name || name.length > 200) {
  process.stderr.write('usage: npm run tenant:create -- --name <name (1-200 characters)>\n');
  process.exit(2);
}

applyEnvFile();
const config = loadConfig();
// Logs go to stderr: stdout carries only the JSON answer.
const log = createLogger('warn', { process: 'tenant:create' }, (line) => process.stderr.write(line + '\n'));
const database = await openDatabase(config, log, 'attach');
let exitCode = 0;
try {
  await migrate(database.url, log);
  const pool = await createDatabasePool(database.url, { maximumPoolSize: 1 });
  try {
    const tenant = await createTenant(pool, { name, actor: 'cli' });
    process.stdout.write(JSON.stringify({ id: tenant.id, name: tenant.name, apiKey: tenant.apiKey }) + '\n');
  } finally {
    await pool.end();
  }
} catch (error) {
  process.stderr.write(`tenant:create failed: ${error instanceof Error ? error.message : String(error)}\n`);
  exitCode = 1;
} finally {
  await database.stop();
}
process.exit(exitCode);
