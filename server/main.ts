// Entry point: `npm start` (API and worker in one process), `npm run start:api`,
// `npm run start:worker`. Migrates first; closes everything it opened on SIGINT/SIGTERM, or
// when the process that started it (npm) is gone.
import { loadConfig, ConfigError, type Config } from './config.js';
import { applyEnvFile, type EnvFileResult } from './envFile.js';
import { onParentExit } from './parentWatch.js';
import { createLogger } from './log.js';
import { Shutdown } from './shutdown.js';
import { resolveSecrets } from './localSecrets.js';
import { systemClock } from './clock.js';
import { createApp } from './app.js';
import { listen } from './httpServer.js';
import { startWorker, type Worker } from './worker/worker.js';
import { openDatabase } from '../db/database.js';
import { EmbeddedPostgresInUse } from '../db/embeddedPostgres.js';
import { migrate } from '../db/migrate.js';
import { createDatabasePool } from '../db/pool.js';
import { forwardToPostgres, relayFromPostgres } from './events/relay.js';
import { endEventStreams } from './events/stream.js';
import { ensureDashboardBuilt } from './dashboard/serve.js';
import { workerWaking, startWorkerServer } from './worker/processWake.js';

const modes = ['all', 'api', 'worker'] as const;
type Mode = (typeof modes)[number];

function readConfig(): Config & { envFile: EnvFileResult } {
  try {
    const envFile = applyEnvFile();
    return { ...loadConfig(), envFile };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(error.message + '\n');
      process.exit(1);
    }
    throw error;
  }
}

async function main(mode: Mode): Promise<void> {
  const config = readConfig();
  const log = createLogger(config.logLevel, { process: mode });
  const shutdown = new Shutdown(log);
  shutdown.onSignals((code) => process.exit(code));
  onParentExit((parent) => {
    log.warn('shutdown.parent_exited', { parent });
    shutdown.trigger('parent exited');
  });
  if (config.envFile) log.info('config.env_file', { path: config.envFile.path, variables: config.envFile.applied });
  try {
    const secrets = resolveSecrets(config, log);
    const database = await openDatabase(config, log, 'own');
    shutdown.add('database', () => database.stop());
    // Migrations hold a session lock: past a transaction-mode pooler, on the direct URL.
    await migrate(config.databaseDirectUrl ?? database.url, log);
    const pool = await createDatabasePool(database.url);
    shutdown.add('pool', () => pool.end());

    let worker: Worker | undefined;
    // Split mode: live events cross between the processes through Postgres (events/relay.ts).
    if (mode === 'worker') {
      const forward = forwardToPostgres({ pool, log });
      shutdown.add('events', () => forward.close());
    }
    if (mode !== 'api') {
      worker = await startWorker({
        databaseUrl: database.url,
        pool,
        log: log.child({ component: 'worker' }),
        clock: systemClock,
        appSecret: secrets.appSecret,
        publicUrl: config.publicUrl,
        vapiBaseUrl: config.vapiBaseUrl,
        settings: {
          reconcileAfterSeconds: config.reconcileAfterSeconds,
          leaseSeconds: config.dialLeaseSeconds,
          serverTimeoutSeconds: config.vapiServerTimeoutSeconds,
        },
        // LISTEN holds a session even asleep: only for a database that is not serverless.
        listenUrl: config.databaseListen ? (config.databaseDirectUrl ?? database.url) : undefined,
      });
      shutdown.add('worker', () => worker!.stop());
      if (mode === 'worker' && config.workerPort !== undefined) {
        const wakeServer = await startWorkerServer({ port: config.workerPort, appSecret: secrets.appSecret, log, worker });
        shutdown.add('worker-http', () => wakeServer.close());
      }
    }
    if (mode !== 'worker') {
      const context = {
        config, secrets, log, pool, clock: systemClock,
        workerState: () => worker?.state() ?? { state: 'external' },
        wakeWorker: workerWaking({ config, secrets, log, worker }),
        serveWorkerWake: worker !== undefined,
      };
      if (mode === 'api') {
        const relay = relayFromPostgres({ databaseUrl: database.url, log });
        shutdown.add('events', () => relay.close());
      }
      await ensureDashboardBuilt(log);
      const server = await listen(createApp(context), config.port);
      shutdown.add('http', () => {
        endEventStreams();
        return server.close();
      });
      log.info('api.listening', { url: `http://localhost:${server.port}`, publicUrl: config.publicUrl });
    }
    log.info('started', { mode, embeddedDatabase: Boolean(database.embedded) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof EmbeddedPostgresInUse) process.stderr.write(error.message + '\n');
    else log.error('startup.failed', { error });
    await shutdown.run('startup failed');
    process.exit(1);
  }
}

const mode = (process.argv[2] ?? 'all') as Mode;
if (!modes.includes(mode)) {
  process.stderr.write(`usage: server/main.ts [${modes.join('|')}]\n`);
  process.exit(2);
}
await main(mode);
