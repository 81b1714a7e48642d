// npm run psql [-- psql arguments] — psql on pgdialer's database: DATABASE_URL, or the embedded
// Postgres of the running `npm start` (left running), or, when none runs, the embedded one started
// for this session and stopped after it. `npm run psql -- --url` prints the URL only; without psql
// installed the URL is printed instead. Examples: `npm run psql`, `npm run psql -- -c 'select 1'`.
import { spawn } from 'node:child_process';
import { loadConfig, ConfigError } from '../server/config.js';
import { applyEnvFile } from '../server/envFile.js';
import { createLogger } from '../server/log.js';
import { openDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';

const args = process.argv.slice(2);
let config;
try {
  applyEnvFile();
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(error.message + '\n');
  process.exit(1);
}
// stdout belongs to psql (or the URL): logs go to stderr.
const log = createLogger('warn', { process: 'psql' }, (line) => process.stderr.write(line + '\n'));
const database = await openDatabase(config, log, 'attach');
const ownDatabase = Boolean(database.embedded && !database.embedded.attachedTo);
// A database started just for this session may be new: give it the schema the queries expect.
if (ownDatabase) await migrate(database.url, log);

const untilSignal = () => new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});

let exitCode = 0;
if (args[0] === '--url') {
  process.stdout.write(database.url + '\n');
  if (ownDatabase) {
    process.stderr.write('(no server was running: this embedded Postgres runs until Ctrl-C)\n');
    await untilSignal();
  }
} else {
  // Ctrl-C in psql cancels its query; the terminal sends it to this process too, which must stay.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  const child = spawn('psql', [database.url, ...args], { stdio: 'inherit' });
  const forward = () => child.kill('SIGTERM');
  process.on('SIGTERM', forward);
  exitCode = await new Promise<number>((resolve) => {
    child.on('error', async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      process.stdout.write(database.url + '\n');
      process.stderr.write('psql is not installed; connect any Postgres client to the URL above');
      if (ownDatabase) {
        process.stderr.write(' (no server was running: this embedded Postgres runs until Ctrl-C)\n');
        process.off('SIGINT', ignore);
        await untilSignal();
      } else process.stderr.write('\n');
      resolve(0);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  process.off('SIGTERM', forward);
}
await database.stop();
process.exit(exitCode);
