// The zod of database rows: every `sql.type(schema)` schema is built with this `z`. It is zod 3's
// API (the root of the zod 3.25 package), the one slonik 47 validates rows with (slonik moves to
// zod 4 only in versions that need Node 24). Edges (HTTP bodies, configuration) use server/zod.ts.
// test/structure.test.ts keeps every other module from importing zod itself.
export { z } from 'zod';
