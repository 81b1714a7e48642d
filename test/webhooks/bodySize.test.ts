// Webhook bodies of an hour-long call (tens of MB) are accepted, stored and applied; beyond
// WEBHOOK_MAX_BYTES the answer is a clear 413, whether the body declares its length or is chunked.
import t from 'tap';
import { sql } from 'slonik';
import { z } from 'zod';
import { createTestDatabase } from '../helpers/database.js';
import { startTestApi } from '../helpers/api.js';
import { loadConfig } from '../../server/config.js';
import { callRowById, eventCount, insertContact, insertDirectCall, insertTenant, TEST_APP_SECRET } from '../worker/fixtures.js';

const db = await createTestDatabase(t);
const tenantId = await insertTenant(db.pool, { webhookAuthType: 'secret', webhookSecret: 'whsec-size-test' });
const headers = { 'content-type': 'application/json', 'x-vapi-secret': 'whsec-size-test' };

/** A live call tied to VAPI id `vapiCallId`. */
async function liveCall(vapiCallId: string, phone: string) {
  const contactId = await insertContact(db.pool, tenantId, phone, 'Hedy');
  const callId = await insertDirectCall(db.pool, tenantId, contactId, phone, new Date());
  await db.pool.query(sql.unsafe`update dialer.calls set status = 'in_progress', vapi_call_id = ${vapiCallId} where id = ${callId}`);
  return callId;
}

/** An end-of-call-report whose transcript and messages make it about `megabytes` MB (made-up content). */
function hourLongReport(vapiCallId: string, megabytes: number): string {
  const line = 'User: I would like to hear more about the plan and how the billing works for my account.\n';
  const lines = Math.ceil((megabytes * 1024 * 1024) / 2 / line.length);
  const transcript = line.repeat(lines);
  const messages = Array.from({ length: lines }, (_, i) => ({ role: 'user', message: line.trim(), time: 1760000000000 + i * 1000, secondsFromStart: i }));
  return JSON.stringify({
    message: {
      type: 'end-of-call-report',
      timestamp: 1760003600000,
      endedReason: 'customer-ended-call',
      startedAt: '2026-06-10T14:00:00.000Z',
      endedAt: '2026-06-10T15:00:00.000Z',
      cost: 4.2,
      artifact: { transcript, messages, recording: { mono: { combinedUrl: 'https://recordings.example/long.wav' } } },
      analysis: { summary: 'A long talk.' },
      call: { id: vapiCallId, status: 'queued', cost: 0 },
    },
  });
}

t.test('an hour-long call\'s end-of-call-report (about 40 MB) is accepted, stored and applied', async (t) => {
  const api = await startTestApi(t, { pool: db.pool });
  const callId = await liveCall('vapi-long-1', '+15553000001');
  const body = hourLongReport('vapi-long-1', 30);
  t.ok(body.length > 30 * 1024 * 1024 * 0.9, `${(body.length / 1024 / 1024).toFixed(1)} MB`);
  const response = await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { method: 'POST', headers, body });
  t.equal(response.status, 200);
  const row = await callRowById(db.pool, callId);
  t.equal(row.status, 'ended');
  t.equal(row.outcome, 'answered');
  t.ok((row.transcript?.length ?? 0) > 14 * 1024 * 1024, 'the whole transcript is stored');
  const stored = await db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`
    select count(*)::int as n from dialer.call_events where call_id = ${callId} and applied_at is not null
      and jsonb_array_length(payload -> 'message' -> 'artifact' -> 'messages') > 100000`);
  t.equal(stored, 1, 'the event is stored with all its messages');
  const details = await db.pool.oneFirst(sql.unsafe`select details_received_at is not null from dialer.calls where id = ${callId}`);
  t.equal(details, true, 'the report counts as the details');
});

t.test('beyond WEBHOOK_MAX_BYTES: 413, nothing stored', async (t) => {
  const api = await startTestApi(t, { pool: db.pool, config: loadConfig({ APP_SECRET: TEST_APP_SECRET, WEBHOOK_MAX_BYTES: '65536' }) });
  await liveCall('vapi-long-2', '+15553000002');
  const before = await eventCount(db.pool);
  const body = hourLongReport('vapi-long-2', 0.1);
  const declared = await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { method: 'POST', headers, body });
  t.equal(declared.status, 413);
  t.match(await declared.json(), { error: { code: 'payload_too_large', message: 'webhook bodies are limited to 65536 bytes (WEBHOOK_MAX_BYTES)' } });
  // Chunked: no Content-Length to trust; the reader stops at the limit.
  const bytes = new TextEncoder().encode(body);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 16_384) controller.enqueue(bytes.slice(offset, offset + 16_384));
      controller.close();
    },
  });
  const chunked = await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
  t.equal(chunked.status, 413);
  t.equal(await eventCount(db.pool), before, 'nothing stored');
  const small = hourLongReport('vapi-long-2', 0.02);
  t.ok(small.length < 65536);
  t.equal((await fetch(`${api.url}/webhooks/vapi?tenant=${tenantId}`, { method: 'POST', headers, body: small })).status, 200, 'under the limit: accepted');
});
