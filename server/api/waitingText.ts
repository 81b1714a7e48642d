// Why a call waits, in words an operator reads: the reasons of dialer.why_not with the instant
// they lift shown as wall time in the zone that rule is about (the contact's for calling hours,
// the campaign's for its window), e.g. "outside the contact's calling hours until 08:00 America/Chicago".
import { DateTime } from 'luxon';

/** Which zone a reason's lift time is read in. */
export type ZoneOf = { contact: string | null; campaign: string };

const phrases: Record<string, { text: string; zone: 'contact' | 'campaign' }> = {
  'contact hours closed': { text: "outside the contact's calling hours", zone: 'contact' },
  'window closed': { text: "outside the campaign's calling window", zone: 'campaign' },
  'before start date': { text: "before the campaign's start date", zone: 'campaign' },
  'after end date': { text: "after the campaign's end date", zone: 'campaign' },
  'blackout date': { text: 'a blackout date', zone: 'campaign' },
  'retry not due': { text: 'waiting for the retry delay', zone: 'campaign' },
  'not due': { text: 'not due yet', zone: 'campaign' },
  '24-hour cap': { text: "the number's 24-hour call cap is reached", zone: 'contact' },
  'do not call': { text: 'the number is on the do-not-call list', zone: 'campaign' },
  'live call to the same number': { text: 'another call to the same number is live', zone: 'campaign' },
  'campaign concurrency full': { text: "the campaign's concurrent calls are at its limit", zone: 'campaign' },
  'tenant concurrency full': { text: "the account's concurrent calls are at its limit", zone: 'campaign' },
  'over max attempts': { text: 'every attempt is used', zone: 'campaign' },
  'occurrence over': { text: "the call's day (or week) is over", zone: 'campaign' },
  'contact deleted': { text: 'the contact is deleted', zone: 'campaign' },
  'campaign deleted': { text: 'the campaign is deleted', zone: 'campaign' },
  'VAPI account stopped': { text: 'VAPI refused the account (see vapiStatus in the settings)', zone: 'campaign' },
};

/**
 * A calling rule's or a blackout's reason is already a sentence with its lift time in the
 * jurisdiction's zone (sql/024_rules.sql, _rule_reason): "us-fl.501.616: after 20:00 local; next
 * 2026-12-02 08:00 America/New_York", "blackout:<id>: …".
 */
const ruleReason = /^(blackout:[^:]+|[a-z]{2}(-[a-z0-9]+)?(\.[\w-]+)*): /;

/** The zone a reason's lift time is shown in: the contact's when the rule is about the contact. */
export function zoneForReason(reason: string, zones: ZoneOf): string {
  const which = phrases[reason]?.zone ?? 'campaign';
  return (which === 'contact' ? zones.contact : null) ?? zones.campaign;
}

/** "08:00 America/Chicago" within a day of `now`, else "Tue 8 Dec 08:00 America/Chicago". */
export function wallTime(instant: string, zone: string, now: Date): string {
  const at = DateTime.fromISO(instant, { zone });
  const soon = Math.abs(at.toMillis() - now.getTime()) < 24 * 3600_000;
  return `${at.toFormat(soon ? 'HH:mm' : 'ccc d LLL HH:mm')} ${zone}`;
}

/**
 * A retry planned by a step of the campaign's retry sequence (sql/040_why_not.sql): "retry not
 * due: retry 2 of 3 (sequence step 2: 120 min after attempt 2, later half of the window)".
 */
const sequenceReason = 'retry not due: ';

/** The sentence for one reason, with "until …" when the lift time is known. */
export function waitingText(reason: string, until: string | null, zones: ZoneOf, now: Date): string {
  if (ruleReason.test(reason)) return reason;
  if (reason.startsWith(sequenceReason)) {
    const step = `waiting for ${reason.slice(sequenceReason.length)}`;
    return until ? `${step}, due at ${wallTime(until, zones.campaign, now)}` : step;
  }
  // A held caller-number pool's reason carries its lift time in the number's zone (sql/033).
  if (reason.startsWith('every caller number ')) return reason;
  const text = phrases[reason]?.text ?? (reason.startsWith('campaign ') ? `the campaign is ${reason.slice('campaign '.length)}` : reason);
  return until ? `${text} until ${wallTime(until, zoneForReason(reason, zones), now)}` : text;
}
