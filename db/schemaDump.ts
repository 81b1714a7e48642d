// A deterministic text dump of the dialer schema, read from the catalogs (the embedded
// Postgres ships no pg_dump). Committed as db/schema.sql; a test compares it with a freshly
// migrated database so that schema drift shows up in review.
import pg from 'pg';

export const DUMPED_SCHEMA = 'dialer';

type Row = Record<string, string> & { definition: string };

const queries = {
  tables: `
    select c.relname as name, obj_description(c.oid, 'pg_class') as comment, c.relrowsecurity::text as rls
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relkind in ('r', 'p') order by c.relname`,
  columns: `
    select c.relname as table_name, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull::text as not_null, pg_get_expr(d.adbin, d.adrelid) as default_expr,
           a.attidentity as identity, a.attgenerated as generated,
           col_description(c.oid, a.attnum) as comment
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where n.nspname = $1 and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum`,
  constraints: `
    select c.relname as table_name, k.conname as name, pg_get_constraintdef(k.oid, true) as definition
    from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and k.contype <> 'n' order by c.relname, k.conname`,
  indexes: `
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
    from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
    order by 1`,
  views: `
    select c.relname as name, pg_get_viewdef(c.oid, true) as definition,
           obj_description(c.oid, 'pg_class') as comment
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and c.relkind in ('v', 'm') order by c.relname`,
  functions: `
    select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as signature,
           pg_get_functiondef(p.oid) as definition, obj_description(p.oid, 'pg_proc') as comment
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = $1 and p.prokind in ('f', 'p') order by 1`,
  triggers: `
    select pg_get_triggerdef(t.oid, true) as definition
    from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = $1 and not t.tgisinternal order by c.relname, t.tgname`,
  policies: `
    select tablename as table_name, policyname as name, cmd, qual, with_check, roles::text as roles
    from pg_policies where schemaname = $1 order by tablename, policyname`,
  types: `
    select t.typname as name, t.typtype as kind, format_type(t.oid, null) as formatted,
           coalesce((select string_agg(quote_literal(e.enumlabel), ', ' order by e.enumsortorder)
                     from pg_enum e where e.enumtypid = t.oid), '') as labels
    from pg_type t join pg_namespace n on n.oid = t.typnamespace
    where n.nspname = $1 and t.typtype in ('e', 'd', 'c')
      and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')
    order by t.typname`,
};

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

export async function dumpSchema(url: string, schema = DUMPED_SCHEMA): Promise<string> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgdialer-schema-dump' });
  await client.connect();
  try {
    const read = async (name: keyof typeof queries) => (await client.query<Row>(queries[name], [schema])).rows;
    const tables = await read('tables');
    const columns = await read('columns');
    const constraints = await read('constraints');
    const indexes = await read('indexes');
    const views = await read('views');
    const functions = await read('functions');
    const triggers = await read('triggers');
    const policies = await read('policies');
    const types = await read('types');
    const major = (await client.query<{ major: string }>("select current_setting('server_version_num')::int / 10000 as major")).rows[0]!.major;
    const out: string[] = [`-- Schema ${schema} on PostgreSQL ${major}, dumped by \`npm run db:dump\`. Do not edit: run the dump after a change.`, ''];

    for (const type of types) out.push(`-- type ${type.formatted} (${type.kind}) ${type.labels}`.trimEnd());
    for (const table of tables) {
      const lines = columns!
        .filter((column) => column.table_name === table.name)
        .map((column) => {
          let line = `  ${column.name} ${column.type}`;
          if (column.generated === 's') line += ` generated always as (${column.default_expr}) stored`;
          else if (column.default_expr) line += ` default ${column.default_expr}`;
          if (column.identity) line += ` generated ${column.identity === 'a' ? 'always' : 'by default'} as identity`;
          if (column.not_null === 'true') line += ' not null';
          return line;
        });
      for (const constraint of constraints.filter((k) => k.table_name === table.name)) {
        lines.push(`  constraint ${constraint.name} ${constraint.definition}`);
      }
      out.push(`create table ${schema}.${table.name} (\n${lines.join(',\n')}\n);`);
      if (table.rls === 'true') out.push(`alter table ${schema}.${table.name} enable row level security;`);
      if (table.comment) out.push(`comment on table ${schema}.${table.name} is ${literal(table.comment)};`);
      for (const column of columns.filter((c) => c.table_name === table.name && c.comment)) {
        out.push(`comment on column ${schema}.${table.name}.${column.name} is ${literal(column.comment!)};`);
      }
      out.push('');
    }
    for (const index of indexes) out.push(`${index.definition};`);
    out.push('');
    for (const trigger of triggers) out.push(`${trigger.definition};`);
    for (const policy of policies) {
      out.push(`-- policy ${policy.name} on ${policy.table_name} for ${policy.cmd} to ${policy.roles} using (${policy.qual ?? ''}) with check (${policy.with_check ?? ''})`);
    }
    out.push('');
    for (const view of views) {
      out.push(`create view ${schema}.${view.name} as\n${view.definition.trimEnd()}`);
      if (view.comment) out.push(`comment on view ${schema}.${view.name} is ${literal(view.comment)};`);
      out.push('');
    }
    for (const fn of functions) {
      out.push(`${fn.definition.trimEnd()};`);
      if (fn.comment) out.push(`comment on function ${schema}.${fn.signature} is ${literal(fn.comment)};`);
      out.push('');
    }
    return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
  } finally {
    await client.end();
  }
}

/** The PostgreSQL major version a dump was taken on (from its first line). */
export function dumpedOnMajor(dump: string): number | undefined {
  const match = /^-- Schema \S+ on PostgreSQL (\d+),/.exec(dump);
  return match ? Number(match[1]) : undefined;
}

/**
 * A dump without the bodies of views and functions, whose text Postgres prints differently from
 * one major version to the next: tables, constraints, indexes, comments and the names and
 * signatures of views and functions remain, so a dump taken on another version still compares.
 */
export function schemaOutline(dump: string): string {
  return dump
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n');
      const first = lines[0] ?? '';
      if (!/^(create view |CREATE OR REPLACE FUNCTION )/.test(first)) return block;
      return [first, ...lines.filter((line) => line.startsWith('comment on '))].join('\n');
    })
    .slice(1)
    .join('\n\n');
}
