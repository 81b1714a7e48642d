// The call's API shape and the filters of the call list (shared by JSON and CSV).
import { z } from '../zod.js';
import { callOutcomes, callStatuses, type CallFilters, type CallRow } from '../../db/queries/calls.js';
import { instant } from './schemas.js';

/** "a,b" → ["a", "b"], each checked against the allowed values. */
const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((text) => text.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(values)))
    .describe(`one or more (comma-separated) of: ${values.join(', ')}`);

export const callFilterQuery = z.object({
  campaignId: z.uuid().optional(),
  contactId: z.uuid().optional(),
  status: commaList(callStatuses).optional(),
  outcome: commaList(callOutcomes).optional(),
  from: instant.optional().describe('calls created at or after this instant'),
  to: instant.optional().describe('calls created before this instant'),
  q: z.string().trim().min(1).max(200).optional().describe("part of the contact's name (case-insensitive) or of the phone number (digits)"),
});

export function filtersOf(query: z.output<typeof callFilterQuery>): CallFilters {
  return {
    campaignId: query.campaignId,
    contactId: query.contactId,
    statuses: query.status,
    outcomes: query.outcome,
    from: query.from,
    to: query.to,
    q: query.q,
  };
}

export const callView = z.object({
  id: z.uuid(),
  campaignId: z.uuid().nullable().describe('null for a direct call'),
  campaignName: z.string().nullable(),
  contactId: z.uuid(),
  contactName: z.string().nullable(),
  phone: z.string(),
  status: z.enum(callStatuses),
  outcome: z.enum(callOutcomes).nullable(),
  endedReason: z.string().nullable().describe("VAPI's endedReason"),
  attempt: z.int(),
  occurrence: z.string(),
  dueAt: z.string(),
  dialStartedAt: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationSeconds: z.number().nullable(),
  cost: z.number().nullable().describe('USD'),
  vapiCallId: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  phoneNumberId: z.string().nullable().describe("the VAPI phone number id the call is placed from: chosen when claimed (a campaign with one number: that one; a pool: null until claimed); a direct call's own"),
});
export type CallView = z.infer<typeof callView>;

export const toCallView = (row: CallRow): CallView => ({
  id: row.id,
  campaignId: row.campaign_id,
  campaignName: row.campaign_name,
  contactId: row.contact_id,
  contactName: row.contact_name,
  phone: row.phone,
  status: row.status as CallView['status'],
  outcome: row.outcome as CallView['outcome'],
  endedReason: row.ended_reason,
  attempt: row.attempt,
  occurrence: row.occurrence,
  dueAt: row.due_at,
  dialStartedAt: row.dial_started_at,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  durationSeconds: row.duration_seconds,
  cost: row.cost,
  vapiCallId: row.vapi_call_id,
  lastError: row.last_error,
  createdAt: row.created_at,
  phoneNumberId: row.phone_number_id,
});

export const forwardView = z.object({
  id: z.int(),
  mode: z.enum(['sync', 'async']).describe('sync: a request relayed while VAPI waited; async: queued and delivered by the worker'),
  url: z.string(),
  state: z.string().describe('pending, delivering, delivered or failed'),
  attempts: z.int(),
  lastAttemptAt: z.string().nullable(),
  lastStatus: z.int().nullable().describe("the target's HTTP status"),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});

export const callEventView = z.object({
  id: z.int(),
  type: z.string().nullable().describe('VAPI message type, e.g. status-update, end-of-call-report'),
  status: z.string().nullable(),
  eventAt: z.string().nullable(),
  receivedAt: z.string(),
  appliedAt: z.string().nullable(),
  error: z.string().nullable(),
  forwards: z.array(forwardView).describe("this event's relays to the tenant's forward URL (dialer.forward_deliveries)"),
});

export const callDetailView = callView.extend({
  assistantId: z.string().nullable(),
  variables: z.record(z.string(), z.unknown()),
  vapiStatus: z.string().nullable(),
  transcript: z.string().nullable(),
  recordingUrl: z.string().nullable(),
  summary: z.string().nullable(),
  analysis: z.unknown().nullable(),
  costs: z.array(z.unknown()).nullable().describe("the end-of-call-report's costs[] as VAPI sent them"),
  costBreakdown: z.unknown().nullable().describe("the Call object's costBreakdown (read by reconciliation; reports do not carry it)"),
  updatedAt: z.string(),
  events: z.array(callEventView).describe('webhooks received for this call, in arrival order'),
});
