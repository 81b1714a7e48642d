// CSV import into a campaign, and the stored report of any import. The body is streamed into
// the import pipeline (server/csv/importContacts.ts): as text/csv, or as the file part of a
// multipart/form-data upload; never buffered whole, cut off past IMPORT_MAX_BYTES (413).
import type { Request, Router } from 'express';
import { sql } from 'slonik';
import { z as z3 } from '../../db/zod.js';
import { z } from '../zod.js';
import type { AppContext } from '../context.js';
import { HttpError, notFound } from '../http/errors.js';
import { apiKeyActor } from '../../db/queries/audit.js';
import { callerOf } from './auth.js';
import { idParams } from './schemas.js';
import { route } from './route.js';
import { importContacts, ImportFailedError, type ImportReport } from '../csv/importContacts.js';
import { ImportRefusedError } from '../csv/columns.js';
import { MalformedCsvError } from '../csv/csvRecords.js';
import { limitBytes, PayloadTooLargeError } from '../csv/byteLimit.js';
import { boundaryOf, firstFilePart, MultipartError } from '../csv/multipart.js';
import { isRegion } from '../csv/phone.js';

const importQuery = z.object({
  phone: z.string().min(1).max(200).optional().describe('the phone column (default: phone, phone_number, mobile, number, tel, …)'),
  name: z.string().min(1).max(200).optional().describe('the name column (default: name, full name, or first + last name)'),
  timezone: z.string().min(1).max(200).optional().describe('the time zone column (default: timezone, time_zone, tz)'),
  defaultRegion: z
    .string()
    .default('US')
    .refine(isRegion, 'not a supported ISO 3166 country code (e.g. US, GB)')
    .describe('country of numbers written without +country code (default US)'),
});

const rowError = z.object({ line: z.number().nullable(), code: z.string(), message: z.string() });

