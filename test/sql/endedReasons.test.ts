// Every endedReason VAPI documents is classified by an explicit rule (dialer.ended_reason_class,
// sql/015_outcomes.sql), the project's list (server/vapi/endedReasons.ts) and the database's
// (dialer.vapi_ended_reasons) are the same, and the hard cases land where VAPI's docs put them.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { ENDED_REASONS } from '../../server/vapi/endedReasons.js';

const classRow = z.object({ reason: z.string(), class: z.string(), outcome: z.string(), explicit: z.boolean() });
const CLASSES = ['answered', 'no_answer', 'busy', 'voicemail', 'retry_later', 'final', 'account'];

t.test('every value of the project list is classified by an explicit rule', async (t) => {
  const { pool } = await createTestDatabase(t);
  t.equal(ENDED_REASONS.length, 597, 'the list holds the 597 documented values');
  const rows = await pool.any(sql.type(classRow)`
    select reason, dialer.ended_reason_class(reason) as class, dialer.outcome_for(reason) as outcome,
           dialer._ended_reason_rule(reason) is not null as explicit
    from unnest(${sql.array([...ENDED_REASONS], 'text')}) as reason`);
  t.equal(rows.length, ENDED_REASONS.length);
  const unclassified = rows.filter((row) => !row.explicit).map((row) => row.reason);
  t.same(unclassified, [], 'no value falls to the default');
  for (const row of rows) if (!CLASSES.includes(row.class)) t.fail(`${row.reason}: class ${row.class}`);
  const counts: Record<string, number> = {};
  for (const row of rows) counts[row.class] = (counts[row.class] ?? 0) + 1;
  t.comment(JSON.stringify(counts));
  for (const name of CLASSES) t.ok((counts[name] ?? 0) > 0, `some value is ${name}`);
});

t.test('the database knows the same values as the project list', async (t) => {
  const { pool } = await createTestDatabase(t);
  const known = new Set(await pool.anyFirst(sql.type(z.object({ reason: z.string() }))`select reason from dialer.vapi_ended_reasons`));
  t.same([...ENDED_REASONS].filter((reason) => !known.has(reason)), [], 'every listed value is in dialer.vapi_ended_reasons');
  t.same([...known].filter((reason) => !(ENDED_REASONS as readonly string[]).includes(reason)), [], 'and nothing else');
  const notExplicit = await pool.anyFirst(sql.unsafe`select reason from dialer.ended_reasons where not explicit`);
  t.same(notExplicit, [], 'view ended_reasons: every row explicit');
});

t.test('the hard cases, as VAPI groups them', async (t) => {
  const { pool } = await createTestDatabase(t);
  const expected: Record<string, string> = {
    'customer-ended-call': 'answered',
    'assistant-forwarded-call': 'answered',
    'customer-ended-call-during-transfer': 'answered',
    'call.forwarding.operator-busy': 'answered',
    'call.forwarding.no-answer': 'answered',
    'call.ending.hook-executed-say': 'answered',
    'call.ending.hook-executed-transfer': 'answered',
    'call.in-progress.error-transfer-failed': 'answered',
    'call.in-progress.error-warm-transfer-max-duration': 'answered',
    'call.in-progress.error-warm-transfer-assistant-cancelled': 'answered',
    'customer-did-not-answer': 'no_answer',
    'call.in-progress.error-providerfault-outbound-sip-408-request-timeout': 'no_answer',
    'call.in-progress.error-providerfault-outbound-sip-480-temporarily-unavailable': 'no_answer',
    'customer-busy': 'busy',
    voicemail: 'voicemail',
    'call.start.error-vapifault-database-error': 'retry_later',
    'call.start.error-vapifault-get-org': 'retry_later',
    'call.start.error-vapi-number-outbound-daily-limit': 'retry_later',
    'call.start.error-subscription-concurrency-limit-reached': 'retry_later',
    'call.in-progress.error-vapifault-openai-401-unauthorized': 'retry_later',
    'call.in-progress.error-vapifault-worker-died': 'retry_later',
    'call.in-progress.error-providerfault-outbound-sip-503-service-unavailable': 'retry_later',
    'call.in-progress.error-providerfault-openai-llm-failed': 'retry_later',
    'pipeline-error-openai-500-server-error': 'retry_later',
    'twilio-failed-to-connect-call': 'retry_later',
    'phone-call-provider-closed-websocket': 'retry_later',
    'worker-shutdown': 'retry_later',
    'twilio-reported-customer-misdialed': 'final',
    'call.start.error-vapi-number-international': 'final',
    'manually-canceled': 'final',
    'call.start.error-subscription-insufficient-credits': 'account',
    'call.start.error-subscription-frozen': 'account',
    'call.start.error-subscription-wallet-does-not-exist': 'account',
    'call.start.error-subscription-upgrade-failed': 'account',
    'call.start.error-get-assistant': 'account',
    'call.start.error-get-phone-number': 'account',
    'assistant-not-found': 'account',
    'pipeline-error-openai-401-unauthorized': 'account',
    'pipeline-error-openai-403-model-access-denied': 'account',
    'pipeline-error-openai-429-exceeded-quota': 'account',
    'pipeline-error-eleven-labs-voice-not-found': 'account',
    'pipeline-error-eleven-labs-invalid-api-key': 'account',
    'call.in-progress.error-configfault-model-unsupported-in-squad': 'account',
    'call.in-progress.error-providerfault-outbound-sip-403-forbidden': 'account',
    'a-reason-vapi-invents-next-year': 'retry_later',
  };
  for (const [reason, cls] of Object.entries(expected)) {
    t.equal(await pool.oneFirst(sql.unsafe`select dialer.ended_reason_class(${reason})`), cls, reason);
  }
  t.equal(await pool.oneFirst(sql.unsafe`select dialer.ended_reason_class(null)`), 'retry_later', 'null: the default');
  t.equal(await pool.oneFirst(sql.unsafe`select dialer._ended_reason_rule('a-reason-vapi-invents-next-year')`), null, 'unknown: no rule');
  t.equal(await pool.oneFirst(sql.unsafe`select dialer.outcome_for('call.start.error-subscription-frozen')`), 'failed');
});
