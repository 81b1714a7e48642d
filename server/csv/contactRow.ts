// One CSV record → the contact and membership to write, or the reason the row is rejected.
// The first problem found is the one reported; a rejected row writes nothing.
import type { CountryCode } from 'libphonenumber-js';
import type { ColumnPlan } from './columns.js';
import type { CsvRecord } from './csvRecords.js';
import { importLimits } from './limits.js';
import { postalCode, stateCode } from './regions.js';
import { normalizePhone, zonesOfNumber } from './phone.js';
import type { TimeZoneLookup } from './timeZones.js';

export type ContactRow = {
  line: number;
  phone: string;
  name: string | null;
  time_zone: string | null;
  possible_time_zones: readonly string[];
  time_zone_source: 'column' | 'area_code' | null;
  /** 'US-FL' / 'CA-ON', a US ZIP or Canadian postal code, the person's key: null when not given (or not valid). */
  state: string | null;
  postal_code: string | null;
  person_key: string | null;
  variables: Record<string, string>;
  /** Values that were not usable but did not reject the row (the contact is kept without them). */
  warnings: RowError[];
};

export type RowErrorCode =
  | 'too_many_columns'
  | 'missing_phone'
  | 'invalid_phone'
  | 'bad_timezone'
  | 'value_too_long'
  | 'variables_too_large'
  | 'bad_state'
  | 'bad_postal_code';

export type RowError = { line: number; code: RowErrorCode; message: string };

export type RowOptions = { plan: ColumnPlan; defaultRegion: CountryCode; timeZones: TimeZoneLookup };

const field = (fields: string[], index: number | undefined) => (index === undefined ? '' : (fields[index] ?? '').trim());

function nameOf(fields: string[], plan: ColumnPlan): string {
  if (plan.name !== undefined) return field(fields, plan.name);
  return [field(fields, plan.firstName), field(fields, plan.lastName)].filter(Boolean).join(' ');
}

export function toContactRow({ line, fields }: CsvRecord, { plan, defaultRegion, timeZones }: RowOptions): ContactRow | RowError {
  if (fields.length > plan.width) {
    return { line, code: 'too_many_columns', message: `${fields.length} fields but the header has ${plan.width} columns` };
  }
  const rawPhone = field(fields, plan.phone);
  const phone = normalizePhone(rawPhone, defaultRegion);
  if (phone === 'missing_phone') return { line, code: phone, message: 'the phone is empty' };
  if (phone === 'invalid_phone') return { line, code: phone, message: `"${rawPhone.slice(0, 50)}" is not a valid phone number` };

  let time_zone: string | null = null;
  let possible_time_zones: readonly string[] = [];
  let time_zone_source: ContactRow['time_zone_source'] = null;
  const rawZone = field(fields, plan.timeZone);
  if (rawZone !== '') {
    const zone = timeZones(rawZone);
    if (!zone) return { line, code: 'bad_timezone', message: `"${rawZone.slice(0, 50)}" is not a time zone name` };
    time_zone = zone;
    time_zone_source = 'column';
  } else {
    const zones = zonesOfNumber(phone);
    if (zones.length === 1) time_zone = zones[0]!;
    else if (zones.length > 1) possible_time_zones = zones;
    if (zones.length > 0) time_zone_source = 'area_code';
  }

  // Whose rules apply: a bad state or postal code is reported, and the contact kept without that
  // candidate (its area code, and the other column, still count).
  const warnings: RowError[] = [];
  const rawState = field(fields, plan.state);
  const state = rawState === '' ? null : (stateCode(rawState) ?? null);
  if (rawState !== '' && state === null) {
    warnings.push({ line, code: 'bad_state', message: `"${rawState.slice(0, 50)}" is not a US state or Canadian province code` });
  }
  const rawPostal = field(fields, plan.postalCode);
  const postal_code = rawPostal === '' ? null : (postalCode(rawPostal) ?? null);
  if (rawPostal !== '' && postal_code === null) {
    warnings.push({ line, code: 'bad_postal_code', message: `"${rawPostal.slice(0, 50)}" is not a US ZIP or Canadian postal code` });
  }
  const person_key = field(fields, plan.personKey) || null;
  if (person_key !== null && person_key.length > 200) {
    return { line, code: 'value_too_long', message: 'the person key is longer than 200 characters' };
  }

  const name = nameOf(fields, plan);
  if (name.length > importLimits.maxNameLength) {
    return { line, code: 'value_too_long', message: `the name is longer than ${importLimits.maxNameLength} characters` };
  }
  const variables: Record<string, string> = {};
  let bytes = 2;
  for (const [index, key] of plan.variables) {
    const value = field(fields, index);
    if (value.length > importLimits.maxValueLength) {
      return { line, code: 'value_too_long', message: `"${key}" is longer than ${importLimits.maxValueLength} characters` };
    }
    variables[key] = value;
    bytes += key.length + value.length + 6;
  }
  // The quick estimate above is exact for ASCII without escapes; measure only when it is close.
  if (bytes > importLimits.maxVariablesBytes / 2 && Buffer.byteLength(JSON.stringify(variables)) > importLimits.maxVariablesBytes) {
    return { line, code: 'variables_too_large', message: `the variables are larger than ${importLimits.maxVariablesBytes} bytes as JSON` };
  }
  return { line, phone: phone.e164, name: name || null, time_zone, possible_time_zones, time_zone_source, state, postal_code, person_key, variables, warnings };
}

export const isRowError = (row: ContactRow | RowError): row is RowError => 'code' in row;
