// Which CSV column is the phone, the name (or first + last name), the time zone, and which
// become the contact's variables. Header names match case-insensitively and ignoring spaces,
// underscores and dashes ("Phone Number" = "phone_number"), by explicit mapping first, else by
// the aliases below in order of preference.
import { importLimits } from './limits.js';

export type ColumnMapping = { phone?: string; name?: string; timezone?: string };

export type ColumnPlan = {
  /** Number of columns in the header; a record with more fields is rejected. */
  width: number;
  phone: number;
  name: number | undefined;
  firstName: number | undefined;
  lastName: number | undefined;
  timeZone: number | undefined;
  /** Whose calling rules apply (state/province, postal/ZIP code) and whose numbers share per-person caps. */
  state: number | undefined;
  postalCode: number | undefined;
  personKey: number | undefined;
  /** [column index, variable name (the header as written, trimmed)]. */
  variables: Array<[number, string]>;
};

/** The file cannot be imported as it is (422): nothing is imported. */
export class ImportRefusedError extends Error {
  override name = 'ImportRefusedError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Header names each role is recognised by (normalised), in order of preference. */
export const aliases = {
  phone: ['phone', 'phonenumber', 'mobile', 'mobilenumber', 'mobilephone', 'cell', 'cellphone', 'number', 'tel', 'telephone'],
  name: ['name', 'fullname', 'contactname'],
  firstName: ['firstname', 'first', 'givenname'],
  lastName: ['lastname', 'last', 'surname', 'familyname'],
  timeZone: ['timezone', 'tz', 'zone'],
  state: ['state', 'province', 'stateprovince', 'provincestate', 'region'],
  postalCode: ['postalcode', 'zip', 'zipcode', 'postcode'],
  personKey: ['personkey', 'personid', 'person'],
};

export const normalize = (header: string) => header.toLowerCase().replace(/[\s_\-.]/g, '');

function byAlias(keys: string[], names: string[]): number | undefined {
  for (const name of names) {
    const index = keys.indexOf(name);
    if (index >= 0) return index;
  }
  return undefined;
}

function byMapping(keys: string[], wanted: string | undefined, role: string): number | undefined {
  if (wanted === undefined) return undefined;
  const index = keys.indexOf(normalize(wanted));
  if (index < 0) throw new ImportRefusedError('unknown_column', `the ${role} column "${wanted}" is not in the header`);
  return index;
}

export function planColumns(header: string[], mapping: ColumnMapping = {}): ColumnPlan {
  const names = header.map((name) => name.trim());
  const keys = names.map(normalize);
  const seen = new Set<string>();
  for (const [index, key] of keys.entries()) {
    if (key === '') continue;
    if (seen.has(key)) throw new ImportRefusedError('duplicate_column', `the header has the column "${names[index]}" twice`);
    seen.add(key);
  }
  const phone = byMapping(keys, mapping.phone, 'phone') ?? byAlias(keys, aliases.phone);
  if (phone === undefined) {
    throw new ImportRefusedError(
      'missing_phone_column',
      `no phone column in the header (looked for ${aliases.phone.join(', ')}); name it with ?phone=<column>`,
    );
  }
  const name = byMapping(keys, mapping.name, 'name') ?? (mapping.name === undefined ? byAlias(keys, aliases.name) : undefined);
  const firstName = name === undefined ? byAlias(keys, aliases.firstName) : undefined;
  const lastName = name === undefined ? byAlias(keys, aliases.lastName) : undefined;
  const timeZone = byMapping(keys, mapping.timezone, 'timezone') ?? byAlias(keys, aliases.timeZone);
  const state = byAlias(keys, aliases.state);
  const postalCode = byAlias(keys, aliases.postalCode);
  const personKey = byAlias(keys, aliases.personKey);
  // First and last name, state, postal code and person key stay variables too ("Hi {{first_name}}");
  // the phone, name and zone do not.
  const roles = new Set([phone, name, timeZone]);
  const variables: Array<[number, string]> = [];
  for (const [index, header] of names.entries()) {
    if (!roles.has(index) && header !== '') variables.push([index, header]);
  }
  if (variables.length > importLimits.maxVariableColumns) {
    throw new ImportRefusedError(
      'too_many_columns',
      `the file has ${variables.length} variable columns; at most ${importLimits.maxVariableColumns} are allowed`,
    );
  }
  return { width: header.length, phone, name, firstName, lastName, timeZone, state, postalCode, personKey, variables };
}
