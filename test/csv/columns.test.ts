import t from 'tap';
import { planColumns } from '../../server/csv/columns.js';

t.test('aliases match case-insensitively, ignoring spaces, underscores and dashes', async (t) => {
  t.match(planColumns(['Phone Number', 'Full_Name', 'Time-Zone', 'City']), { phone: 0, name: 1, timeZone: 2, variables: [[3, 'City']] });
  t.match(planColumns(['id', 'TEL', 'tz']), { phone: 1, timeZone: 2, variables: [[0, 'id']] });
  t.match(planColumns(['mobile', 'phone']), { phone: 1 }, 'phone is preferred over mobile');
});

t.test('first and last name when there is no name column; they stay variables', async (t) => {
  t.match(planColumns(['first_name', 'surname', 'phone']), {
    name: undefined,
    firstName: 0,
    lastName: 1,
    variables: [[0, 'first_name'], [1, 'surname']],
  });
});

t.test('a mapping wins over aliases', async (t) => {
  t.match(planColumns(['Phone', 'Backup'], { phone: 'backup' }), { phone: 1, variables: [[0, 'Phone']] });
  t.throws(() => planColumns(['Phone'], { name: 'Who' }), { code: 'unknown_column' });
});

t.test('refused headers', async (t) => {
  t.throws(() => planColumns(['name', 'city']), { code: 'missing_phone_column' });
  t.throws(() => planColumns(['phone', 'City', 'city']), { code: 'duplicate_column' });
  const wide = ['phone', ...Array.from({ length: 51 }, (_, i) => `c${i}`)];
  t.throws(() => planColumns(wide), { code: 'too_many_columns' });
  t.match(planColumns(wide.slice(0, 51)), { variables: { length: 50 } }, '50 variable columns are fine');
});

t.test('columns with an empty header are ignored', async (t) => {
  t.match(planColumns(['phone', '', 'city', '']), { width: 4, variables: [[2, 'city']] });
});
