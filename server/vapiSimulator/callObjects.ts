// VAPI Call objects and the post-call data (artifact, analysis, costs) the simulator makes up,
// shaped like the real payloads (see README.md).
import { createHash, randomUUID } from 'node:crypto';
import type { CreateCallBody } from './validation.js';

export type SubscriptionLimits = {
  concurrencyBlocked: boolean;
  concurrencyLimit: number;
  remainingConcurrentCalls: number;
};

/** The Call as GET /call/:id returns it (fields VAPI leaves out until they are known stay absent). */
export type VapiCall = {
  id: string;
  orgId: string;
  type: 'outboundPhoneCall';
  status: 'queued' | 'ringing' | 'in-progress' | 'ended';
  createdAt: string;
  updatedAt: string;
  assistantId?: string;
  assistant?: Record<string, unknown>;
  phoneNumberId: string;
  customer: CreateCallBody['customer'];
  assistantOverrides?: CreateCallBody['assistantOverrides'];
  name?: string;
  cost: number;
  subscriptionLimits: SubscriptionLimits;
  phoneCallProvider: 'twilio';
  phoneCallTransport: 'pstn';
  phoneCallProviderId: string;
  monitor: { listenUrl: string; controlUrl: string };
  transport: { provider: 'twilio'; callSid: string; accountSid: string };
  startedAt?: string;
  endedAt?: string;
  endedReason?: string;
  costBreakdown?: Record<string, number>;
  costs?: Array<Record<string, unknown>>;
  artifact?: Artifact;
  analysis?: { summary: string; successEvaluation: string };
  // Deprecated top-level copies VAPI still returns on GET (2025 captures); read artifact/analysis first.
  transcript?: string;
  recordingUrl?: string;
  summary?: string;
};

export type Artifact = {
  transcript: string;
  recordingUrl?: string;
  messages: Array<Record<string, unknown>>;
};

/** A stable made-up org id per API key: one key is one account. */
export function orgIdFor(apiKey: string): string {
  const hex = createHash('sha256').update(`org:${apiKey}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function newCall(body: CreateCallBody, orgId: string, limits: SubscriptionLimits, now: number): VapiCall {
  const id = randomUUID();
  const providerId = `CA${randomUUID().replaceAll('-', '')}`;
  const at = new Date(now).toISOString();
  return {
    id,
    orgId,
    type: 'outboundPhoneCall',
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    ...(body.assistantId !== undefined ? { assistantId: body.assistantId } : {}),
    ...(body.assistant !== undefined ? { assistant: body.assistant } : {}),
    phoneNumberId: body.phoneNumberId,
    customer: { ...body.customer },
    ...(body.assistantOverrides !== undefined ? { assistantOverrides: body.assistantOverrides } : {}),
    ...(body.name !== undefined ? { name: body.name } : {}),
    cost: 0,
    subscriptionLimits: limits,
    phoneCallProvider: 'twilio',
    phoneCallTransport: 'pstn',
    phoneCallProviderId: providerId,
    monitor: {
      listenUrl: `wss://phone-call-websocket.simulator.invalid/${id}/listen`,
      controlUrl: `https://phone-call-websocket.simulator.invalid/${id}/control`,
    },
    transport: { provider: 'twilio', callSid: providerId, accountSid: 'ACsimulator' },
  };
}

const perMinuteUsd = 0.1;

/** Fills the fields an ended call carries: timings, cost, and for talked calls a transcript. */
export function endCall(call: VapiCall, endedReason: string, now: number): void {
  const at = new Date(now).toISOString();
  call.status = 'ended';
  call.endedReason = endedReason;
  call.endedAt = at;
  call.updatedAt = at;
  const minutes = call.startedAt ? (now - Date.parse(call.startedAt)) / 60_000 : 0;
  const cost = round(minutes * perMinuteUsd);
  call.cost = cost;
  call.costBreakdown = { transport: 0, stt: round(cost * 0.15), llm: round(cost * 0.25), tts: round(cost * 0.2), vapi: round(cost * 0.4), total: cost };
  call.costs = [{ type: 'vapi', cost, minutes: round(minutes), subType: 'normal' }];
  if (!call.startedAt) return;

  const name = call.customer.name ?? 'there';
  const lines: Array<['bot' | 'user', string]> =
    endedReason === 'voicemail'
      ? [
          ['user', 'The person you are calling is not available. Please leave a message after the tone.'],
          ['bot', `Hi ${name}, this is a message from the simulator. Please call us back.`],
        ]
      : [
          ['bot', `Hello ${name}, this is the simulator calling. Do you have a minute?`],
          ['user', 'Sure, go ahead.'],
          ['bot', 'Thank you. That is all for today. Goodbye!'],
        ];
  const started = Date.parse(call.startedAt);
  const step = Math.max(1, Math.floor((now - started) / (lines.length + 1)));
  const messages = lines.map(([role, message], index) => ({
    role,
    message,
    time: started + step * index,
    endTime: started + step * (index + 1),
    secondsFromStart: (step * index) / 1000,
    duration: step,
  }));
  const transcript = lines.map(([role, message]) => `${role === 'bot' ? 'AI' : 'User'}: ${message}`).join('\n') + '\n';
  const recordingUrl = `https://storage.simulator.invalid/${call.id}-mono.wav`;
  const summary =
    endedReason === 'voicemail' ? 'The assistant reached voicemail and left a message.' : `The assistant spoke with ${name}, who listened.`;
  call.artifact = { transcript, recordingUrl, messages };
  call.analysis = { summary, successEvaluation: endedReason === 'voicemail' || endedReason.includes('error') ? 'false' : 'true' };
  call.transcript = transcript;
  call.recordingUrl = recordingUrl;
  call.summary = summary;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
