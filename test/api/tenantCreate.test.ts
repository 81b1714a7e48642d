import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { sha256 } from '../../server/crypto.js';

const run = promisify(execFile);
const script = ['--import', 'tsx', new URL('../../scripts/tenantCreate.ts', import.meta.url).pathname];

t.test('npm run tenant:create -- --name Acme prints {id, name, apiKey} and stores only the hash', async (t) => {
  const db = await createTestDatabase(t);
  const env = { ...process.env, DATABASE_URL: db.url, APP_SECRET: 'x'.repeat(40), LOG_LEVEL: 'error' };
  const { stdout } = await run(process.execPath, [...script, '--name', 'Acme'], { env });
  const created = JSON.parse(stdout);
  t.same(Object.keys(created).sort(), ['apiKey', 'id', 'name']);
  t.equal(created.name, 'Acme');
  const key = await db.pool.one(sql.unsafe`select tenant_id, key_hash from dialer.api_keys where tenant_id = ${created.id}`);
  t.same(key.key_hash, sha256(created.apiKey));
  t.equal(await db.pool.oneFirst(sql.unsafe`select actor from dialer.audit_log where entity = 'tenant'`), 'cli');

  const usage = await run(process.execPath, script, { env }).catch((error: { code: number; stderr: string }) => error);
  t.match(usage, { code: 2, stderr: /usage: npm run tenant:create -- --name/ });
});
