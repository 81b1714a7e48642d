// Applying one stored webhook to its call. Idempotent and forward-only: the SQL functions never
// move a status back, apply_call_result is a no-op the second time, and details only fill in.
// Returns whether the call ended (so the worker can refill the slot at once). Nothing is read
// from `message.call`: it is the Call as created (queued, cost 0), see server/vapi/callDetails.ts.
import type { CommonQueryMethods } from 'slonik';
import type { Clock } from '../clock.js';
import { advanceCallStatus } from '../../db/queries/dispatch.js';
import { recordCallDetails } from '../../db/queries/callResults.js';
import { endCall as applyEnd, noteCallDetails, type EndedClass } from '../../db/queries/callEnd.js';
import { reportDetailsOf, statusUpdateDetailsOf, type CallDetails } from '../vapi/callDetails.js';
import type { WebhookMessage } from './message.js';

/** An instant reported by VAPI (wall-clock) on our clock, never later than now. */
function endedAtOnClock(clock: Clock, details: CallDetails): Date {
  const now = clock.now();
  if (!details.endedAt) return now;
  const onClock = new Date(details.endedAt).getTime() + (now.getTime() - Date.now());
  return new Date(Math.min(onClock, now.getTime()));
}

/**
 * The end, its details, and where the details stand: an end-of-call-report brings them; an
 * `ended` status-update does not, so a lookup is armed RECONCILE_AFTER_SECONDS later in case the
 * report is lost (note_call_details).
 */
async function endCall(db: CommonQueryMethods, clock: Clock, callId: string, details: CallDetails, report: boolean, recheckAfterSeconds: number): Promise<EndedClass> {
  const end = await applyEnd(db, callId, { endedReason: details.endedReason, endedAt: endedAtOnClock(clock, details) });
  await recordCallDetails(db, callId, details);
  await noteCallDetails(db, callId, report ? 'received' : 'awaited', recheckAfterSeconds, clock.now());
  return end.endedClass;
}

export type WebhookEffect = { ended: boolean; endedClass?: EndedClass };

export async function applyWebhook(
  db: CommonQueryMethods,
  clock: Clock,
  callId: string,
  message: WebhookMessage,
  options: { recheckAfterSeconds: number } = { recheckAfterSeconds: 600 },
): Promise<WebhookEffect> {
  switch (message.type) {
    case 'status-update': {
      if (!message.status) return { ended: false };
      if (message.status === 'ended') {
        const endedClass = await endCall(db, clock, callId, statusUpdateDetailsOf(message.message), false, options.recheckAfterSeconds);
        return { ended: true, endedClass };
      }
      await advanceCallStatus(db, callId, message.status, clock.now());
      return { ended: false };
    }
    case 'end-of-call-report': {
      const endedClass = await endCall(db, clock, callId, reportDetailsOf(message.message), true, options.recheckAfterSeconds);
      return { ended: true, endedClass };
    }
    default:
      return { ended: false };
  }
}
