// The .env file (`ENV_FILE`, default ./.env) read at start by the server and the command-line
// tools, as `.env.example` says. Parsed by Node's own parser (util.parseEnv, the one behind
// `node --env-file`); a variable already in the environment wins over the file, even when empty
// (`DATABASE_URL= npm start` uses the embedded database whatever .env says).
// `npm test` and `npm run bench` do not read it: they run on a throw-away Postgres of their own.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from './config.js';

export type EnvFileResult = { path: string; applied: string[] } | undefined;

export function applyEnvFile(env: NodeJS.ProcessEnv = process.env): EnvFileResult {
  const explicit = env.ENV_FILE;
  const path = explicit || '.env';
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`Invalid configuration; fix these environment variables:\n  ENV_FILE: ${path} does not exist`);
    return undefined;
  }
  const values = parseEnv(readFileSync(path, 'utf8'));
  const applied: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (env[name] !== undefined || value === undefined) continue;
    env[name] = value;
    applied.push(name);
  }
  return { path, applied };
}
