// The import pipeline, shared by the API and the CLI: CSV bytes → records → contact rows →
// batches written by dialer.import_contacts_batch, in one transaction, in constant memory.
// Parsing the next batch overlaps with the database writing the previous one (one query in
// flight at a time on the transaction's connection). A failure rolls every row back and marks
// the import failed; the report is stored by dialer.finish_import.
import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';
import { z } from '../../db/zod.js';
import type { CountryCode } from 'libphonenumber-js';
import { csvRecords, MalformedCsvError, type CsvRecord } from './csvRecords.js';
import { planColumns, ImportRefusedError, type ColumnMapping, type ColumnPlan } from './columns.js';
import { toContactRow, isRowError, type ContactRow, type RowError } from './contactRow.js';
import { loadTimeZones } from './timeZones.js';
import { importLimits } from './limits.js';
import { PayloadTooLargeError } from './byteLimit.js';
import { notifyWorker } from '../worker/wake.js';
import { audit } from '../../db/queries/audit.js';

export type ImportRequest = {
  tenantId: string;
  campaignId: string;
  /** The CSV bytes (already cut out of a multipart body, already size-limited). */
  source: AsyncIterable<Buffer>;
  filename?: string | null;
  mapping?: ColumnMapping;
  defaultRegion: CountryCode;
  /** Who asks, for the audit log: "api_key:<id>" or "cli". */
  actor: string;
  at: Date;
  /** Called after each batch is written (the CLI's progress). */
  onProgress?: (counts: ImportCounts) => void;
};

export type ImportCounts = { rows: number; imported: number; duplicates: number; dnc: number; rejected: number };

export type ImportReport = ImportCounts & {
  importId: string;
  errors: RowError[];
  /** Errors beyond the stored ones (each rejected row has exactly one; a kept row one per unusable state or postal code). */
  errorsOmitted: number;
  /** Calls created for the new members (active or paused campaign; 0 otherwise). */
  callsCreated: number;
};

/** An import that failed after it was recorded: the cause, and the import id for the client. */
export class ImportFailedError extends Error {
  override name = 'ImportFailedError';
  constructor(readonly importId: string, override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

const batchResult = z.object({ imported: z.number(), duplicates: z.number(), dnc: z.number() });

/** Reads records until the header, returning it with the records that followed in its batch. */
async function readHeader(batches: AsyncIterator<CsvRecord[]>): Promise<{ header: CsvRecord; rest: CsvRecord[] }> {
  for (;;) {
    const next = await batches.next();
    if (next.done) throw new ImportRefusedError('empty_file', 'the file has no header line');
    const [header, ...rest] = next.value;
    if (header) return { header, rest };
  }
}

function errorEntry(error: unknown): { line: number | null; code: string; message: string } {
  if (error instanceof ImportRefusedError) return { line: 1, code: error.code, message: error.message };
  if (error instanceof MalformedCsvError) return { line: error.line, code: 'malformed_csv', message: error.message };
  if (error instanceof PayloadTooLargeError) return { line: null, code: 'payload_too_large', message: error.message };
  return { line: null, code: 'import_failed', message: error instanceof Error ? error.message : String(error) };
}

export async function importContacts(pool: DatabasePool, request: ImportRequest): Promise<ImportReport> {
  const importId = await pool.oneFirst(sql.type(z.object({ start_import: z.string() }))`
    select dialer.start_import(${request.tenantId}, ${request.campaignId}, ${request.filename ?? null},
      ${request.at.toISOString()})`);
  try {
    return await pool.transaction((tx) => writeImport(tx, importId, request));
  } catch (error) {
    await pool.query(sql.unsafe`
      select dialer.fail_import(${importId}, ${JSON.stringify(errorEntry(error))}::jsonb, ${request.at.toISOString()})`);
    throw new ImportFailedError(importId, error);
  }
}

async function writeImport(tx: DatabaseTransactionConnection, importId: string, request: ImportRequest): Promise<ImportReport> {
  const at = request.at.toISOString();
  const batches = csvRecords(request.source)[Symbol.asyncIterator]();
  const { header, rest } = await readHeader(batches);
  const plan: ColumnPlan = planColumns(header.fields, request.mapping);
  const options = { plan, defaultRegion: request.defaultRegion, timeZones: await loadTimeZones(tx) };

  const counts: ImportCounts = { rows: 0, imported: 0, duplicates: 0, dnc: 0, rejected: 0 };
  const errors: RowError[] = [];
  // Rows kept without a bad state or postal code: reported with the errors, not rejected.
  let warned = 0;
  let batch = new Map<string, ContactRow>();
  // One write in flight while the next batch is parsed; its failure is kept, not left unhandled.
  let inFlight: Promise<void> | undefined;
  let writeFailure: { error: unknown } | undefined;
  const settle = async () => {
    await inFlight;
    if (writeFailure) throw writeFailure.error;
  };

  const write = async (rows: ContactRow[]) => {
    const column = (value: (row: ContactRow) => string | null) => sql.array(rows.map(value), 'text');
    const result = await tx.one(sql.type(batchResult)`
      select * from dialer.import_contacts_batch(${request.tenantId}, ${request.campaignId}, ${importId},
        ${column((row) => row.phone)}, ${column((row) => row.name)}, ${column((row) => row.time_zone)},
        ${column((row) => row.possible_time_zones.join(','))}, ${column((row) => row.time_zone_source)},
        ${column((row) => JSON.stringify(row.variables))}, ${column((row) => row.state)}, ${column((row) => row.postal_code)},
        ${column((row) => row.person_key)}, ${at})`);
    counts.imported += result.imported;
    counts.duplicates += result.duplicates;
    counts.dnc += result.dnc;
    request.onProgress?.({ ...counts });
  };
  const flush = async () => {
    await settle();
    const rows = [...batch.values()];
    batch = new Map();
    inFlight = rows.length > 0 ? write(rows).catch((error: unknown) => void (writeFailure = { error })) : undefined;
  };
  const take = async (records: CsvRecord[]) => {
    for (const record of records) {
      counts.rows += 1;
      const row = toContactRow(record, options);
      if (isRowError(row)) {
        counts.rejected += 1;
        if (errors.length < importLimits.maxStoredErrors) errors.push(row);
        continue;
      }
      for (const warning of row.warnings) {
        warned += 1;
        if (errors.length < importLimits.maxStoredErrors) errors.push(warning);
      }
      if (batch.has(row.phone)) {
        counts.duplicates += 1;
      } else {
        batch.set(row.phone, row);
        if (batch.size >= importLimits.batchSize) await flush();
      }
    }
  };

  try {
    await take(rest);
    for (let next = await batches.next(); !next.done; next = await batches.next()) await take(next.value);
    await flush();
    await settle();
  } catch (error) {
    await inFlight;
    throw error;
  }

  const callsCreated = await tx.oneFirst(sql.type(z.object({ finish_import: z.number() }))`
    select dialer.finish_import(${importId}, ${counts.rows}, ${counts.imported}, ${counts.duplicates}, ${counts.dnc},
      ${counts.rejected}, ${JSON.stringify(errors)}::jsonb, ${at})`);
  await audit(tx, {
    tenantId: request.tenantId,
    actor: request.actor,
    action: 'import',
    entity: 'campaign',
    entityId: request.campaignId,
    details: { importId, filename: request.filename ?? null, ...counts },
  });
  if (callsCreated > 0) await notifyWorker(tx, 'contacts_imported');
  return { importId, ...counts, errors, errorsOmitted: counts.rejected + warned - errors.length, callsCreated };
}
