import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { readdir } from 'node:fs/promises';
import { migrate, MIGRATIONS_DIR } from '../../db/migrate.js';
import { dumpSchema } from '../../db/schemaDump.js';
import { silentLogger } from '../../server/log.js';

t.test('migrating an empty database, then migrating again, changes nothing the second time', async (t) => {
  const db = await createTestDatabase(t, { empty: true });
  const first = await migrate(db.url, silentLogger);
  t.ok(first.migrationsRun.length > 0, 'the first run applies the migrations');
  t.ok(first.sqlFilesApplied.length > 0, 'and the sql/ files');
  const schemaAfterFirst = await dumpSchema(db.url);

  const second = await migrate(db.url, silentLogger);
  t.same(second.migrationsRun, [], 'the second run applies no migration');
  t.equal(await dumpSchema(db.url), schemaAfterFirst, 'and leaves the schema as it was');

  const bossTables = await db.pool.oneFirst(
    sql.type(z.object({ count: z.number() }))`select count(*)::int as count from information_schema.tables where table_schema = 'pgboss'`,
  );
  t.ok(bossTables > 0, "pg-boss's schema is installed in its own schema");
});

t.test('two migrate runs at once do not fail (processes starting together)', async (t) => {
  const db = await createTestDatabase(t, { empty: true });
  const [a, b] = await Promise.all([migrate(db.url, silentLogger), migrate(db.url, silentLogger)]);
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql'));
  t.equal(a.migrationsRun.length + b.migrationsRun.length, files.length, 'each migration applied exactly once');
});
