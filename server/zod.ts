// The zod of the edges: request bodies, query strings, configuration, and the OpenAPI document
// generated from them (zod 4's API, `zod/v4` of the zod 3.25 package). Database rows use
// db/zod.ts (what slonik validates with). test/structure.test.ts keeps every other module from
// importing zod itself.
export { z, ZodError } from 'zod/v4';
