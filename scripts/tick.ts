// npm run tick — one pass of the dialer, then exit: for hosts that only run cron jobs (a
// Kubernetes CronJob, GitHub Actions, a crontab). Plans occurrences, claims and dials what is due
// (waiting for every POST to be answered), reconciles what is stale, and prints one JSON line on
// stdout: {"at", "planned", "dialed", "reconciled", "nextWakeAt", "ms"}. Logs go to stderr. Exit
// 0 after a pass, 1 when it failed. Ticks may overlap each other and a running worker: no call
// is dialed twice (server/worker/pass.ts). The database must be migrated (npm run db:migrate).
import { loadConfig, ConfigError } from '../server/config.js';
import { createLogger } from '../server/log.js';
import { resolveSecrets } from '../server/localSecrets.js';
import { systemClock } from '../server/clock.js';
import { openDatabase } from '../db/database.js';
import { createDatabasePool } from '../db/pool.js';
import { runTick } from '../server/worker/tick.js';

let exitCode = 0;
try {
  const config = loadConfig();
  const log = createLogger(config.logLevel, { process: 'tick' }, (line) => process.stderr.write(line + '\n'));
  const secrets = resolveSecrets(config, log);
  const database = await openDatabase(config, log, 'attach');
  try {
    const pool = await createDatabasePool(database.url);
    try {
      const result = await runTick({
        pool,
        clock: systemClock,
        log,
        appSecret: secrets.appSecret,
        publicUrl: config.publicUrl,
        vapiBaseUrl: config.vapiBaseUrl,
        settings: { reconcileAfterSeconds: config.reconcileAfterSeconds, leaseSeconds: config.dialLeaseSeconds },
      });
      process.stdout.write(JSON.stringify(result) + '\n');
    } finally {
      await pool.end();
    }
  } finally {
    await database.stop();
  }
} catch (error) {
  process.stderr.write(`tick failed: ${error instanceof ConfigError || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : error.stack}\n`);
  exitCode = 1;
}
process.exit(exitCode);
