// The parts of VAPI's Call object the dialer reads. VAPI sends far more; everything is optional
// because payloads differ between API versions (see server/vapi/README in worker docs).

export type VapiCustomer = { number?: string; name?: string; externalId?: string };

export type VapiCall = {
  id: string;
  status?: string;
  endedReason?: string;
  createdAt?: string;
  startedAt?: string;
  endedAt?: string;
  phoneNumberId?: string;
  customer?: VapiCustomer;
  cost?: number;
  costBreakdown?: unknown;
  artifact?: { transcript?: string; recordingUrl?: string; recording?: { url?: string; stereoUrl?: string } | unknown };
  analysis?: { summary?: string; structuredData?: unknown; successEvaluation?: unknown };
  /** Legacy top-level copies of artifact/analysis fields. */
  transcript?: string;
  recordingUrl?: string;
  summary?: string;
  subscriptionLimits?: { concurrencyBlocked?: boolean; concurrencyLimit?: number; remainingConcurrentCalls?: number };
  [key: string]: unknown;
};

/** The body of POST /call the dialer sends (one outbound call). */
export type CreateCallBody = {
  assistantId: string;
  phoneNumberId: string;
  customer: { number: string; name?: string; externalId: string };
  assistantOverrides: {
    variableValues: Record<string, unknown>;
    server: { url: string; timeoutSeconds?: number; headers?: Record<string, string> };
    /** The message types VAPI sends to server.url (AssistantOverrides.serverMessages). */
    serverMessages?: string[];
  };
};
