// npm run import -- --campaign <id> (--tenant <id> | --api-key <key>) [--phone Mobile] [--name "Full Name"]
//   [--timezone TZ] [--default-region US] file.csv
// Imports a CSV into a campaign through the same pipeline as the API, straight into the database
// (DATABASE_URL, or the embedded one: the running `npm start`'s when it is up, which keeps running).
// A progress bar goes to stderr; the report (as GET /v1/imports/:id) goes to stdout.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'slonik';
import { z } from '../db/zod.js';
import { loadConfig } from '../server/config.js';
import { applyEnvFile } from '../server/envFile.js';
import { createLogger } from '../server/log.js';
import { openDatabase } from '../db/database.js';
import { createDatabasePool } from '../db/pool.js';
import { sha256 } from '../server/crypto.js';
import { systemClock } from '../server/clock.js';
import { importContacts, ImportFailedError } from '../server/csv/importContacts.js';
import { countBytes } from '../server/csv/byteLimit.js';
import { isRegion } from '../server/csv/phone.js';
import { postWake } from '../server/worker/wake.js';
import { resolveSecrets } from '../server/localSecrets.js';

const usage =
  'usage: npm run import -- --campaign <id> (--tenant <id> | --api-key <key>) [--phone <column>] [--name <column>] ' +
  '[--timezone <column>] [--default-region US] file.csv';

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    campaign: { type: 'string' },
    tenant: { type: 'string' },
    'api-key': { type: 'string' },
    phone: { type: 'string' },
    name: { type: 'string' },
    timezone: { type: 'string' },
    'default-region': { type: 'string', default: 'US' },
  },
});
const file = positionals[0];
if (!file || positionals.length > 1 || !values.campaign || !values.tenant === !values['api-key']) fail(usage);
const defaultRegion = values['default-region']!.toUpperCase();
if (!isRegion(defaultRegion)) fail(`--default-region: "${defaultRegion}" is not a supported country code (e.g. US, GB)`);
const size = (await stat(file).catch(() => fail(`cannot read ${file}`))).size;

/** A bar redrawn at most every 100 ms, on a terminal only (a log file gets the final line). */
function progressBar(total: number) {
  let last = 0;
  const started = Date.now();
  let rows = 0;
  const draw = (bytes: number, force = false) => {
    const now = Date.now();
    if (!process.stderr.isTTY || (!force && now - last < 100)) return;
    last = now;
    const ratio = total === 0 ? 1 : Math.min(1, bytes / total);
    const width = 30;
    const filled = Math.round(ratio * width);
    const rate = Math.round(rows / Math.max(0.001, (now - started) / 1000));
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%  ${rows} rows  ${rate} rows/s `);
  };
  return {
    bytes: (bytes: number) => draw(bytes),
    rows: (count: number) => (rows = count),
    done: () => {
      draw(total, true);
      const seconds = (Date.now() - started) / 1000;
      process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}read ${rows} rows in ${seconds.toFixed(1)} s\n`);
    },
  };
}

applyEnvFile();
const config = loadConfig();
const log = createLogger('warn', { process: 'import' });
const database = await openDatabase(config, log, 'attach');
const pool = await createDatabasePool(database.url, { maximumPoolSize: 2 });
let exitCode = 0;
try {
  const tenantId = values.tenant
    ? values.tenant
    : await pool.maybeOneFirst(sql.type(z.object({ tenant_id: z.string() }))`
        select tenant_id from dialer.api_keys where key_hash = ${sql.binary(sha256(values['api-key']!))} and revoked_at is null`);
  if (!tenantId) throw new Error('the API key is not valid');
  const bar = progressBar(size);
  const report = await importContacts(pool, {
    tenantId,
    campaignId: values.campaign!,
    source: countBytes(createReadStream(file), bar.bytes),
    filename: basename(file),
    mapping: { phone: values.phone, name: values.name, timezone: values.timezone },
    defaultRegion,
    actor: 'cli',
    at: systemClock.now(),
    onProgress: (counts) => bar.rows(counts.rows),
  });
  bar.rows(report.rows);
  bar.done();
  // The worker sleeps with no session: tell it (LISTENing workers heard the NOTIFY). WORKER_WAKE_URL,
  // or with the embedded database the `npm start` of this checkout, if it runs (else nobody to wake).
  const wakeUrl = config.workerWakeUrl ?? (database.embedded ? `http://127.0.0.1:${config.port}/internal/wake` : undefined);
  if (report.callsCreated > 0 && wakeUrl) {
    await postWake({ url: wakeUrl, appSecret: resolveSecrets(config, log).appSecret, reason: 'contacts_imported' }).catch((error: Error) => {
      if (config.workerWakeUrl) process.stderr.write(`could not wake the worker at ${wakeUrl}: ${error.message}\n`);
    });
  }
  const { callsCreated: _callsCreated, ...shown } = report;
  process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
} catch (error) {
  const cause = error instanceof ImportFailedError ? error.cause : error;
  const code = (cause as { code?: unknown })?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  process.stderr.write(`\nimport failed${typeof code === 'string' ? ` (${code})` : ''}: ${message}\n`);
  if (error instanceof ImportFailedError) process.stderr.write(`the import ${error.importId} is recorded as failed\n`);
  exitCode = 1;
} finally {
  await pool.end();
  await database.stop();
}
process.exit(exitCode);
