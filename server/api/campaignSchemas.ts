// The campaign's API shape (camelCase, nested window) and its mapping from the row.
import { z } from '../zod.js';
import { retryOutcomeNames, type CampaignRow } from '../../db/queries/campaigns.js';
import { clockTime, hhmm, isoDate, timeZone, variables } from './schemas.js';
import { attemptOverride, attemptOverrides, overridesFromRow, retrySequence, retryStep, sequenceFromRow } from './retrySequence.js';

const retryOutcome = z.enum(retryOutcomeNames);
const minutes = z.int().min(0).max(525_600);

export const retryDelay = z
  .union([
    minutes.describe('minutes before retrying, whatever the outcome'),
    z
      .object({ no_answer: minutes.optional(), busy: minutes.optional(), voicemail: minutes.optional(), failed: minutes.optional() })
      .strict()
      .describe('minutes before retrying, per outcome; outcomes left out wait 60 minutes (or the previous number given)'),
  ])
  .describe('a number, or minutes per outcome');

const campaignFields = {
  name: z.string().trim().min(1).max(200),
  assistantId: z.string().trim().min(1).max(100).describe('VAPI assistant id'),
  phoneNumberId: z.string().trim().min(1).max(100).describe('VAPI phone number id (the one-number form of phoneNumberIds: setting it alone makes it the whole pool)'),
  phoneNumberIds: z
    .array(z.string().trim().min(1).max(100))
    .min(1)
    .max(500)
    .refine((ids) => new Set(ids).size === ids.length, 'phoneNumberIds must not repeat')
    .describe('caller numbers (VAPI phone number ids) the campaign may call from; two or more must be registered (POST /v1/phone-numbers); each call gets one by local presence, then the least used today'),
  timeZone,
  window: z
    .object({ start: clockTime, end: clockTime })
    .describe('local calling window; end before start runs past midnight; start = end means all day'),
  days: z
    .array(z.int().min(1).max(7))
    .min(1)
    .max(7)
    .refine((days) => new Set(days).size === days.length, 'days must not repeat')
    .describe('ISO weekdays: 1 = Monday … 7 = Sunday'),
  frequency: z.enum(['once', 'daily', 'weekly']),
  maxAttempts: z.int().min(1).max(20),
  retryDelayMinutes: retryDelay,
  retryOutcomes: z.array(retryOutcome).max(4).describe('outcomes that earn another attempt'),
  retrySequence,
  attemptOverrides,
  maxConcurrency: z.int().min(1).max(10_000),
  startsOn: isoDate.nullable(),
  endsOn: isoDate.nullable(),
  blackoutDates: z.array(isoDate).max(1000).describe('local dates (campaign zone) with no calls'),
  variables,
  forwardUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .nullable()
    .describe("relay this campaign's tool calls, transfers and reports here instead of the tenant's vapi.forwardUrl; null = the tenant's"),
};

const datesOrdered = (value: { startsOn?: string | null; endsOn?: string | null }) =>
  !value.startsOn || !value.endsOn || value.endsOn >= value.startsOn;
const datesMessage = { message: 'endsOn must not be before startsOn', path: ['endsOn'] };
// The pool and its one-number form agree when both are given.
const poolAgrees = (value: { phoneNumberId?: string; phoneNumberIds?: string[] }) =>
  !value.phoneNumberId || !value.phoneNumberIds || value.phoneNumberIds[0] === value.phoneNumberId;
const poolMessage = { message: 'phoneNumberId must be the first of phoneNumberIds', path: ['phoneNumberId'] };

export const createCampaignBody = z
  .object({
    ...campaignFields,
    phoneNumberId: campaignFields.phoneNumberId.optional(),
    phoneNumberIds: campaignFields.phoneNumberIds.optional(),
    days: campaignFields.days.default([1, 2, 3, 4, 5]),
    frequency: campaignFields.frequency.default('once'),
    maxAttempts: campaignFields.maxAttempts.default(3),
    retryDelayMinutes: campaignFields.retryDelayMinutes.default(60),
    retryOutcomes: campaignFields.retryOutcomes.optional(),
    retrySequence: campaignFields.retrySequence.default([]),
    attemptOverrides: campaignFields.attemptOverrides.default([]),
    maxConcurrency: campaignFields.maxConcurrency.default(5),
    startsOn: campaignFields.startsOn.optional(),
    endsOn: campaignFields.endsOn.optional(),
    blackoutDates: campaignFields.blackoutDates.default([]),
    variables: campaignFields.variables.default({}),
    forwardUrl: campaignFields.forwardUrl.optional(),
  })
  .strict()
  .refine(datesOrdered, datesMessage)
  .refine((value) => value.phoneNumberId !== undefined || value.phoneNumberIds !== undefined, { message: 'give phoneNumberId or phoneNumberIds', path: ['phoneNumberId'] })
  .refine(poolAgrees, poolMessage);

