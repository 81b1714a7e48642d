// The one place the environment is read. Validated once with zod; a bad value stops the
// process with a message that says what to set.
import { z } from './zod.js';

const logLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

const postgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\/.+/, 'must be a postgres:// or postgresql:// connection URL');

const httpUrl = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL')
  .transform((url) => url.replace(/\/+$/, ''));

const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

const environmentSchema = z.object({
  DATABASE_URL: z.preprocess(emptyAsUnset, postgresUrl.optional()),
  DATABASE_DIRECT_URL: z.preprocess(emptyAsUnset, postgresUrl.optional()),
  DATABASE_LISTEN: z.preprocess(emptyAsUnset, z.enum(['true', 'false']).default('false')),
  WORKER_WAKE_URL: z.preprocess(emptyAsUnset, z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL').optional()),
  WORKER_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).optional()),
  CRON_SECRET: z.preprocess(emptyAsUnset, z.string().min(16, 'must be at least 16 characters').optional()),
  PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(3000)),
  PUBLIC_URL: z.preprocess(emptyAsUnset, httpUrl.optional()),
  APP_SECRET: z.preprocess(emptyAsUnset, z.string().min(32, 'must be at least 32 characters').optional()),
  ADMIN_TOKEN: z.preprocess(emptyAsUnset, z.string().min(16, 'must be at least 16 characters').optional()),
  VAPI_BASE_URL: z.preprocess(emptyAsUnset, httpUrl.default('https://api.vapi.ai')),
  IMPORT_MAX_BYTES: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1024).default(50 * 1024 * 1024)),
  WEBHOOK_MAX_BYTES: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(64 * 1024 * 1024)),
  LOG_LEVEL: z.preprocess(emptyAsUnset, z.enum(logLevels).default('info')),
  DATA_DIR: z.preprocess(emptyAsUnset, z.string().default('.data')),
  RECONCILE_AFTER_SECONDS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(86400).default(600)),
  DIAL_LEASE_SECONDS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(86400).default(300)),
  // Read before the others, by server/envFile.ts; listed here so it is validated and documented.
  ENV_FILE: z.preprocess(emptyAsUnset, z.string().default('.env')),
  VAPI_SERVER_TIMEOUT_SECONDS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(300).default(20)),
});

/** Every variable the configuration reads (the README table and .env.example are checked against it). */
export const configVariables = Object.keys(environmentSchema.shape);

const hints: Record<string, string> = {
  DATABASE_URL: 'e.g. postgres://user:password@localhost:5432/pgdialer, or leave it unset for the embedded database',
  DATABASE_DIRECT_URL: 'the same database without a pooler in between, e.g. Neon\'s URL without "-pooler"',
  DATABASE_LISTEN: 'true (hold a LISTEN session for instant wake-ups: a database that is not serverless) or false',
  WORKER_WAKE_URL: 'the worker\'s wake endpoint as the API reaches it, e.g. http://worker:3001/internal/wake',
  WORKER_PORT: 'a TCP port number for the worker\'s /health and /internal/wake, e.g. 3001',
  CRON_SECRET: 'a random string of 16+ characters, e.g. from `openssl rand -hex 24` (Vercel sends it as a bearer token)',
  PORT: 'a TCP port number, e.g. 3000',
  PUBLIC_URL: 'the base URL VAPI can reach this server on, e.g. https://dialer.example.com',
  APP_SECRET: 'a random string of 32+ characters, e.g. from `openssl rand -hex 32`',
  ADMIN_TOKEN: 'a random string of 16+ characters, e.g. from `openssl rand -hex 24`',
  VAPI_BASE_URL: 'e.g. https://api.vapi.ai',
  IMPORT_MAX_BYTES: 'the largest CSV upload in bytes, e.g. 52428800 (50 MB)',
  WEBHOOK_MAX_BYTES: 'the largest webhook body in bytes, 1024 to 1073741824, e.g. 67108864 (64 MiB)',
  LOG_LEVEL: `one of ${logLevels.join(', ')}`,
  RECONCILE_AFTER_SECONDS: 'whole seconds, e.g. 600',
  DIAL_LEASE_SECONDS: 'whole seconds, e.g. 300',
  VAPI_SERVER_TIMEOUT_SECONDS: 'whole seconds from 1 to 300 (VAPI\'s range), e.g. 20',
};

export type Config = {
  databaseUrl: string | undefined;
  /** Migrations (and LISTEN) bypass a transaction-mode pooler through this URL when given. */
  databaseDirectUrl: string | undefined;
  /** Hold a LISTEN session for wake-ups, even asleep (only for a database that is not serverless). */
  databaseListen: boolean;
  /** The worker's wake endpoint, for an API running apart from the worker. */
  workerWakeUrl: string | undefined;
  /** Port of the worker's own small HTTP server (/health, /internal/wake) in `worker` mode. */
  workerPort: number | undefined;
  /** Bearer token accepted by /v1/admin/tick besides ADMIN_TOKEN (Vercel Cron sends CRON_SECRET). */
  cronSecret: string | undefined;
  port: number;
  publicUrl: string;
  appSecret: string | undefined;
  adminToken: string | undefined;
  vapiBaseUrl: string;
  /** Largest body POST /v1/campaigns/:id/contacts/import accepts (413 beyond). */
  importMaxBytes: number;
  /** Largest webhook body POST /webhooks/vapi accepts (413 beyond). */
  webhookMaxBytes: number;
  logLevel: LogLevel;
  dataDir: string;
  /** An ended call whose end-of-call-report has not arrived this long after its end is read from VAPI. */
  reconcileAfterSeconds: number;
  /** How long a worker's claim on a call lasts before reconciliation may settle it. */
  dialLeaseSeconds: number;
  /** server.timeoutSeconds of every call: how long VAPI waits for a webhook's answer (the relay stays under it). */
  vapiServerTimeoutSeconds: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0]);
      const hint = hints[variable] ? ` (${hints[variable]})` : '';
      return `  ${variable}: ${issue.message}${hint}`;
    });
    throw new ConfigError(`Invalid configuration; fix these environment variables:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    databaseDirectUrl: e.DATABASE_DIRECT_URL,
    databaseListen: e.DATABASE_LISTEN === 'true',
    workerWakeUrl: e.WORKER_WAKE_URL,
    workerPort: e.WORKER_PORT,
    cronSecret: e.CRON_SECRET,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    appSecret: e.APP_SECRET,
    adminToken: e.ADMIN_TOKEN,
    vapiBaseUrl: e.VAPI_BASE_URL,
    importMaxBytes: e.IMPORT_MAX_BYTES,
    webhookMaxBytes: e.WEBHOOK_MAX_BYTES,
    logLevel: e.LOG_LEVEL,
    dataDir: e.DATA_DIR,
    reconcileAfterSeconds: e.RECONCILE_AFTER_SECONDS,
    dialLeaseSeconds: e.DIAL_LEASE_SECONDS,
    vapiServerTimeoutSeconds: e.VAPI_SERVER_TIMEOUT_SECONDS,
  };
}
