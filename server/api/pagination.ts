// Keyset pagination: `limit` and an opaque `cursor` (the sort key of the last row returned).
// A page's `nextCursor` is null when there is nothing after it. Stable under inserts, and
// as fast for page 1,000 as for page 1. The key must be exact: for a timestamp use
// db/queries/keyset.ts exactInstant (microseconds), never the row's millisecond ISO string.
import { z } from '../zod.js';
import { HttpError } from '../http/errors.js';

export const limitSchema = (max: number, fallback = 50) =>
  z.coerce.number().int().min(1).max(max).default(fallback).describe(`page size (1–${max}, default ${fallback})`);

export const cursorSchema = z.string().max(500).optional().describe('nextCursor of the previous page');

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key inside a cursor, checked against the shape the route expects. */
export function decodeCursor<T extends z.ZodType>(cursor: string, shape: T): z.output<T> {
  try {
    return shape.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new HttpError(400, 'validation_error', 'the cursor is not valid', [{ path: 'cursor', message: 'use the nextCursor of a previous page' }]);
  }
}

/** Fetch limit + 1 rows; this cuts the extra one and makes the cursor from the last row kept. */
export function page<Row>(rows: readonly Row[], limit: number, keyOf: (row: Row) => unknown[]) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null at the end') });
