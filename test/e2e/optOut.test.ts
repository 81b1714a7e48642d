// In-call opt-outs end to end: API (webhooks) + worker + VAPI simulator + Postgres. Two campaigns
// call the same six people. During the first call to one number the assistant calls the
// tenant's opt-out tool (and the call then fails, which a campaign would retry); the first call
// to another ends with analysis.structuredData.optOut = true. Each number goes on do-not-call
// with its call, the other campaign's call to it is cancelled, and neither is dialed again, by
// those campaigns or by a third one started afterwards; the other numbers are called by every
// campaign. The simulator's record of dials is the proof.
//
// Reports arrive before their 'ended' status-update here (the simulator's reorder fault, an
// order VAPI produces): a structured-data opt-out can only act once its report arrives, and a
// call another campaign dials between a call's end and a late report is not stopped (see
// server/README.md, "In-call opt-out"); the tool call acts during the call.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { startVapiSimulator } from '../../server/vapiSimulator/index.js';
import { systemClock } from '../../server/clock.js';
import { createLogger } from '../../server/log.js';
import { startWorker } from '../../server/worker/worker.js';
import { inProcessWaker } from '../../server/worker/wake.js';
import { addMembers, campaignStatus, insertCampaign, insertTenant, startCampaign, TEST_APP_SECRET, unsettledCalls, waitFor } from '../worker/fixtures.js';

const db = await createTestDatabase(t);
// The receiver wakes the worker when a call ends (in one process, as npm start does).
const waker = inProcessWaker();
const api = await startTestApi(t, { pool: db.pool, wakeWorker: waker });
const tenantId = await insertTenant(db.pool, { concurrencyLimit: 10 });
await db.pool.query(sql.unsafe`update dialer.tenants set opt_out_tool_name = 'optOut' where id = ${tenantId}`);

const allDay = { timeZone: 'UTC', windowStart: '00:00', windowEnd: '00:00', maxAttempts: 2, maxConcurrency: 5 };
const first = await insertCampaign(db.pool, tenantId, allDay);
const second = await insertCampaign(db.pool, tenantId, allDay);
const phones = await addMembers(db.pool, tenantId, first, 6, '7');
const [byTool, byStructuredData, ...others] = phones as [string, string, ...string[]];
const join = (campaignId: string, members: string[]) => db.pool.query(sql.unsafe`
  insert into dialer.campaign_contacts (campaign_id, contact_id)
  select ${campaignId}::uuid, id from dialer.contacts where tenant_id = ${tenantId}::uuid and phone = any (${sql.array(members, 'text')})`);
await join(second, phones);

const sim = await startVapiSimulator({
  outcomes: { answered: 1 },
  timing: { queuedMs: 5, ringingMs: 10, talkMs: [60, 120], reportDelayMs: 0 },
  webhookFaults: { reorder: true },
  script: ({ customerNumber, attemptForNumber }) => {
    if (attemptForNumber > 1) return undefined;
    if (customerNumber === byTool) return { endedReason: 'pipeline-error-openai-llm-failed', toolCalls: ['optOut'] };
    if (customerNumber === byStructuredData) return { outcome: 'answered', structuredData: { optOut: true, interested: false } };
    return undefined;
  },
});
t.teardown(() => sim.close());
await db.pool.query(sql.unsafe`update dialer.tenants set vapi_base_url = ${sim.url} where id = ${tenantId}`);

const worker = await startWorker({
  databaseUrl: db.url,
  pool: db.pool,
  log: createLogger(process.env.E2E_DEBUG ? 'debug' : 'warn', {}, (line) => process.stderr.write(line + '\n')),
  clock: systemClock,
  appSecret: TEST_APP_SECRET,
  publicUrl: api.url,
  vapiBaseUrl: 'http://127.0.0.1:9',
  settings: { concurrency: 10, batchSize: 20, requestTimeoutMs: 5_000 },
});
t.teardown(() => worker.stop());
waker.attach((reason) => worker.wake(reason));

