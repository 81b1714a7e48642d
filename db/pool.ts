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

/** A connection unused this long is closed: no session is held while nothing runs (Neon can suspend). */
export const POOL_IDLE_TIMEOUT_MS = 1_000;

/**
 * Works the same straight to Postgres and through a transaction-mode pooler (PgBouncer, Neon's
 * and Supabase's pooled URLs), so nothing here may live in a session:
 * - no startup parameters: slonik's default statement_timeout and
 *   idle_in_transaction_session_timeout travel in the startup packet, which PgBouncer refuses
 *   ("unsupported startup parameter"); JIT is switched off per database by migrate instead of
 *   `options=-c jit=off` (see db/migrate.ts);
 * - no reset query on release (slonik's default is DISCARD ALL): we never leave session state,
 *   and the extra round trip would be one more statement per use;
 * - unnamed statements only (slonik's pg driver), which poolers pass through.
 */
export async function createDatabasePool(url: string, options: PoolOptions = {}): Promise<DatabasePool> {
  return createPool(url, {
    interceptors: [resultParser],
    typeParsers,
    maximumPoolSize: options.maximumPoolSize ?? 10,
    idleTimeout: options.idleTimeout ?? POOL_IDLE_TIMEOUT_MS,
    statementTimeout: 'DISABLE_TIMEOUT',
    idleInTransactionSessionTimeout: 'DISABLE_TIMEOUT',
    resetConnection: async () => {},
    captureStackTrace: false,
  });
}
