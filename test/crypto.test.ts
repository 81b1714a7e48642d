import t from 'tap';
import { encryptSecret, decryptSecret, safeEqual } from '../server/crypto.js';

const secret = 'a'.repeat(32);

t.test('a secret round-trips, and each encryption differs', async (t) => {
  const a = encryptSecret(secret, 'sk_live_123');
  const b = encryptSecret(secret, 'sk_live_123');
  t.not(a, b, 'a fresh IV each time');
  t.notMatch(a, /sk_live_123/, 'the plaintext does not appear');
  t.equal(decryptSecret(secret, a), 'sk_live_123');
});

t.test('another APP_SECRET or a tampered value cannot decrypt', async (t) => {
  const stored = encryptSecret(secret, 'sk_live_123');
  t.throws(() => decryptSecret('b'.repeat(32), stored), /was APP_SECRET changed/);
  const parts = stored.split(':');
  parts[3] = Buffer.from('tampered').toString('base64url');
  t.throws(() => decryptSecret(secret, parts.join(':')));
  t.throws(() => decryptSecret(secret, 'plain'), /not an encrypted secret/);
});

t.test('safeEqual', async (t) => {
  t.ok(safeEqual('abc', 'abc'));
  t.notOk(safeEqual('abc', 'abd'));
  t.notOk(safeEqual('abc', 'abcd'));
});
