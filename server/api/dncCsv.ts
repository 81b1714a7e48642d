// The do-not-call list as CSV: POST /v1/dnc/import (text/csv or multipart, streamed like the
// contact import, server/csv/importDnc.ts) and GET /v1/dnc.csv (the whole list in phone order,
// read in keyset batches along the primary key, so memory stays flat whatever its size). What
// the export writes, the import reads back: phone and reason by their column names.
import type { Response, Router } from 'express';
import { sql, type DatabasePool } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { apiKeyActor } from '../../db/queries/audit.js';
import { importDnc } from '../csv/importDnc.js';
import { isRegion } from '../csv/phone.js';
import { callerOf } from './auth.js';
import { csvSource, importError } from './imports.js';
import { csvField, drainedOrClosed } from './callsCsv.js';
import { dncSources } from './dnc.js';
import { route } from './route.js';

const BATCH = 1000;

const importQuery = z.object({
  phone: z.string().min(1).max(200).optional().describe('the phone column (default: phone, phone_number, mobile, number, tel, …)'),
  reason: z.string().min(1).max(200).optional().describe('the reason column (default: reason, note, notes, comment, comments); none = no reason'),
  defaultRegion: z
    .string()
    .default('US')
    .refine(isRegion, 'not a supported ISO 3166 country code (e.g. US, GB)')
    .describe('country of numbers written without +country code (default US)'),
});

const dncImportReport = z.object({
  rows: z.number().describe('data records read (blank lines not counted); rows = added + alreadyListed + duplicates + rejected'),
  added: z.number().describe('numbers put on the list (source import)'),
  alreadyListed: z.number().describe('rows whose number was listed before: its entry is kept (a missing reason is filled)'),
  duplicates: z.number().describe('rows whose number came earlier in the file'),
  rejected: z.number().describe('rows not imported, each with one error'),
  cancelledCalls: z.number().describe('pending calls to the listed numbers, cancelled'),
  errors: z
    .array(z.object({ line: z.number(), code: z.string(), message: z.string() }))
    .describe('the first 1,000 errors; line is the physical line where the record starts (header = 1)'),
  errorsOmitted: z.number().describe('errors beyond those listed'),
});

const exportRow = z3.object({
  phone: z3.string(),
  reason: z3.string().nullable(),
  source: z3.string(),
  source_call_id: z3.string().nullable(),
  created_at: z3.string(),
});
type ExportRow = z3.infer<typeof exportRow>;

const columns: Array<[name: string, value: (row: ExportRow) => string | null, userText?: 'user text']> = [
  ['phone', (row) => row.phone],
  ['reason', (row) => row.reason, 'user text'],
  ['source', (row) => row.source],
  ['source_call_id', (row) => row.source_call_id],
  ['created_at', (row) => row.created_at],
];

const listPage = (pool: DatabasePool, tenantId: string, source: string | undefined, after: string | undefined) =>
  pool.any(sql.type(exportRow)`
    select phone, reason, source, source_call_id, created_at from dialer.dnc
    where tenant_id = ${tenantId}
      ${after === undefined ? sql.fragment`` : sql.fragment`and phone > ${after}`}
      ${source ? sql.fragment`and source = ${source}` : sql.fragment``}
    order by phone
    limit ${BATCH}`);

async function writeDncCsv(pool: DatabasePool, tenantId: string, source: string | undefined, response: Response): Promise<void> {
  // The first batch is read before the headers go out, so a database error is still a proper 500.
  let rows = await listPage(pool, tenantId, source, undefined);
  response.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="dnc.csv"');
  response.write(columns.map(([name]) => name).join(',') + '\r\n');
  while (rows.length > 0) {
    const chunk = rows.map((row) => columns.map(([, value, userText]) => csvField(value(row), Boolean(userText))).join(',') + '\r\n').join('');
    if (!response.write(chunk)) await drainedOrClosed(response);
    if (rows.length < BATCH || response.destroyed) break;
    rows = await listPage(pool, tenantId, source, rows[rows.length - 1]!.phone);
  }
  response.end();
}

export function installDncCsvRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'post',
      path: '/v1/dnc/import',
      summary: 'Import do-not-call numbers from a CSV file; their pending calls are cancelled',
      description:
        'Body: the CSV as text/csv, or one file part of multipart/form-data (UTF-8, comma, semicolon or tab, header line first), ' +
        'as for contact imports. Numbers are normalised to E.164 and listed with source import; each rejected row is reported ' +
        'with its line and code. All or nothing: no phone column (422), a malformed CSV (422) or a body over IMPORT_MAX_BYTES (413) ' +
        'lists nothing. GET /v1/dnc.csv writes a file this route reads back.',
      query: importQuery,
      body: z.unknown().describe('the CSV file (text/csv), or multipart/form-data with one file part'),
      bodyContentType: 'text/csv',
      responses: { 200: { description: 'the import report', schema: dncImportReport } },
    },
    async ({ query }, request, response) => {
      const caller = callerOf(response);
      try {
        const { source, filename } = await csvSource(request, context.config.importMaxBytes);
        const report = await importDnc(context.pool, {
          tenantId: caller.tenantId,
          source,
          filename,
          mapping: { phone: query.phone, reason: query.reason },
          defaultRegion: query.defaultRegion as Parameters<typeof importDnc>[1]['defaultRegion'],
          actor: apiKeyActor(caller.apiKeyId),
          at: context.clock.now(),
        });
        return { status: 200, body: report };
      } catch (error) {
        // Whatever is left of the body is not read: close the connection after answering.
        response.set('Connection', 'close');
        throw importError(error);
      }
    },
  );

  // Declared before DELETE /v1/dnc/:phone; "dnc.csv" has no slash, so Express cannot confuse them.
  route(
    router,
    {
      method: 'get',
      path: '/v1/dnc.csv',
      summary: 'The do-not-call list as CSV (phone, reason, source, source_call_id, created_at), in phone order',
      description: 'Reasons that a spreadsheet would run as a formula are prefixed with \'; POST /v1/dnc/import takes the prefix off again.',
      query: z.object({ source: z.enum(dncSources).optional().describe('only the entries from this source') }),
      responses: { 200: { description: 'CSV with a header line', schema: z.string(), contentType: 'text/csv' } },
    },
    async ({ query }, _request, response) => {
      await writeDncCsv(context.pool, callerOf(response).tenantId, query.source, response);
      return undefined;
    },
  );
}
