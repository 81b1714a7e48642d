// Phone numbers to E.164. libphonenumber-js decides validity; a fast path handles the common
// case (a US/Canadian number written with the usual separators) in well under a microsecond,
// because libphonenumber costs ~30 µs per number and an import of a million rows would spend
// most of its time there. The fast path accepts only numbers whose area code is in our NANP
// table and whose exchange starts with 2-9, which is exactly what libphonenumber accepts for
// those codes (test/csv/phone.test.ts checks every code against it).
import { parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';
import { countryOfAreaCode, zonesOfAreaCode } from './nanpAreaCodes.js';
import { zoneOfCountry } from './countryZones.js';

export type PhoneNumber = {
  /** +<country code><number>, what contacts.phone stores. */
  e164: string;
  /** ISO 3166 alpha-2 country of the number when known. */
  country: string | undefined;
  /** The NANP area code (numbers starting +1), else undefined. */
  areaCode: string | undefined;
};

export type PhoneProblem = 'missing_phone' | 'invalid_phone';

export function isRegion(region: string): region is CountryCode {
  return isSupportedCountry(region);
}

const separators = /[\s().\-/]/g;
const nanpNational = /^[2-9]\d{2}[2-9]\d{6}$/;

function fastNanp(raw: string, defaultRegion: CountryCode): PhoneNumber | undefined {
  const compact = raw.replace(separators, '');
  let national: string;
  if (compact.startsWith('+1')) national = compact.slice(2);
  else if (compact.startsWith('+') || (defaultRegion !== 'US' && defaultRegion !== 'CA')) return undefined;
  else national = compact.length === 11 && compact.startsWith('1') ? compact.slice(1) : compact;
  if (!nanpNational.test(national)) return undefined;
  const areaCode = national.slice(0, 3);
  const country = countryOfAreaCode(areaCode);
  if (!country) return undefined;
  return { e164: `+1${national}`, country, areaCode };
}

/** The number in E.164, or why it cannot be one. National numbers are read in defaultRegion. */
export function normalizePhone(raw: string, defaultRegion: CountryCode): PhoneNumber | PhoneProblem {
  const text = raw.trim();
  if (text === '') return 'missing_phone';
  const fast = fastNanp(text, defaultRegion);
  if (fast) return fast;
  const parsed = parsePhoneNumberFromString(text, { defaultCountry: defaultRegion, extract: false });
  if (!parsed || !parsed.isValid()) return 'invalid_phone';
  const areaCode = parsed.countryCallingCode === '1' ? parsed.nationalNumber.slice(0, 3) : undefined;
  return { e164: parsed.number, country: parsed.country, areaCode };
}

/**
 * The zone(s) a number may be in: from the area code for the US and Canada (several for codes
 * spanning zones), from the country for single-zone countries, else none.
 */
export function zonesOfNumber(phone: PhoneNumber): readonly string[] {
  if ((phone.country === 'US' || phone.country === 'CA') && phone.areaCode) return zonesOfAreaCode(phone.areaCode);
  const zone = phone.country ? zoneOfCountry(phone.country) : undefined;
  return zone ? [zone] : [];
}
