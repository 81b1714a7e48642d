import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createTestDatabase } from '../helpers/database.js';
import { dumpSchema } from '../../db/schemaDump.js';

t.test('the committed db/schema.sql matches the migrated schema', async (t) => {
  const db = await createTestDatabase(t);
  const committed = await readFile(new URL('../../db/schema.sql', import.meta.url), 'utf8');
  const actual = await dumpSchema(db.url);
  t.equal(actual, committed, 'schema drift: run `npm run db:dump` and commit db/schema.sql');
});

t.test('every public function and view is documented with COMMENT ON', async (t) => {
  const db = await createTestDatabase(t);
  const dump = await dumpSchema(db.url);
  const views = [...dump.matchAll(/^create view dialer\.(\w+)/gm)].map((m) => m[1]);
  const functions = [...dump.matchAll(/^CREATE OR REPLACE FUNCTION dialer\.(\w+)\(/gm)].map((m) => m[1]);
  for (const name of views) t.match(dump, new RegExp(`comment on view dialer\\.${name} is`), `view ${name} has a comment`);
  for (const name of new Set(functions)) {
    t.match(dump, new RegExp(`comment on function dialer\\.${name}\\(`), `function ${name} has a comment`);
  }
});
