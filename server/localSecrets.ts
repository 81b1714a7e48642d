// APP_SECRET and ADMIN_TOKEN for a local (embedded-database) install: generated once and kept
// in the data directory, so a second start can still decrypt what the first one stored.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';
import type { Logger } from './log.js';

export type Secrets = { appSecret: string; adminToken: string | undefined };

function readOrCreate(dataDir: string, file: string, bytes: number, log: Logger, event: string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(bytes).toString('hex');
  writeFileSync(path, value + '\n', { mode: 0o600 });
  log.info(event, { path });
  return value;
}

export function resolveSecrets(config: Config, log: Logger): Secrets {
  const embedded = !config.databaseUrl;
  if (!config.appSecret && !embedded) {
    throw new ConfigError(
      'Invalid configuration; fix these environment variables:\n  APP_SECRET: required when DATABASE_URL is set ' +
        '(a random string of 32+ characters, e.g. from `openssl rand -hex 32`); it encrypts tenants\' VAPI keys',
    );
  }
  const appSecret =
    config.appSecret ?? readOrCreate(config.dataDir, 'app-secret', 32, log, 'config.app_secret_generated');
  let adminToken = config.adminToken;
  if (!adminToken && embedded) {
    adminToken = readOrCreate(config.dataDir, 'admin-token', 24, log, 'config.admin_token_generated');
  }
  if (!adminToken) log.warn('config.admin_token_missing', { effect: 'POST /v1/tenants is disabled; set ADMIN_TOKEN' });
  return { appSecret, adminToken };
}
