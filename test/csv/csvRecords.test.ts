import t from 'tap';
import { readFile } from 'node:fs/promises';
import { csvRecords, detectDelimiter, type CsvRecord } from '../../server/csv/csvRecords.js';

async function read(chunks: Iterable<Buffer>): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const batch of csvRecords((async function* () { yield* chunks; })())) records.push(...batch);
  return records;
}

function split(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

t.test('the delimiter is the one the header line uses most, outside quotes', async (t) => {
  t.equal(detectDelimiter('phone,name,city'), ',');
  t.equal(detectDelimiter('phone;name;"a, b, c"'), ';');
  t.equal(detectDelimiter('phone\tname'), '\t');
  t.equal(detectDelimiter('phone'), ',');
});

t.test('records carry the physical line they start on, whatever the chunking', async (t) => {
  const bytes = await readFile(new URL('../fixtures/torture.csv', import.meta.url));
  const whole = await read([bytes]);
  t.same(whole.map((record) => record.line), [1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 18]);
  t.same(whole[0]!.fields, ['Mobile', 'Full Name', 'TZ', 'Company', 'Notes'], 'the BOM is gone');
  t.same(whole[2]!.fields, ['+44 20 7946 0958', 'Bob "The Builder" Jones', 'Europe/London', 'Builders; Ltd', 'multi\r\nline note']);
  t.same(whole.at(-1)!.fields, ['312-555-0106', 'Dnc Person', '', '', ''], 'the last line has no line break');
  // Every chunk size from 1 byte: boundaries inside the BOM, a CRLF, a quote pair, a UTF-8 character.
  for (const size of [1, 2, 3, 5, 7, 64, 1000]) t.same(await read(split(bytes, size)), whole, `chunks of ${size} bytes`);
});

t.test('LF, CR and CRLF line ends; multi-byte characters', async (t) => {
  const records = await read([Buffer.from('name,phone\nZoë,1\r\nJürgen,2\n\n"Ł\nódź",3\n')]);
  t.same(records, [
    { line: 1, fields: ['name', 'phone'] },
    { line: 2, fields: ['Zoë', '1'] },
    { line: 3, fields: ['Jürgen', '2'] },
    { line: 5, fields: ['Ł\nódź', '3'] },
  ]);
  t.same(await read([Buffer.from('a,b\r1,"x\ry"\r\r2,3\r')]), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['1', 'x\ry'] },
    { line: 5, fields: ['2', '3'] },
  ], 'old Mac line ends (CR only)');
  t.same(await read(split(Buffer.from('a,b\n"Zoë ✓",1\n'), 1)), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['Zoë ✓', '1'] },
  ]);
});

t.test('an unterminated quote is a MalformedCsvError with its line', async (t) => {
  await t.rejects(read([Buffer.from('a,b\n1,2\n3,"open\n4,5\n')]), { name: 'MalformedCsvError', line: 3 });
});
