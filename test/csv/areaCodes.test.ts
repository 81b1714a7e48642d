import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { countryOfAreaCode, knownAreaCodes, zonesOfAreaCode } from '../../server/csv/nanpAreaCodes.js';
import { zoneOfCountry } from '../../server/csv/countryZones.js';
import { createTestDatabase } from '../helpers/database.js';

t.test('a single-zone US area code', async (t) => {
  t.same(zonesOfAreaCode('212'), ['America/New_York']);
  t.same(zonesOfAreaCode('415'), ['America/Los_Angeles']);
  t.same(zonesOfAreaCode('602'), ['America/Phoenix'], 'Arizona keeps its own zone (no DST)');
  t.equal(countryOfAreaCode('212'), 'US');
});

t.test('area codes spanning several zones list them all', async (t) => {
  t.same(zonesOfAreaCode('850'), ['America/New_York', 'America/Chicago'], 'Florida panhandle');
  t.same(zonesOfAreaCode('208'), ['America/Denver', 'America/Los_Angeles'], 'Idaho');
  t.same(zonesOfAreaCode('928'), ['America/Denver', 'America/Phoenix'], 'northern Arizona with the Navajo Nation');
  t.same(zonesOfAreaCode('915'), ['America/Denver'], 'El Paso is Mountain, not Central like the rest of Texas');
});

t.test('Canadian area codes', async (t) => {
  t.same(zonesOfAreaCode('416'), ['America/Toronto']);
  t.same(zonesOfAreaCode('306'), ['America/Regina'], 'Saskatchewan, no DST');
  t.same(zonesOfAreaCode('709'), ['America/St_Johns', 'America/Goose_Bay'], 'Newfoundland and Labrador');
  t.equal(countryOfAreaCode('416'), 'CA');
  t.equal(countryOfAreaCode('604'), 'CA');
});

t.test('unknown and non-geographic codes have no zone', async (t) => {
  for (const code of ['800', '888', '900', '500', '999', '876']) {
    t.same(zonesOfAreaCode(code), [], code);
    t.equal(countryOfAreaCode(code), undefined, code);
  }
});

t.test('every code in the table is a valid number of the same country for libphonenumber', async (t) => {
  const wrong = knownAreaCodes().filter((code) => {
    const number = parsePhoneNumberFromString(`+1${code}2345678`);
    return !number?.isValid() || number.country !== countryOfAreaCode(code);
  });
  t.same(wrong, []);
  t.ok(knownAreaCodes().length > 400, 'the table covers the US and Canada');
});

t.test('every zone in the tables is one Postgres knows', async (t) => {
  const db = await createTestDatabase(t);
  const zones = new Set(knownAreaCodes().flatMap((code) => zonesOfAreaCode(code)));
  for (const country of ['GB', 'IN', 'FR', 'JM', 'PR', 'UA', 'AR', 'VN']) zones.add(zoneOfCountry(country)!);
  const known = new Set(await db.pool.anyFirst(sql.type(z.object({ name: z.string() }))`select name from pg_timezone_names`));
  t.same([...zones].filter((zone) => !known.has(zone)), []);
});
