// A tenant whose VAPI account is stopped (block_tenant_vapi): nothing of it is claimed, due or
// woken for; other tenants go on; clearing it makes its calls claimable again.
import t from 'tap';
import { sql } from 'slonik';
import { createTestDatabase } from '../helpers/database.js';
import { AT, fixtures, iso } from './fixtures.js';

t.test('the tenant gate in claim_calls, due_calls, next_wake_at and why_not', async (t) => {
  const { pool } = await createTestDatabase(t);
  const f = fixtures(pool);
  const stopped = await f.scenario();
  const later = await f.call({ tenant_id: stopped.tenantId, campaign_id: stopped.campaignId, contact_id: await f.contact(stopped.tenantId), due_at: '2026-06-10T15:30:00Z' });
  const running = await f.scenario();
  t.equal(await pool.oneFirst(sql.unsafe`select dialer.block_tenant_vapi(${stopped.tenantId}, 'VAPI 401: Invalid Key', ${AT})`), true);
  t.equal(await pool.oneFirst(sql.unsafe`select dialer.block_tenant_vapi(${stopped.tenantId}, 'again', ${AT})`), false, 'already stopped');

  t.same(await f.dueIds(stopped.tenantId), [], 'due_calls: nothing of the stopped tenant');
  t.same(await f.dueIds(running.tenantId), [running.callId], 'the other tenant is due');
  t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer._next_wake_at(${AT}, ${stopped.tenantId})`)), null, 'next_wake_at: no wake for its later call');
  t.match(await pool.one(sql.unsafe`select reason, until from dialer.why_not(${AT}) where call_id = ${later}`), { reason: 'VAPI account stopped', until: null });

  const claimed = await pool.transaction((tx) => tx.anyFirst(sql.unsafe`select call_id from dialer.claim_calls(${AT}, 10)`));
  t.same(claimed, [running.callId], 'claim_calls: only the other tenant');

  await pool.query(sql.unsafe`select dialer.clear_tenant_vapi(${stopped.tenantId})`);
  t.equal(iso(await pool.oneFirst(sql.unsafe`select dialer._next_wake_at(${AT}, ${stopped.tenantId})`)), '2026-06-10T15:30:00.000Z', 'woken for again');
  const after = await pool.transaction((tx) => tx.anyFirst(sql.unsafe`select call_id from dialer.claim_calls(${AT}, 10)`));
  t.same(after, [stopped.callId], 'claimable once cleared');
});
