import t from 'tap';
import { readFile } from 'node:fs/promises';
import { createTestDatabase } from '../helpers/database.js';
import { dumpSchema, dumpedOnMajor, schemaOutline } from '../../db/schemaDump.js';

t.test('the committed db/schema.sql matches the migrated schema', async (t) => {
  const db = await createTestDatabase(t);
  const committed = await readFile(new URL('../../db/schema.sql', import.meta.url), 'utf8');
  const actual = await dumpSchema(db.url);
  if (dumpedOnMajor(actual) === dumpedOnMajor(committed)) {
    t.equal(actual, committed, 'schema drift: run `npm run db:dump` and commit db/schema.sql');
  } else {
    // Another major version prints view and function bodies differently: compare the rest.
    t.comment(`db/schema.sql was dumped on PostgreSQL ${dumpedOnMajor(committed)}, this server is ${dumpedOnMajor(actual)}: bodies of views and functions not compared`);
    t.equal(schemaOutline(actual), schemaOutline(committed), 'schema drift: run `npm run db:dump` and commit db/schema.sql');
  }
});

t.test('the outline of a dump leaves out view and function bodies only', async (t) => {
  const dump = [
    '-- Schema dialer on PostgreSQL 18, dumped by x.',
    'create table dialer.t (\n  id integer\n);',
    'create view dialer.v as\n SELECT 1;\ncomment on view dialer.v is \'V\';',
    'CREATE OR REPLACE FUNCTION dialer.f(a integer)\n RETURNS integer\nAS $function$ select 1 $function$;\ncomment on function dialer.f(a integer) is \'F\';',
  ].join('\n\n');
  t.equal(dumpedOnMajor(dump), 18);
  t.equal(
    schemaOutline(dump),
    "create table dialer.t (\n  id integer\n);\n\ncreate view dialer.v as\ncomment on view dialer.v is 'V';\n\nCREATE OR REPLACE FUNCTION dialer.f(a integer)\ncomment on function dialer.f(a integer) is 'F';",
  );
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
