// The slonik pool: typed queries (sql.type(zodSchema) rows are validated at the boundary) and
// JSON-friendly values (timestamps as ISO strings, bigint and numeric as numbers).
import { createPool, SchemaValidationError, type DatabasePool, type Interceptor } from 'slonik';

const resultParser: Interceptor = {
  name: 'result-parser',
  transformRow(context, query, row) {
    const parser = context.resultParser;
    if (!parser) return row;
    const result = parser.safeParse(row);
    if (!result.success) throw new SchemaValidationError(query, row, result.error.issues);
    return result.data;
  },
};

const isoTimestamp = (value: string | null) => (value === null ? null : new Date(value).toISOString());

export const typeParsers = [
  { name: 'int8', parse: (value: string) => Number.parseInt(value, 10) },
  { name: 'numeric', parse: (value: string) => Number.parseFloat(value) },
  { name: 'timestamptz', parse: isoTimestamp },
  { name: 'timestamp', parse: isoTimestamp },
  { name: 'date', parse: (value: string) => value },
];

export type PoolOptions = { maximumPoolSize?: number; idleTimeout?: number };

export async function createDatabasePool(url: string, options: PoolOptions = {}): Promise<DatabasePool> {
  return createPool(url, {
    interceptors: [resultParser],
    typeParsers,
    maximumPoolSize: options.maximumPoolSize ?? 10,
    // Idle connections are closed quickly so an idle system holds (and polls) nothing.
    idleTimeout: options.idleTimeout ?? 5_000,
    captureStackTrace: false,
  });
}
