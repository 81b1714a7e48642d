// After an ambiguous POST (or a crash mid-POST), was the call created on VAPI? Listed by phone
// number and creation time, matched by our call id in customer.externalId and the number.
import type { VapiClient } from '../vapi/client.js';
import { findDialedCall } from '../vapi/callBody.js';
import type { VapiCall } from '../vapi/types.js';

export type LookupResult = { kind: 'found'; call: VapiCall } | { kind: 'absent' } | { kind: 'unknown'; message: string };

const PAGE = 1000;

export async function lookUpDialedCall(
  client: VapiClient,
  target: { callId: string; phone: string; phoneNumberId: string | null },
  /** When the dial started, in wall-clock time (VAPI's clock, not a test clock). */
  dialStartedWall: Date,
  window: { marginMs: number; requestTimeoutMs: number },
): Promise<LookupResult> {
  try {
    const calls = await client.listCalls({
      phoneNumberId: target.phoneNumberId ?? undefined,
      createdAtGe: new Date(dialStartedWall.getTime() - window.marginMs).toISOString(),
      createdAtLe: new Date(dialStartedWall.getTime() + window.requestTimeoutMs + window.marginMs).toISOString(),
      limit: PAGE,
    });
    const found = findDialedCall(calls, target.callId, target.phone);
    if (found) return { kind: 'found', call: found };
    // A full page may hide it (there is no cursor): no proof of absence.
    if (calls.length >= PAGE) return { kind: 'unknown', message: 'VAPI listed a full page; cannot prove the call absent' };
    return { kind: 'absent' };
  } catch (error) {
    return { kind: 'unknown', message: error instanceof Error ? error.message : String(error) };
  }
}
