// A CSV of do-not-call numbers onto a tenant's list: CSV bytes → records (csvRecords) → E.164
// numbers (normalizePhone, as contact imports) → batches written by dialer.import_dnc_batch, in
// one transaction (a malformed file lists nothing), in constant memory. Each rejected row is
// reported with its line and reason, as contact imports do.
import { sql, type DatabasePool, type DatabaseTransactionConnection } from 'slonik';
import { z } from '../../db/zod.js';
import type { CountryCode } from 'libphonenumber-js';
import { csvRecords, type CsvRecord } from './csvRecords.js';
import { aliases, ImportRefusedError, normalize } from './columns.js';
import { normalizePhone } from './phone.js';
import { importLimits } from './limits.js';
import { audit } from '../../db/queries/audit.js';

export type DncImportRequest = {
  tenantId: string;
  source: AsyncIterable<Buffer>;
  filename?: string | null;
  /** Header names of the phone and reason columns (default: the contact import's phone aliases; reason, note, comment). */
  mapping?: { phone?: string | undefined; reason?: string | undefined };
  defaultRegion: CountryCode;
  actor: string;
  at: Date;
};

export type DncRowError = { line: number; code: 'too_many_columns' | 'missing_phone' | 'invalid_phone' | 'value_too_long'; message: string };

export type DncImportReport = {
  /** Data records read; rows = added + alreadyListed + duplicates + rejected. */
  rows: number;
  added: number;
  /** Rows whose number was on the list before this import (its entry is kept as it was; a missing reason is filled). */
  alreadyListed: number;
  /** Rows whose number came earlier in the file. */
  duplicates: number;
  rejected: number;
  /** Pending calls to the listed numbers, cancelled. */
  cancelledCalls: number;
  errors: DncRowError[];
  errorsOmitted: number;
};

/** The longest reason dnc accepts (constraint dnc_reason_length). */
const MAX_REASON = 500;
const reasonAliases = ['reason', 'note', 'notes', 'comment', 'comments'];

/** Where the phone and the reason are; 422 (nothing imported) when there is no phone column. */
export function planDncColumns(header: string[], mapping: DncImportRequest['mapping'] = {}): { width: number; phone: number; reason: number | undefined } {
  const keys = header.map((name) => normalize(name.trim()));
  const find = (wanted: string | undefined, role: string, defaults: readonly string[]) => {
    if (wanted !== undefined) {
      const index = keys.indexOf(normalize(wanted));
      if (index < 0) throw new ImportRefusedError('unknown_column', `the ${role} column "${wanted}" is not in the header`);
      return index;
    }
    for (const name of defaults) if (keys.includes(name)) return keys.indexOf(name);
    return undefined;
  };
  const phone = find(mapping.phone, 'phone', aliases.phone);
  if (phone === undefined) {
    throw new ImportRefusedError('missing_phone_column', `no phone column in the header (looked for ${aliases.phone.join(', ')}); name it with ?phone=<column>`);
  }
  return { width: header.length, phone, reason: find(mapping.reason, 'reason', reasonAliases) };
}

/**
 * A reason as exported by GET /v1/dnc.csv comes back as it was: the export puts a ' before text
 * a spreadsheet would run as a formula, the import takes it off again.
 */
const unprotect = (reason: string) => (/^'[=+\-@\t\r]/.test(reason) ? reason.slice(1) : reason);

const batchResult = z.object({ added: z.number(), already_listed: z.number(), duplicates: z.number(), cancelled_calls: z.number() });

export async function importDnc(pool: DatabasePool, request: DncImportRequest): Promise<DncImportReport> {
  return pool.transaction((tx) => writeDncImport(tx, request));
}

async function writeDncImport(tx: DatabaseTransactionConnection, request: DncImportRequest): Promise<DncImportReport> {
  const at = request.at.toISOString();
  const report: DncImportReport = { rows: 0, added: 0, alreadyListed: 0, duplicates: 0, rejected: 0, cancelledCalls: 0, errors: [], errorsOmitted: 0 };
  let plan: ReturnType<typeof planDncColumns> | undefined;
  let batch = new Map<string, string | null>();

  const flush = async () => {
    if (batch.size === 0) return;
    const phones = [...batch.keys()];
    const reasons = [...batch.values()];
    batch = new Map();
    const result = await tx.one(sql.type(batchResult)`
      select * from dialer.import_dnc_batch(${request.tenantId}, ${sql.array(phones, 'text')}, ${sql.array(reasons, 'text')}, ${at})`);
    report.added += result.added;
    report.alreadyListed += result.already_listed;
    report.duplicates += result.duplicates;
    report.cancelledCalls += result.cancelled_calls;
  };
  const reject = (error: DncRowError) => {
    report.rejected += 1;
    if (report.errors.length < importLimits.maxStoredErrors) report.errors.push(error);
    else report.errorsOmitted += 1;
  };
  const take = async ({ line, fields }: CsvRecord) => {
    if (!plan) {
      plan = planDncColumns(fields, request.mapping);
      return;
    }
    report.rows += 1;
    if (fields.length > plan.width) return reject({ line, code: 'too_many_columns', message: `${fields.length} fields but the header has ${plan.width} columns` });
    const raw = (fields[plan.phone] ?? '').trim();
    const phone = normalizePhone(raw, request.defaultRegion);
    if (phone === 'missing_phone') return reject({ line, code: phone, message: 'the phone is empty' });
    if (phone === 'invalid_phone') return reject({ line, code: phone, message: `"${raw.slice(0, 50)}" is not a valid phone number` });
    const reason = plan.reason === undefined ? '' : unprotect((fields[plan.reason] ?? '').trim());
    if (reason.length > MAX_REASON) return reject({ line, code: 'value_too_long', message: `the reason is longer than ${MAX_REASON} characters` });
    if (batch.has(phone.e164)) {
      report.duplicates += 1;
      return;
    }
    batch.set(phone.e164, reason || null);
    if (batch.size >= importLimits.batchSize) await flush();
  };

  for await (const records of csvRecords(request.source)) for (const record of records) await take(record);
  if (!plan) throw new ImportRefusedError('empty_file', 'the file has no header line');
  await flush();
  const { errors: _errors, ...counts } = report;
  await audit(tx, {
    tenantId: request.tenantId,
    actor: request.actor,
    action: 'import',
    entity: 'dnc',
    entityId: null,
    details: { filename: request.filename ?? null, ...counts },
  });
  return report;
}
