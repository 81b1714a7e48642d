// What an ended call reports, read from a Call object (GET /call/{id}) or an end-of-call-report
// message. Newer payloads nest transcript and recording under `artifact` and the summary under
// `analysis`; older ones carry them at the top level: read the new place first.
import type { VapiCall } from './types.js';

export type CallDetails = {
  endedReason: string | null;
  startedAt: string | null;
  endedAt: string | null;
  transcript: string | null;
  recordingUrl: string | null;
  summary: string | null;
  analysis: unknown;
  cost: number | null;
  costBreakdown: unknown;
};

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const record = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {});

/** An instant from an ISO string or epoch milliseconds, as ISO; null when it is neither. */
export function instantOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && value !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  return null;
}

/**
 * Details from an end-of-call-report `message` (fields at message level, the call under
 * message.call) or from a Call object (pass it as both arguments).
 */
export function callDetailsOf(source: Record<string, unknown>, call: VapiCall | Record<string, unknown> = record(source.call)): CallDetails {
  const artifact = { ...record(record(call).artifact), ...record(source.artifact) };
  const analysis = source.analysis ?? record(call).analysis;
  const recording = record(artifact.recording);
  const pick = (key: string) => source[key] ?? record(call)[key];
  const cost = pick('cost');
  return {
    endedReason: text(pick('endedReason')),
    startedAt: instantOf(pick('startedAt')),
    endedAt: instantOf(pick('endedAt')),
    transcript: text(artifact.transcript) ?? text(pick('transcript')),
    recordingUrl: text(artifact.recordingUrl) ?? text(recording.url) ?? text(pick('recordingUrl')),
    summary: text(record(analysis).summary) ?? text(pick('summary')),
    analysis: analysis && typeof analysis === 'object' ? analysis : null,
    cost: typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : null,
    costBreakdown: pick('costBreakdown') ?? source.costs ?? null,
  };
}
