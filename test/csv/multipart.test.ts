import t from 'tap';
import { boundaryOf, firstFilePart } from '../../server/csv/multipart.js';

const body = [
  '--XyZ',
  'Content-Disposition: form-data; name="note"',
  '',
  'skip me',
  '--XyZ',
  'Content-Disposition: form-data; name="file"; filename="people.csv"',
  'Content-Type: text/csv',
  '',
  'phone,name\r\n+12125550100,"A\r\n--Xy"\r\n',
  '--XyZ--',
  '',
].join('\r\n');

async function* chunks(size: number) {
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function content(size: number) {
  const part = await firstFilePart(chunks(size), 'XyZ');
  const parts: Buffer[] = [];
  for await (const chunk of part.content) parts.push(chunk);
  return { filename: part.filename, text: Buffer.concat(parts).toString() };
}

t.test('the boundary from the Content-Type', async (t) => {
  t.equal(boundaryOf('multipart/form-data; boundary=----abc123'), '----abc123');
  t.equal(boundaryOf('multipart/form-data; boundary="quoted value"; charset=utf-8'), 'quoted value');
  t.equal(boundaryOf('multipart/form-data'), undefined);
});

t.test('the first file part, exactly, whatever the chunking', async (t) => {
  for (const size of [1, 2, 7, 16, 4096]) {
    t.same(await content(size), { filename: 'people.csv', text: 'phone,name\r\n+12125550100,"A\r\n--Xy"\r\n' }, `chunks of ${size}`);
  }
});

t.test('a body without a file part is refused', async (t) => {
  const noFile = (async function* () {
    yield Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue\r\n--b--\r\n');
  })();
  await t.rejects(firstFilePart(noFile, 'b'), { name: 'MultipartError' });
  const notMultipart = (async function* () {
    yield Buffer.from('phone\n+12125550100\n');
  })();
  await t.rejects(firstFilePart(notMultipart, 'b'), { name: 'MultipartError' });
});
