// npm run db:migrate — applies migrations, sql/ and pg-boss's schema to DATABASE_URL (or the
// embedded database). Safe to run again: a second run changes nothing.
import { loadConfig } from '../server/config.js';
import { applyEnvFile } from '../server/envFile.js';
import { createLogger } from '../server/log.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';

applyEnvFile();
const config = loadConfig();
const log = createLogger(config.logLevel, { process: 'migrate' });
const database = await openDatabase(config, log, 'attach');
try {
  const result = await migrate(database.url, log);
  process.stdout.write(
    result.migrationsRun.length
      ? `applied migrations: ${result.migrationsRun.join(', ')}\n`
      : 'no new migrations; functions and views re-applied\n',
  );
} finally {
  await database.stop();
}
