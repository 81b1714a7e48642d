import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../server/config.js';
import { resolveSecrets } from '../server/localSecrets.js';
import { applyEnvFile } from '../server/envFile.js';
import { silentLogger } from '../server/log.js';
import { runMain } from './helpers/serverProcess.js';
import { once } from 'node:events';

t.test('defaults when nothing is set', async (t) => {
  const config = loadConfig({});
  t.equal(config.databaseUrl, undefined);
  t.equal(config.port, 3000);
  t.equal(config.publicUrl, 'http://localhost:3000');
  t.equal(config.vapiBaseUrl, 'https://api.vapi.ai');
  t.equal(config.logLevel, 'info');
  t.equal(config.dataDir, '.data');
});

t.test('values are read and normalised', async (t) => {
  const config = loadConfig({
    DATABASE_URL: 'postgres://u:p@db:5432/x',
    PORT: '8080',
    PUBLIC_URL: 'https://dialer.example.com/',
    VAPI_BASE_URL: 'http://127.0.0.1:4010',
    LOG_LEVEL: 'debug',
    APP_SECRET: 'x'.repeat(32),
  });
  t.equal(config.port, 8080);
  t.equal(config.publicUrl, 'https://dialer.example.com', 'trailing slash dropped');
  t.equal(config.vapiBaseUrl, 'http://127.0.0.1:4010');
  t.equal(config.databaseUrl, 'postgres://u:p@db:5432/x');
});

t.test('empty strings count as unset', async (t) => {
  t.equal(loadConfig({ DATABASE_URL: '', PORT: '' }).port, 3000);
});

t.test('every bad variable is reported at once, with a hint', async (t) => {
  const error = t.throws(() =>
    loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', APP_SECRET: 'short' }),
  ) as Error;
  t.type(error, ConfigError);
  t.match(error.message, /PORT:/);
  t.match(error.message, /DATABASE_URL: must be a postgres:\/\//);
  t.match(error.message, /LOG_LEVEL:.*debug, info, warn, error/);
  t.match(error.message, /APP_SECRET: must be at least 32 characters/);
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  t.throws(() => loadConfig({ PUBLIC_URL: 'dialer.example.com' }), /PUBLIC_URL: must be an http/);
});

t.test('APP_SECRET is required with DATABASE_URL', async (t) => {
  const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x' });
  t.throws(() => resolveSecrets(config, silentLogger), /APP_SECRET: required when DATABASE_URL is set/);
});

t.test('with the embedded database, secrets are generated once and kept', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pgdialer-secrets-'));
  const config = loadConfig({ DATA_DIR: dataDir });
  const first = resolveSecrets(config, silentLogger);
  const second = resolveSecrets(config, silentLogger);
  t.equal(first.appSecret.length, 64);
  t.same(second, first, 'the second start reads the same secrets');
  t.equal(readFileSync(join(dataDir, 'app-secret'), 'utf8').trim(), first.appSecret);
  t.equal(statSync(join(dataDir, 'app-secret')).mode & 0o777, 0o600, 'readable by the owner only');
  t.ok(first.adminToken);
});

t.test('the process refuses to start on bad config and says what to set', async (t) => {
  const { child, stderr } = runMain([], { PORT: 'not-a-port' });
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(stderr(), /Invalid configuration; fix these environment variables:\n {2}PORT:/);
});

t.test('.env: read at start, the environment wins (even set empty), ENV_FILE picks the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdialer-envfile-'));
  const file = join(dir, 'custom.env');
  writeFileSync(file, '# a comment\nPORT=4321\nLOG_LEVEL=debug\nDATABASE_URL=postgres://from-file/x\nVAPI_BASE_URL="http://127.0.0.1:4010"\n');
  const env: NodeJS.ProcessEnv = { ENV_FILE: file, LOG_LEVEL: 'warn', DATABASE_URL: '' };
  const result = applyEnvFile(env);
  t.same(result, { path: file, applied: ['PORT', 'VAPI_BASE_URL'] }, 'only what the environment does not set');
  const config = loadConfig(env);
  t.equal(config.port, 4321, 'from the file');
  t.equal(config.vapiBaseUrl, 'http://127.0.0.1:4010', 'quotes removed');
  t.equal(config.logLevel, 'warn', 'the environment wins');
  t.equal(config.databaseUrl, undefined, 'an empty variable in the environment still wins (embedded database)');
  t.throws(() => applyEnvFile({ ENV_FILE: join(dir, 'missing.env') }), /ENV_FILE: .*missing\.env does not exist/);
  t.equal(applyEnvFile({ ENV_FILE: '' }), existsSync('.env') ? applyEnvFile({}) : undefined, 'no ENV_FILE: ./.env if there is one');
});

t.test('the server reads ENV_FILE before validating: a bad value there stops it with the same message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pgdialer-envfile-'));
  writeFileSync(join(dir, '.env'), 'PORT=not-a-port\n');
  const { child, stderr } = runMain([], { ENV_FILE: join(dir, '.env') });
  const [code] = await once(child, 'exit');
  t.equal(code, 1);
  t.match(stderr(), /Invalid configuration; fix these environment variables:\n {2}PORT:/);
});

t.test('sleep, wake-up and pooler settings (issue 10): defaults and bad values', async (t) => {
  const defaults = loadConfig({});
  t.same(
    [defaults.databaseDirectUrl, defaults.databaseListen, defaults.workerWakeUrl, defaults.workerPort, defaults.cronSecret],
    [undefined, false, undefined, undefined, undefined],
    'no LISTEN, no wake URL, no worker port by default',
  );
  const set = loadConfig({
    DATABASE_DIRECT_URL: 'postgres://u:p@db:5432/x',
    DATABASE_LISTEN: 'true',
    WORKER_WAKE_URL: 'http://worker:3001/internal/wake',
    WORKER_PORT: '3001',
    CRON_SECRET: 'cron-secret-0123456789',
  });
  t.same(
    [set.databaseDirectUrl, set.databaseListen, set.workerWakeUrl, set.workerPort, set.cronSecret],
    ['postgres://u:p@db:5432/x', true, 'http://worker:3001/internal/wake', 3001, 'cron-secret-0123456789'],
  );
  const error = t.throws(() =>
    loadConfig({ DATABASE_DIRECT_URL: 'mysql://x', DATABASE_LISTEN: 'yes', WORKER_WAKE_URL: 'worker:3001', WORKER_PORT: '-1', CRON_SECRET: 'short' }),
  ) as Error;
  for (const variable of ['DATABASE_DIRECT_URL', 'DATABASE_LISTEN', 'WORKER_WAKE_URL', 'WORKER_PORT', 'CRON_SECRET']) t.match(error.message, new RegExp(`${variable}: `), `${variable} named`);
});
