import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { createTestTenant } from '../helpers/tenant.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const smallCsv = fileURLToPath(new URL('../fixtures/small.csv', import.meta.url));

/** `npm run import` as a user runs it; `viaNode` skips npm's own start-up for the quicker checks. */
function runImport(args: string[], databaseUrl: string, viaNode = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command, commandArgs] = viaNode
    ? [process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args]]
    : ['npm', ['run', '--silent', 'import', '--', ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('npm run import: a small file into a campaign, by tenant id then by API key', async (t) => {
  const db = await createTestDatabase(t);
  const tenant = await createTestTenant(db.pool);
  const campaignId = await db.pool.oneFirst(sql.type(z.object({ id: z.string() }))`
    insert into dialer.campaigns (tenant_id, name, assistant_id, phone_number_id, time_zone, window_start, window_end)
    values (${tenant.id}, 'CLI', 'asst_1', 'pn_1', 'America/New_York', '09:00', '17:00') returning id`);

  const first = await runImport(['--campaign', campaignId, '--tenant', tenant.id, smallCsv], db.url);
  t.equal(first.code, 0, first.stderr);
  t.match(JSON.parse(first.stdout), {
    rows: 3,
    imported: 2,
    duplicates: 0,
    rejected: 1,
    errors: [{ line: 4, code: 'invalid_phone' }],
  });
  t.match(first.stderr, /read 3 rows in/);
  const stored = await db.pool.one(sql.type(z.object({ filename: z.string(), status: z.string() }))`
    select filename, status from dialer.imports where id = ${JSON.parse(first.stdout).importId}`);
  t.same(stored, { filename: 'small.csv', status: 'completed' });
  const actor = await db.pool.oneFirst(sql.type(z.object({ actor: z.string() }))`
    select actor from dialer.audit_log where action = 'import'`);
  t.equal(actor, 'cli');

  const second = await runImport(['--campaign', campaignId, '--api-key', tenant.apiKey, '--phone', 'phone', smallCsv], db.url, true);
  t.equal(second.code, 0, second.stderr);
  t.match(JSON.parse(second.stdout), { rows: 3, imported: 0, duplicates: 2, rejected: 1 });

  const wrongKey = await runImport(['--campaign', campaignId, '--api-key', 'pgd_nope', smallCsv], db.url, true);
  t.equal(wrongKey.code, 1);
  t.match(wrongKey.stderr, /API key is not valid/);
  const noPhone = await runImport(['--campaign', campaignId, '--tenant', tenant.id, '--phone', 'Mobile', smallCsv], db.url, true);
  t.equal(noPhone.code, 1);
  t.match(noPhone.stderr, /unknown_column/);
  const usage = await runImport(['--campaign', campaignId, smallCsv], db.url, true);
  t.equal(usage.code, 2);
  t.match(usage.stderr, /usage: npm run import/);
});
