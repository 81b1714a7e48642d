// Small schemas shared by several routes.
import { IANAZone } from 'luxon';
import { z } from '../zod.js';

export const idParams = z.object({ id: z.uuid().describe('the resource id') });

/** Wall-clock time "HH:MM" (24 h). */
export const clockTime = z
  .string()
  .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'use HH:MM, 24-hour (e.g. "09:00")')
  .describe('local wall-clock time, HH:MM');

export const timeZone = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), 'not an IANA time zone (e.g. "America/New_York")')
  .describe('IANA time zone, e.g. America/New_York');

export const isoDate = z.iso.date().describe('YYYY-MM-DD');

export const instant = z.iso.datetime({ offset: true }).describe('ISO 8601 instant with zone, e.g. 2026-11-23T14:00:00Z');

export const variables = z.record(z.string(), z.unknown()).describe('variables passed to the assistant (assistantOverrides.variableValues)');

/** "HH:MM:SS" from Postgres `time` → "HH:MM". */
export const hhmm = (time: string) => time.slice(0, 5);