export const patchCampaignBody = z.object(campaignFields).partial().strict().refine(datesOrdered, datesMessage).refine(poolAgrees, poolMessage);

export type CampaignInput = z.output<typeof patchCampaignBody>;

export const campaignView = z.object({
  id: z.uuid(),
  name: z.string(),
  assistantId: z.string(),
  phoneNumberId: z.string().describe('the first of phoneNumberIds'),
  phoneNumberIds: z.array(z.string()),
  timeZone: z.string(),
  window: z.object({ start: z.string(), end: z.string() }),
  days: z.array(z.int()),
  frequency: z.enum(['once', 'daily', 'weekly']),
  maxAttempts: z.int(),
  retryDelayMinutes: retryDelay.describe('a number when every outcome waits the same; else minutes for each outcome'),
  retryOutcomes: z.array(z.string()),
  retrySequence: z.array(retryStep.extend({ shiftWindow: retryStep.shape.shiftWindow.unwrap() })).describe(retrySequence.description ?? ''),
  attemptOverrides: z.array(attemptOverride).describe(attemptOverrides.description ?? ''),
  maxConcurrency: z.int(),
  startsOn: z.string().nullable(),
  endsOn: z.string().nullable(),
  blackoutDates: z.array(z.string()),
  variables: z.record(z.string(), z.unknown()),
  forwardUrl: z.string().nullable(),
  status: z.enum(['draft', 'active', 'paused', 'completed', 'stopped']),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type CampaignView = z.infer<typeof campaignView>;

export function toCampaignView(row: CampaignRow): CampaignView {
  const perOutcome = Object.keys(row.retry_delays).length > 0;
  return {
    id: row.id,
    name: row.name,
    assistantId: row.assistant_id,
    phoneNumberId: row.phone_number_id,
    phoneNumberIds: row.phone_number_ids,
    timeZone: row.time_zone,
    window: { start: hhmm(row.window_start), end: hhmm(row.window_end) },
    days: row.days,
    frequency: row.frequency,
    maxAttempts: row.max_attempts,
    retryDelayMinutes: perOutcome
      ? Object.fromEntries(retryOutcomeNames.map((outcome) => [outcome, row.retry_delays[outcome] ?? row.retry_delay_minutes]))
      : row.retry_delay_minutes,
    retryOutcomes: row.retry_outcomes,
    retrySequence: sequenceFromRow(row.retry_sequence),
    attemptOverrides: overridesFromRow(row.attempt_overrides),
    maxConcurrency: row.max_concurrency,
    startsOn: row.starts_on,
    endsOn: row.ends_on,
    blackoutDates: row.blackout_dates,
    variables: row.variables,
    forwardUrl: row.forward_url,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export const campaignProgressView = z.object({
  contacts: z.int(),
  pending: z.int(),
  dueNow: z.int(),
  waitingForWindow: z.int(),
  waitingForRetry: z.int(),
  heldByConcurrency: z.int(),
  heldByCallerNumbers: z.int().describe('due, but every caller number of the pool is at a limit or resting'),
  inFlight: z.int(),
  answered: z.int(),
  noAnswer: z.int(),
  busy: z.int(),
  voicemail: z.int(),
  failed: z.int(),
  totalCost: z.number(),
  byContact: z
    .object({
      contacts: z.int().describe('members of the campaign'),
      reached: z.int().describe('an answered call'),
      inFlight: z.int().describe('not reached, a call live now'),
      waiting: z.int().describe('not reached, a call scheduled'),
      notReached: z.int().describe('calls made, all final, none answered'),
      notStarted: z.int().describe('no call yet (e.g. a draft)'),
    })
    .describe('per contact, not per call: each member is in exactly one of reached … notStarted'),
});
