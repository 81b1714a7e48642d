// What one webhook does to its call, decided from the message: a live status-update moves the
// status (advance_call_status, forward only); an `ended` one or an end-of-call-report ends the call
// (apply_call_result, applied once) with its details (record_call_details: only fill in) and
// where the details stand (note_call_details). The writes are dialer.receive_webhooks'
// (sql/056_webhook_ingest.sql). Nothing is read from `message.call`: it is the Call as created
// (queued, cost 0), see server/vapi/callDetails.ts.
import type { Clock } from '../clock.js';
import type { WebhookEffect } from '../../db/queries/callEvents.js';
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
 * The end and its details: an end-of-call-report brings them (`received`); an `ended`
 * status-update does not (`awaited`: a lookup is armed RECONCILE_AFTER_SECONDS later in case the
 * report is lost).
 */
function endOf(clock: Clock, details: CallDetails, report: boolean): WebhookEffect['end'] {
  return { endedReason: details.endedReason, endedAt: endedAtOnClock(clock, details), details, detailsState: report ? 'received' : 'awaited' };
}

const nothing: WebhookEffect = { advanceTo: null, end: null };

export function webhookEffect(clock: Clock, message: WebhookMessage): WebhookEffect {
  switch (message.type) {
    case 'status-update':
      if (!message.status) return nothing;
      if (message.status === 'ended') return { advanceTo: null, end: endOf(clock, statusUpdateDetailsOf(message.message), false) };
      return { advanceTo: message.status, end: null };
    case 'end-of-call-report':
      return { advanceTo: null, end: endOf(clock, reportDetailsOf(message.message), true) };
    default:
      return nothing;
  }
}
