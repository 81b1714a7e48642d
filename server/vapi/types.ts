// The VAPI shapes the dialer reads and sends, taken from the pinned @vapi-ai/server-sdk's types
// (types only: `import type`, erased at run time; the SDK is a devDependency and the client stays
// on node:http). A field VAPI renames or drops fails `npm run typecheck` wherever it is read.
// Enumerations are widened with `string`: VAPI adds statuses and ended reasons, and a value the
// SDK does not know yet must still be stored, not rejected.
import type { Vapi } from '@vapi-ai/server-sdk';

type Open<T extends string> = T | (string & {});

/** Top-level copies of artifact/analysis fields that older payloads (and VAPI's GET, 2025) carry. */
export type LegacyCallFields = { transcript?: string; recordingUrl?: string; stereoRecordingUrl?: string; summary?: string };

/** What POST /call answered until 2026-07-30 (the docs page still shows it): read when present. */
export type SubscriptionLimits = Partial<Vapi.SubscriptionLimits>;

/** A Call object (POST /call's answer, GET /call/{id}, GET /call's items). */
export type VapiCall = Omit<Vapi.Call, 'status' | 'endedReason'> &
  LegacyCallFields & {
    status?: Open<Vapi.CallStatus>;
    endedReason?: Open<Vapi.CallEndedReason>;
    subscriptionLimits?: SubscriptionLimits;
  };

export type VapiCustomer = Vapi.CreateCustomerDto;

/** The `server` of assistantOverrides: where VAPI posts, and how it authenticates (credentialId or headers). */
export type VapiServer = Pick<Vapi.Server, 'url' | 'credentialId' | 'timeoutSeconds'> & { headers?: Record<string, string> };

/** The body of POST /call the dialer sends (one outbound call): a subset of CreateCallDto. */
export type CreateCallBody = {
  assistantId: string;
  phoneNumberId: string;
  customer: { number: string; name?: string; externalId: string };
  assistantOverrides: {
    variableValues: Record<string, unknown>;
    voicemailMessage?: string;
    server: VapiServer & { url: string };
    serverMessages?: Vapi.AssistantOverridesServerMessagesItem[];
  };
};

// Compile-time: the body we send is a CreateCallDto (a field VAPI renames fails typecheck).
type Assert<T extends true> = T;
export type CreateCallBodyIsVapis = Assert<CreateCallBody extends Vapi.CreateCallDto ? true : false>;

/** end-of-call-report as VAPI sends it (`message` of the webhook body). */
export type EndOfCallReport = Omit<Vapi.ServerMessageEndOfCallReport, 'endedReason' | 'type'> &
  LegacyCallFields & { type: 'end-of-call-report'; endedReason?: Open<Vapi.CallEndedReason> };

/** status-update as VAPI sends it. */
export type StatusUpdate = Omit<Vapi.ServerMessageStatusUpdate, 'status' | 'endedReason' | 'type'> & {
  type: 'status-update';
  status?: Open<Vapi.CallStatus>;
  endedReason?: Open<Vapi.CallEndedReason>;
};

export type VapiArtifact = Vapi.Artifact;
export type VapiAnalysis = Vapi.Analysis;
export type VapiCostItem = Vapi.ServerMessageEndOfCallReportCostsItem;
export type VapiCostBreakdown = Vapi.CostBreakdown;
