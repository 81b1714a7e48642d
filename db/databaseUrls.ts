// Helpers for tools that create and drop whole databases (tests, schema dump, benchmarks).
import pg from 'pg';

/** The same server and credentials as `url`, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/' + encodeURIComponent(database);
  return parsed.toString();
}

export async function adminQuery(serverUrl: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'pgdialer-admin' });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

export async function databasesNamed(serverUrl: string, likePattern: string): Promise<string[]> {
  const result = await adminQuery(serverUrl, 'select datname from pg_database where datname like $1', [likePattern]);
  return result.rows.map((row: { datname: string }) => row.datname);
}

export const createDatabase = async (serverUrl: string, name: string, template?: string) => {
  await adminQuery(serverUrl, `create database ${pg.escapeIdentifier(name)}${template ? ` template ${pg.escapeIdentifier(template)}` : ''}`);
};

export const dropDatabase = async (serverUrl: string, name: string) => {
  await adminQuery(serverUrl, `drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
};
