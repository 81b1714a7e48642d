// GET /v1/calls.csv: every call matching the filters, written in keyset batches so memory stays
// flat whatever the history's size, waiting for the client when its socket is full.
import type { Response } from 'express';
import type { DatabasePool } from 'slonik';
import { listCalls, type CallFilters, type CallRow } from '../../db/queries/calls.js';

const BATCH = 1000;

type Column = [name: string, value: (row: CallRow) => string | number | null, userText?: 'user text'];

const columns: Column[] = [
  ['id', (r) => r.id],
  ['created_at', (r) => r.created_at],
  ['campaign_id', (r) => r.campaign_id],
  ['campaign_name', (r) => r.campaign_name, 'user text'],
  ['contact_id', (r) => r.contact_id],
  ['contact_name', (r) => r.contact_name, 'user text'],
  ['phone', (r) => r.phone],
  ['status', (r) => r.status],
  ['outcome', (r) => r.outcome],
  ['ended_reason', (r) => r.ended_reason],
  ['attempt', (r) => r.attempt],
  ['occurrence', (r) => r.occurrence],
  ['due_at', (r) => r.due_at],
  ['started_at', (r) => r.started_at],
  ['ended_at', (r) => r.ended_at],
  ['duration_seconds', (r) => r.duration_seconds],
  ['cost', (r) => r.cost],
  ['vapi_call_id', (r) => r.vapi_call_id],
];

/**
 * RFC 4180 quoting. Text typed by users (names) that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR first) gets a leading ' ; phones (+1…) are ours and left as they are.
 */
export function csvField(value: string | number | null, userText = false): string {
  if (value === null) return '';
  let text = String(value);
  if (userText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Waits for the socket to take more, or for the client to go away (then there is no drain). */
export function drainedOrClosed(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

export async function writeCallsCsv(pool: DatabasePool, tenantId: string, filters: CallFilters, response: Response): Promise<void> {
  // Read the first batch before sending headers, so a database error is still a proper 500.
  let rows = await listCalls(pool, tenantId, filters, BATCH);
  response.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="calls.csv"');
  response.write(columns.map(([name]) => name).join(',') + '\r\n');
  while (rows.length > 0) {
    const chunk = rows.map((row) => columns.map(([, value, userText]) => csvField(value(row), Boolean(userText))).join(',') + '\r\n').join('');
    if (!response.write(chunk)) await drainedOrClosed(response);
    if (rows.length < BATCH || response.destroyed) break;
    const last = rows[rows.length - 1]!;
    rows = await listCalls(pool, tenantId, { ...filters, before: [last.sort_at, last.id] }, BATCH);
  }
  response.end();
}
