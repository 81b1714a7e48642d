// Keyset pagination needs the exact sort key. Rows carry timestamps as ISO strings cut to
// milliseconds (db/pool.ts), and Postgres keeps microseconds: a cursor made from the cut value
// would skip every row after the page's last one within the same millisecond, which is every
// row of a bulk insert (they share one now()). This is the full value, as text Postgres reads back.
import { sql } from 'slonik';

export const exactInstant = (column: readonly string[]) =>
  sql.fragment`to_char(${sql.identifier([...column])} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
