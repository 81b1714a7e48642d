// Which endedReason a dial ends with, and which statuses the call passes through on the way.
// The reason comes from the outcome mix (a few typical reasons per outcome) or, with the
// `endedReasons` option, from weights over any of VAPI's 597 values (server/vapi/endedReasons.ts).
import { ENDED_REASONS } from '../vapi/endedReasons.js';
import type { Outcome, SimulatorOptions } from './options.js';

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
 * - setup failures (`call.start.error-*`, assistant and assistant-request problems, deleted or
 *   cancelled calls) end straight from queued;
 * - carrier failures to connect end straight from queued too (the phone never rang);
 * - no answer / busy, and what happens while ringing (`call.ringing.*`), ring, then end;
 * - forwarded calls and transfers talk, pass through `forwarding`, then end;
 * - everything else was picked up (voicemail included: a machine answers, so VAPI reports
 *   in-progress and a startedAt) and ends after talking.
 */
export type Path = 'setup-failure' | 'not-connected' | 'rang' | 'forwarded' | 'connected';

export function pathOf(endedReason: string): Path {
  if (
    endedReason.startsWith('call.start.') ||
    endedReason.startsWith('call-start-') ||
    endedReason.startsWith('assistant-not-') ||
    endedReason.startsWith('assistant-request-') ||
    endedReason.startsWith('phone-call-provider-bypass-') ||
    endedReason === 'scheduled-call-deleted' ||
    endedReason === 'call-deleted' ||
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
  if (endedReason === 'customer-did-not-answer' || endedReason === 'customer-busy' || endedReason.startsWith('call.ringing.')) return 'rang';
  if (
    endedReason === 'assistant-forwarded-call' ||
    endedReason.startsWith('call.forwarding.') ||
    endedReason.includes('transfer')
  ) {
    return 'forwarded';
  }
  return 'connected';
}

/** The weights the reason is drawn from when `endedReasons` is set ('all' = every value alike). */
export function reasonWeightsOf(option: SimulatorOptions['endedReasons']): Record<string, number> | undefined {
  if (option === undefined) return undefined;
  return option === 'all' ? Object.fromEntries(ENDED_REASONS.map((reason) => [reason, 1])) : option;
}

/** The key whose cumulative weight `roll` (in [0, 1)) falls in. */
export function pickWeighted(weights: Record<string, number>, roll: number): string {
  const entries = Object.entries(weights);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let left = roll * total;
  for (const [key, weight] of entries) {
    if (left < weight) return key;
    left -= weight;
  }
  return entries.findLast(([, weight]) => weight > 0)![0];
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
  const path = pathOf(endedReason);
  return (path === 'connected' || path === 'forwarded') && !endedReason.includes('error') ? 'answered' : 'failed';
}