const settle = async (what: string) => {
  await waitFor(async () => (await unsettledCalls(db.pool)) === 0, 30_000, what);
  await sim.idle();
};
await startCampaign(db.pool, tenantId, first, new Date());
await startCampaign(db.pool, tenantId, second, new Date());
worker.wake('campaigns-started');
await settle('both campaigns to settle');

const dialsTo = (phone: string) => sim.dials().filter((dial) => dial.customerNumber === phone);
const callRows = z.object({ id: z.string(), campaign_id: z.string(), phone: z.string(), attempt: z.number(), status: z.string(), last_error: z.string().nullable() });
const callsTo = (phone: string) =>
  db.pool.any(sql.type(callRows)`select id, campaign_id, phone, attempt, status, last_error from dialer.calls where phone = ${phone} order by created_at`);
const dncOf = (phone: string) =>
  db.pool.maybeOne(sql.type(z.object({ source: z.string(), source_call_id: z.string().nullable(), reason: z.string().nullable() }))`
    select source, source_call_id, reason from dialer.dnc where tenant_id = ${tenantId} and phone = ${phone}`);

for (const [phone, how] of [[byTool, 'the assistant called optOut'], [byStructuredData, 'structuredData.optOut is true']] as const) {
  t.test(`opted out by ${how === 'the assistant called optOut' ? 'tool call' : 'structured data'}: listed with its call, the rest cancelled, dialed once`, async (t) => {
    const dials = dialsTo(phone);
    t.equal(dials.length, 1, 'dialed exactly once');
    t.match(await dncOf(phone), { source: 'in-call', source_call_id: dials[0]!.externalId, reason: `opted out during the call: ${how}` });
    const calls = await callsTo(phone);
    const dialed = calls.find((call) => call.id === dials[0]!.externalId)!;
    t.equal(dialed.status, 'ended');
    const otherCampaign = calls.filter((call) => call.campaign_id !== dialed.campaign_id);
    t.equal(otherCampaign.length, 1, 'the other campaign had planned a call');
    t.match(otherCampaign[0], { status: 'cancelled', last_error: 'opted out during a call' }, 'and it was cancelled');
    const retries = calls.filter((call) => call.campaign_id === dialed.campaign_id && call.attempt > 1);
    t.ok(retries.every((call) => call.status !== 'scheduled'), 'no retry left waiting');
  });
}

t.test('the tool call reached pgdialer during the call and was answered; the failed call\'s retry was never dialed', async (t) => {
  const toolCall = sim.webhooksSent.find((hook) => hook.type === 'tool-calls');
  t.ok(toolCall, 'the simulator sent a tool-calls message');
  t.equal(toolCall?.responseStatus, 200);
  const retry = (await callsTo(byTool)).find((call) => call.attempt === 2);
  t.ok(retry, 'the failed call earned a retry');
  t.not(retry?.status, 'scheduled');
});

t.test('everyone else was called by both campaigns; both campaigns completed', async (t) => {
  for (const phone of others) t.equal(dialsTo(phone).length, 2, `${phone}: once per campaign`);
  t.equal(await campaignStatus(db.pool, first), 'completed');
  t.equal(await campaignStatus(db.pool, second), 'completed');
});

t.test('a campaign started later never calls the opted-out numbers', async (t) => {
  const third = await insertCampaign(db.pool, tenantId, allDay);
  await join(third, phones);
  await startCampaign(db.pool, tenantId, third, new Date());
  worker.wake('third-started');
  await settle('the third campaign to settle');
  t.equal(dialsTo(byTool).length, 1);
  t.equal(dialsTo(byStructuredData).length, 1);
  for (const phone of others) t.equal(dialsTo(phone).length, 3, `${phone}: called again`);
  t.equal(await campaignStatus(db.pool, third), 'completed');
});
