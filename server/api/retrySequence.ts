// The API shape of a campaign's retry sequence and per-attempt overrides, their mapping to the
// row (snake_case jsonb, migration 0012) and back, and the one check that needs maxAttempts
// (run on create and on the merged campaign of a PATCH). What the sequence does is SQL's
// (sql/035_retry_sequences.sql); this module only carries it.
import { z } from '../zod.js';
import { HttpError, type ErrorDetail } from '../http/errors.js';
import { variables } from './schemas.js';

export const shiftWindows = ['later', 'earlier'] as const;

export const retryStep = z
  .object({
    afterMinutes: z
      .int()
      .min(0, 'a delay cannot be negative')
      .max(525_600)
      .describe('minutes after the end of the previous attempt'),
    shiftWindow: z
      .enum(shiftWindows)
      .nullable()
      .optional()
      .describe(
        "then move the attempt to the first instant from there in that half of the calling window (split at its wall-clock midpoint, in the campaign's zone, on an allowed day): later = the later half, earlier = the earlier half; null or left out = no move",
      ),
  })
  .strict();

export const retrySequence = z
  .array(retryStep)
  .max(20)
  .describe(
    'entry n is the wait before attempt n + 1, counted from the end of attempt n; attempts beyond the sequence wait retryDelayMinutes; at most maxAttempts entries (entry maxAttempts is never used). Only outcomes in retryOutcomes are retried.',
  );

export const attemptOverride = z
  .object({
    attempt: z.int().min(1).max(20).describe('the attempt (1 = the first call) these apply to'),
    variables: variables.optional().describe("merged over the campaign's, the contact's and the membership's variables for this attempt only"),
    voicemailMessage: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .optional()
      .describe("assistantOverrides.voicemailMessage for this attempt: what the assistant says when the call reaches voicemail (without it, the assistant's own setting)"),
  })
  .strict();

export const attemptOverrides = z
  .array(attemptOverride)
  .max(20)
  .superRefine((overrides, context) => {
    const seen = new Set<number>();
    overrides.forEach((override, index) => {
      if (seen.has(override.attempt)) context.addIssue({ code: 'custom', path: [index, 'attempt'], message: `attempt ${override.attempt} is given twice` });
      seen.add(override.attempt);
    });
  })
  .describe("assistant overrides for chosen attempts, e.g. a voicemail message only on the last one");

export type RetrySequence = z.output<typeof retrySequence>;
export type AttemptOverrides = z.output<typeof attemptOverrides>;

/** The row's jsonb (snake_case) as the migration's check constraints read it. */
export const sequenceToRow = (sequence: RetrySequence) =>
  sequence.map((step) => (step.shiftWindow ? { after_minutes: step.afterMinutes, shift_window: step.shiftWindow } : { after_minutes: step.afterMinutes }));

export const overridesToRow = (overrides: AttemptOverrides) =>
  [...overrides]
    .sort((a, b) => a.attempt - b.attempt)
    .map((override) => ({
      attempt: override.attempt,
      ...(override.variables !== undefined ? { variables: override.variables } : {}),
      ...(override.voicemailMessage !== undefined ? { voicemail_message: override.voicemailMessage } : {}),
    }));

type StepRow = { after_minutes: number; shift_window?: string | null };
type OverrideRow = { attempt: number; variables?: Record<string, unknown>; voicemail_message?: string };

export const sequenceFromRow = (rows: StepRow[]) =>
  rows.map((row) => ({ afterMinutes: row.after_minutes, shiftWindow: (row.shift_window ?? null) as (typeof shiftWindows)[number] | null }));

export const overridesFromRow = (rows: OverrideRow[]) =>
  rows.map((row) => ({
    attempt: row.attempt,
    ...(row.variables !== undefined ? { variables: row.variables } : {}),
    ...(row.voicemail_message !== undefined ? { voicemailMessage: row.voicemail_message } : {}),
  }));

/**
 * A campaign makes at most maxAttempts attempts, so its sequence may have at most maxAttempts
 * entries (the issue's rule: entry n waits before attempt n + 1, so entry maxAttempts is never
 * used) and no override may name a later attempt. `given` says which fields the request set, so
 * the detail names the field the caller changed (a PATCH lowering maxAttempts names maxAttempts).
 */
export function assertWithinMaxAttempts(
  campaign: { maxAttempts: number; sequenceLength: number; overrideAttempts: number[] },
  given: { maxAttempts: boolean; retrySequence: boolean; attemptOverrides: boolean },
): void {
  const { maxAttempts, sequenceLength, overrideAttempts } = campaign;
  const details: ErrorDetail[] = [];
  if (sequenceLength > maxAttempts) {
    const used = maxAttempts === 1 ? 'none is ever used' : maxAttempts === 2 ? 'only the first is ever used' : `only the first ${maxAttempts - 1} are ever used`;
    const why = `entry n is the wait before attempt n + 1, so a campaign of ${maxAttempts} attempts takes at most ${maxAttempts} entries (${used})`;
    details.push(
      given.retrySequence || !given.maxAttempts
        ? { path: 'retrySequence', message: `${sequenceLength} entries is longer than maxAttempts (${maxAttempts}): ${why}` }
        : { path: 'maxAttempts', message: `maxAttempts ${maxAttempts} is lower than the campaign's retrySequence (${sequenceLength} entries): shorten the sequence in the same request` },
    );
  }
  overrideAttempts.forEach((attempt, index) => {
    if (attempt <= maxAttempts) return;
    details.push(
      given.attemptOverrides || !given.maxAttempts
        ? { path: `attemptOverrides.${index}.attempt`, message: `attempt ${attempt} is over maxAttempts (${maxAttempts})` }
        : { path: 'maxAttempts', message: `maxAttempts ${maxAttempts} is lower than attempt ${attempt} of the campaign's attemptOverrides: change them in the same request` },
    );
  });
  if (details.length > 0) throw new HttpError(400, 'validation_error', 'the request is not valid', details);
}
