// US states (and DC) and Canadian provinces/territories a contact may be placed in: the
// jurisdictions of migration 0009 (dialer.jurisdictions). A CSV value is a two-letter code,
// optionally with its country ("FL", "us-fl", "ON", "CA-ON"); a postal code is a US ZIP or a
// Canadian postal code. SQL maps them to rules (sql/024_jurisdictions.sql).

const us = 'AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY'.split(' ');
const ca = 'AB BC MB NB NL NS NT NU ON PE QC SK YT'.split(' ');
const codes = new Map<string, string>([...us.map((c) => [c, `US-${c}`] as const), ...ca.map((c) => [c, `CA-${c}`] as const)]);

/** "FL", "us-fl" → "US-FL"; "ON" → "CA-ON"; undefined when it is not a known state/province. */
export function stateCode(raw: string): string | undefined {
  const value = raw.trim().toUpperCase();
  const match = /^(?:(US|CA)-)?([A-Z]{2})$/.exec(value);
  if (!match) return undefined;
  const code = codes.get(match[2]!);
  return code && (match[1] === undefined || code.startsWith(match[1])) ? code : undefined;
}

/** A US ZIP (12345, 12345-6789) or Canadian postal code (A1A 1A1) as written canonically; undefined if malformed. */
export function postalCode(raw: string): string | undefined {
  const value = raw.trim().toUpperCase();
  if (/^[0-9]{5}(-?[0-9]{4})?$/.test(value)) return value.length === 9 ? `${value.slice(0, 5)}-${value.slice(5)}` : value;
  const canadian = /^([ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z]) ?([0-9][ABCEGHJ-NPRSTV-Z][0-9])$/.exec(value);
  return canadian ? `${canadian[1]} ${canadian[2]}` : undefined;
}
