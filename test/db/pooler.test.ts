// Through a transaction-mode pooler (PgBouncer here; Neon's and Supabase's pooled URLs alike):
// the app's pool connects (no startup parameters: PgBouncer refuses them, as the control shows),
// per-database settings reach every session without a SET, and pg-boss sends, fetches and
// completes jobs with no session of its own. The end-to-end campaign through the pooler is
// `PGDIALER_TEST_POOLER=pgbouncer npm test -- test/e2e/campaign.test.ts` (.ci/run).
import t from 'tap';
import pg from 'pg';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, testServer } from '../helpers/database.js';
import { startPgBouncer } from '../helpers/pgbouncer.js';
import { createDatabasePool } from '../../db/pool.js';
import { applyDatabaseSettings } from '../../db/migrate.js';
import { createBoss } from '../../db/boss.js';
import { silentLogger } from '../../server/log.js';

const db = await createTestDatabase(t);
const bouncer = await startPgBouncer(testServer().serverUrl, { poolSize: 3 });
t.teardown(() => bouncer.stop());
const pooledUrl = bouncer.urlFor(db.name);

t.test('control: the pooler refuses session options in the startup packet', async (t) => {
  const client = new pg.Client({ connectionString: pooledUrl, statement_timeout: 60_000 });
  await t.rejects(client.connect(), /unsupported startup parameter: statement_timeout/);
  const withOptions = new pg.Client({ connectionString: pooledUrl, options: '-c jit=off' });
  await t.rejects(withOptions.connect(), /unsupported startup parameter: options/);
});

t.test('the app\'s pool works through it, and JIT is off by the database\'s own setting', async (t) => {
  const direct = new pg.Client({ connectionString: db.directUrl });
  await direct.connect();
  await applyDatabaseSettings(direct, silentLogger); // what migrate does (a clone does not inherit it)
  await direct.end();
  const pool = await createDatabasePool(pooledUrl);
  t.teardown(() => pool.end());
  const jit = await pool.oneFirst(sql.type(z.object({ jit: z.string() }))`select current_setting('jit') as jit`);
  t.equal(jit, 'off');
  // Many more concurrent transactions than server connections (3): each gets one while it runs.
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => pool.transaction(async (tx) => tx.oneFirst(sql.type(z.object({ n: z.number() }))`select ${i}::int as n`))),
  );
  t.same(results, Array.from({ length: 20 }, (_, i) => i));
});

t.test('pg-boss sends, fetches and completes through it', async (t) => {
  const boss = createBoss(pooledUrl, { migrate: false, supervise: false, schedule: false });
  boss.on('error', (error) => t.fail(String(error)));
  await boss.start();
  t.teardown(() => boss.stop({ graceful: false, close: true }));
  await boss.createQueue('pooler-check');
  const id = await boss.send('pooler-check', { n: 1 });
  const [job] = await boss.fetch<{ n: number }>('pooler-check');
  t.equal(job?.id, id);
  t.same(job?.data, { n: 1 });
  await boss.complete('pooler-check', id!);
  const client = new pg.Client({ connectionString: db.directUrl });
  await client.connect();
  const { rows } = await client.query('select state from pgboss.job where id = $1', [id]);
  await client.end();
  const state = rows[0]?.state;
  t.equal(state, 'completed');
});
