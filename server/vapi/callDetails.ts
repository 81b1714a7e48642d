// What an ended call reports, read from where VAPI really puts it (checked against VAPI's OpenAPI
// and @vapi-ai/server-sdk 2.0.1, whose types these readers use, so a renamed field fails typecheck):
// - an end-of-call-report carries the details at message level (`endedReason`, `artifact`,
//   `analysis`, `cost`, `costs[]`, `startedAt`, `endedAt`) and no `costBreakdown`;
// - a Call object (GET /call/{id}) carries them at top level, with `costBreakdown`;
// - `message.call` inside a webhook is the Call as it was when created (status queued, cost 0):
//   nothing is ever read from it here.
// Recording: `artifact.recording.mono.combinedUrl`, then `artifact.recording.stereoUrl`, then the
// deprecated `artifact.recordingUrl` / `artifact.stereoRecordingUrl` and top-level `recordingUrl`.
import type { LegacyCallFields, VapiAnalysis, VapiArtifact, VapiCall } from './types.js';

export type CallDetails = {
  endedReason: string | null;
  startedAt: string | null;
  endedAt: string | null;
  transcript: string | null;
  recordingUrl: string | null;
  summary: string | null;
  analysis: unknown;
  /** USD exactly as VAPI sent it (JSON number → JS number → its shortest decimal text in SQL). */
  cost: number | null;
  /** The report's (or the Call's) typed `costs[]`, kept as it is. */
  costs: unknown[] | null;
  /** Only a Call object has it. */
  costBreakdown: unknown;
};

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const record = <T extends object = Record<string, unknown>>(value: unknown): Partial<T> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Partial<T>) : {};

/** An instant from an ISO string or epoch milliseconds, as ISO; null when it is neither. */
export function instantOf(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return new Date(value).toISOString();
  if (typeof value === 'string' && value !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  return null;
}

/** The recording URL from an artifact, newest place first; then a legacy top-level copy. */
export function recordingUrlOf(artifactValue: unknown, legacy: LegacyCallFields = {}): string | null {
  const artifact = record<VapiArtifact>(artifactValue);
  const recording = record<NonNullable<VapiArtifact['recording']>>(artifact.recording);
  const mono = record<NonNullable<NonNullable<VapiArtifact['recording']>['mono']>>(recording.mono);
  return (
    text(mono.combinedUrl) ??
    text(recording.stereoUrl) ??
    text(artifact.recordingUrl) ??
    text(artifact.stereoRecordingUrl) ??
    text(legacy.recordingUrl) ??
    text(legacy.stereoRecordingUrl)
  );
}

const costOf = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null);
const costsOf = (value: unknown): unknown[] | null => (Array.isArray(value) ? value : null);

type DetailSource = {
  endedReason?: unknown;
  startedAt?: unknown;
  endedAt?: unknown;
  artifact?: unknown;
  analysis?: unknown;
  cost?: unknown;
  costs?: unknown;
} & { [K in keyof LegacyCallFields]?: unknown };

function detailsOf(source: DetailSource, costBreakdown: unknown): CallDetails {
  const artifact = record<VapiArtifact>(source.artifact);
  const analysis = record<VapiAnalysis>(source.analysis);
  const legacy: LegacyCallFields = {
    ...(text(source.recordingUrl) ? { recordingUrl: source.recordingUrl as string } : {}),
    ...(text(source.stereoRecordingUrl) ? { stereoRecordingUrl: source.stereoRecordingUrl as string } : {}),
  };
  return {
    endedReason: text(source.endedReason),
    startedAt: instantOf(source.startedAt),
    endedAt: instantOf(source.endedAt),
    transcript: text(artifact.transcript) ?? text(source.transcript),
    recordingUrl: recordingUrlOf(source.artifact, legacy),
    summary: text(analysis.summary) ?? text(source.summary),
    analysis: source.analysis && typeof source.analysis === 'object' && !Array.isArray(source.analysis) ? source.analysis : null,
    cost: costOf(source.cost),
    costs: costsOf(source.costs),
    costBreakdown: costBreakdown && typeof costBreakdown === 'object' ? costBreakdown : null,
  };
}

/** Details of an end-of-call-report `message`: its own fields only, never `message.call`'s. */
export function reportDetailsOf(message: Record<string, unknown>): CallDetails {
  return detailsOf(message as DetailSource, null);
}

/** Details of a Call object (GET /call/{id}): the only place `costBreakdown` comes from. */
export function callObjectDetailsOf(call: VapiCall): CallDetails {
  return detailsOf(call as DetailSource, call.costBreakdown);
}

/**
 * What an `ended` status-update says: only its endedReason (it carries no cost or artifact of
 * its own, and its `call` is the creation-time Call), so a late one never overwrites a report.
 */
export function statusUpdateDetailsOf(message: Record<string, unknown>): CallDetails {
  return { ...detailsOf({}, null), endedReason: text(message.endedReason) };
}
