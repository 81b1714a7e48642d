// The admin views (campaign_progress, scheduler_status) expand into very large expressions.
// Where Postgres is built with LLVM (e.g. Debian's PG 15, jit = on by default), their cost
// estimates trigger JIT compilation that takes longer than the query: measured 9.4 s with JIT,
// 1.1 s without, for one campaign over 200,000 calls. Turned off for these reads only.
import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';

export async function withoutJit<T>(pool: DatabasePool, read: (connection: DatabaseTransactionConnection) => Promise<T>): Promise<T> {
  return pool.transaction(async (connection) => {
    await connection.query(sql.unsafe`set local jit = off`);
    return read(connection);
  });
}