export const importReport = z.object({
  importId: z.uuid(),
  campaignId: z.uuid(),
  status: z.enum(['running', 'completed', 'failed']),
  filename: z.string().nullable(),
  rows: z.number().describe('data records read (blank lines not counted); rows = imported + duplicates + dnc + rejected'),
  imported: z.number().describe('contacts added to the campaign'),
  duplicates: z.number().describe('rows whose number was already in the campaign or earlier in the file'),
  dnc: z.number().describe('contacts added but on the do-not-call list: never called'),
  rejected: z.number().describe('rows not imported, each with one error'),
  errors: z.array(rowError).describe('the first 1,000 errors; line is the physical line where the record starts (header = 1)'),
  errorsOmitted: z.number().describe('errors beyond those listed'),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

const importRow = z3.object({
  id: z3.string(),
  campaign_id: z3.string(),
  status: z3.enum(['running', 'completed', 'failed']),
  filename: z3.string().nullable(),
  rows: z3.number(),
  imported: z3.number(),
  duplicates: z3.number(),
  dnc: z3.number(),
  rejected: z3.number(),
  errors: z3.array(z3.object({ line: z3.number().nullable(), code: z3.string(), message: z3.string() })),
  created_at: z3.string(),
  finished_at: z3.string().nullable(),
});

async function readImport(context: AppContext, tenantId: string, importId: string): Promise<z.infer<typeof importReport>> {
  const row = await context.pool.maybeOne(sql.type(importRow)`
    select id, campaign_id, status, filename, rows, imported, duplicates, dnc, rejected, errors, created_at, finished_at
    from dialer.imports where id = ${importId} and tenant_id = ${tenantId}`);
  if (!row) throw notFound('import');
  return {
    importId: row.id,
    campaignId: row.campaign_id,
    status: row.status,
    filename: row.filename,
    rows: row.rows,
    imported: row.imported,
    duplicates: row.duplicates,
    dnc: row.dnc,
    rejected: row.rejected,
    errors: row.errors,
    errorsOmitted: row.status === 'completed' ? Math.max(0, row.rejected - row.errors.length) : 0, // warnings (kept rows) are not counted apart
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** The CSV bytes of the request and the file's name, whatever the upload's form. */
export async function csvSource(request: Request, maxBytes: number): Promise<{ source: AsyncIterable<Buffer>; filename: string | null }> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new PayloadTooLargeError(maxBytes);
  const body = limitBytes(request, maxBytes);
  const contentType = request.headers['content-type'] ?? '';
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType === 'text/csv' || mediaType === 'application/csv') {
    const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpError(415, 'unsupported_media_type', `the CSV must be UTF-8 (got charset=${charset})`);
    }
    return { source: body, filename: null };
  }
  if (mediaType === 'multipart/form-data') {
    const boundary = boundaryOf(contentType);
    if (!boundary) throw new HttpError(400, 'invalid_multipart', 'the multipart Content-Type has no boundary');
    const part = await firstFilePart(body, boundary);
    return { source: part.content, filename: part.filename || null };
  }
  throw new HttpError(415, 'unsupported_media_type', `send the CSV as text/csv or multipart/form-data (got ${contentType || 'no content type'})`);
}

/** Import failures as HTTP answers; the import's id goes in the details when it was recorded. */
export function importError(error: unknown): unknown {
  const importId = error instanceof ImportFailedError ? error.importId : undefined;
  const cause = error instanceof ImportFailedError ? error.cause : error;
  const details = importId ? [{ message: 'the import was recorded as failed', importId }] : [];
  if (cause instanceof PayloadTooLargeError) return new HttpError(413, 'payload_too_large', cause.message, details);
  if (cause instanceof ImportRefusedError) return new HttpError(422, cause.code, cause.message, details);
  if (cause instanceof MalformedCsvError) return new HttpError(422, 'malformed_csv', cause.message, details);
  if (cause instanceof MultipartError) return new HttpError(400, 'invalid_multipart', cause.message, details);
  return cause;
}

export function installImportRoutes(router: Router, context: AppContext): void {
  route(
    router,
    {
      method: 'post',
      path: '/v1/campaigns/:id/contacts/import',
      summary: 'Import contacts from a CSV file into a campaign',
      description:
        'Body: the CSV as text/csv, or one file part of multipart/form-data (UTF-8, comma or semicolon, header line first). ' +
        'Phones are normalised to E.164; other columns become the contact\'s variables. Nothing is imported when the ' +
        'header has no phone column (422), the body is too large (413) or the CSV is malformed (422). ' +
        'See server/csv/README.md for every rule.',
      params: idParams,
      query: importQuery,
      body: z.unknown().describe('the CSV file (text/csv), or multipart/form-data with one file part'),
      bodyContentType: 'text/csv',
      moreBodies: {
        'multipart/form-data': z.object({ file: z.string().meta({ format: 'binary', description: 'the CSV file (one file part)' }) }),
      },
      errors: [409, 413, 415, 422],
      responses: { 201: { description: 'the import report (also at GET /v1/imports/{importId})', schema: importReport } },
    },
    async ({ params, query }, request, response) => {
      const caller = callerOf(response);
      let report: ImportReport;
      try {
        const { source, filename } = await csvSource(request, context.config.importMaxBytes);
        report = await importContacts(context.pool, {
          tenantId: caller.tenantId,
          campaignId: params.id,
          source,
          filename,
          mapping: { phone: query.phone, name: query.name, timezone: query.timezone },
          defaultRegion: query.defaultRegion as Parameters<typeof importContacts>[1]['defaultRegion'],
          actor: apiKeyActor(caller.apiKeyId),
          at: context.clock.now(),
        });
      } catch (error) {
        // Whatever is left of the body is not read: close the connection after answering.
        response.set('Connection', 'close');
        throw importError(error);
      }
      if (report.callsCreated > 0) context.wakeWorker?.('contacts_imported');
      const stored = await readImport(context, caller.tenantId, report.importId);
      response.set('Location', `/v1/imports/${report.importId}`);
      return { status: 201, body: stored };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/v1/imports/:id',
      summary: 'The report of an import',
      params: idParams,
      responses: { 200: { description: 'the import and its report', schema: importReport } },
    },
    async ({ params }, _request, response) => ({ body: await readImport(context, callerOf(response).tenantId, params.id) }),
  );
}
