import t from 'tap';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { normalizePhone, zonesOfNumber } from '../../server/csv/phone.js';
import { knownAreaCodes } from '../../server/csv/nanpAreaCodes.js';

t.test('common US formats become E.164', async (t) => {
  for (const raw of ['(212) 555-0100', '212-555-0100', '212.555.0100', '2125550100', '1 212 555 0100', '+1 (212) 555-0100', ' +12125550100 ']) {
    t.same(normalizePhone(raw, 'US'), { e164: '+12125550100', country: 'US', areaCode: '212' }, raw);
  }
});

t.test('international numbers are kept; national ones are read in the default region', async (t) => {
  t.match(normalizePhone('+44 20 7946 0958', 'US'), { e164: '+442079460958', country: 'GB' });
  t.match(normalizePhone('+91 98765 43210', 'US'), { e164: '+919876543210', country: 'IN' });
  t.match(normalizePhone('020 7946 0958', 'GB'), { e164: '+442079460958', country: 'GB' });
  t.match(normalizePhone('2125550100', 'GB'), 'invalid_phone', 'ten digits are not a GB number');
  t.match(normalizePhone('+212 5 22 12 34 56', 'US'), { country: 'MA' }, '+212 is Morocco, not area code 212');
});

t.test('empty and invalid numbers', async (t) => {
  t.equal(normalizePhone('   ', 'US'), 'missing_phone');
  for (const raw of ['12345', '555-0100', 'not a phone', '212-055-0100', '+1 212 555 01000']) t.equal(normalizePhone(raw, 'US'), 'invalid_phone', raw);
});

t.test('the fast path agrees with libphonenumber for every area code of the table', async (t) => {
  const disagreements: string[] = [];
  for (const code of knownAreaCodes()) {
    for (const raw of [`(${code}) 234-5678`, `1${code}2345678`, `+1 ${code} 345 6789`, `${code}-123-4567`]) {
      const ours = normalizePhone(raw, 'US');
      const theirs = parsePhoneNumberFromString(raw, 'US');
      const expected = theirs?.isValid() ? theirs.number : 'invalid_phone';
      const got = typeof ours === 'string' ? ours : ours.e164;
      if (got !== expected) disagreements.push(`${raw}: ${got} vs ${expected}`);
    }
  }
  t.same(disagreements, []);
});

t.test('the fast path agrees with libphonenumber over many ways of writing a number (US and CA default regions)', async (t) => {
  // Each template gets the area code, the exchange and the line; exchanges include the ones
  // libphonenumber refuses (0xx, 1xx) and special ones (555, N11).
  const templates = [
    '(A) E-L', 'A-E-L', 'A.E.L', 'A E L', 'AEL', '1AEL', '1 A E L', '1-A-E-L', '1 (A) E-L', '+1AEL', '+1 A E L',
    '+1-A-E-L', '+1 (A) E-L', '+1.A.E.L', 'A/E-L', '(A)E-L', ' (A)  E - L ', '1(A)EL', '+1(A)E.L', '11AEL', '+11AEL',
    'A E L1', '0AEL', '+A E L', 'AE-L', 'A-EL',
  ];
  const exchanges = ['234', '555', '911', '099', '123', '200', '999'];
  const disagreements: string[] = [];
  let checked = 0;
  for (const region of ['US', 'CA'] as const) {
    for (const code of knownAreaCodes()) {
      for (const exchange of exchanges) {
        for (const template of templates) {
          const raw = template.replace('A', code).replace('E', exchange).replace('L', '4567');
          const ours = normalizePhone(raw, region);
          const theirs = parsePhoneNumberFromString(raw.trim(), { defaultCountry: region, extract: false });
          const expected = theirs?.isValid() ? `${theirs.number} ${theirs.country}` : 'invalid_phone';
          const got = typeof ours === 'string' ? ours : `${ours.e164} ${ours.country}`;
          checked += 1;
          if (got !== expected) disagreements.push(`${region} ${raw}: ${got} vs ${expected}`);
        }
      }
    }
  }
  t.same(disagreements.slice(0, 20), [], `${checked} numbers compared`);
});

t.test('zones of a number: area code, country, or none', async (t) => {
  const zones = (raw: string) => {
    const number = normalizePhone(raw, 'US');
    return typeof number === 'string' ? number : zonesOfNumber(number);
  };
  t.same(zones('850-555-0100'), ['America/New_York', 'America/Chicago']);
  t.same(zones('+1 876 555 0100'), ['America/Jamaica'], 'a Caribbean NANP number by its country');
  t.same(zones('+44 20 7946 0958'), ['Europe/London']);
  t.same(zones('+61 2 9374 4000'), [], 'Australia spans several zones');
  t.same(zones('+1 800 555 0199'), [], 'toll-free');
});
