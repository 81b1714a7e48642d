// Which endedReason a dial ends with, and which statuses the call passes through on the way.
import type { Outcome } from './options.js';

export const concurrencyBlockedReason = 'call.start.error-subscription-concurrency-limit-reached';

const reasonsByOutcome: Record<Outcome, readonly string[]> = {
  answered: ['customer-ended-call', 'assistant-ended-call'],
  no_answer: ['customer-did-not-answer'],
  busy: ['customer-busy'],
  voicemail: ['voicemail'],
  failed: ['twilio-failed-to-connect-call', 'pipeline-error-openai-llm-failed'],
};

/**
 * The statuses a call passes through after `queued`, ending with `ended`:
 * - setup failures (`call.start.error-*`, assistant problems) end straight from queued;
 * - carrier failures to connect end straight from queued too (the phone never rang);
 * - no answer / busy ring, then end;
 * - everything else was picked up (voicemail included: a machine answers, so VAPI reports
 *   in-progress and a startedAt) and ends after talking.
 */
export type Path = 'setup-failure' | 'not-connected' | 'rang' | 'connected';

export function pathOf(endedReason: string): Path {
  if (
    endedReason.startsWith('call.start.') ||
    endedReason.startsWith('assistant-not-') ||
    endedReason === 'scheduled-call-deleted' ||
    endedReason === 'manually-canceled'
  ) {
    return 'setup-failure';
  }
  if (
    endedReason === 'twilio-failed-to-connect-call' ||
    endedReason === 'vonage-failed-to-connect-call' ||
    endedReason === 'vonage-rejected' ||
    endedReason === 'twilio-reported-customer-misdialed' ||
    endedReason.includes('outbound-sip') ||
    endedReason.includes('sip-outbound-call-failed-to-connect')
  ) {
    return 'not-connected';
  }
  if (endedReason === 'customer-did-not-answer' || endedReason === 'customer-busy') return 'rang';
  return 'connected';
}

/** `roll` in [0, 1) picks among the outcome's reasons (drawn by the caller, always once per dial). */
export function pickEndedReason(outcome: Outcome, roll: number): string {
  const reasons = reasonsByOutcome[outcome];
  return reasons[Math.floor(roll * reasons.length)]!;
}

/** The outcome the simulator meant, for dials() (the project derives its own from endedReason). */
export function outcomeOf(endedReason: string): Outcome {
  for (const [outcome, reasons] of Object.entries(reasonsByOutcome) as [Outcome, readonly string[]][]) {
    if (reasons.includes(endedReason)) return outcome;
  }
  return pathOf(endedReason) === 'connected' && !endedReason.includes('error') ? 'answered' : 'failed';
}
