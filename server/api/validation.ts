// Request validation with zod: a failure becomes a 400 validation_error listing every problem.
import type { z } from '../zod.js';

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  // ZodError is turned into the one error format by server/http/errors.ts.
  return schema.parse(value);
}
