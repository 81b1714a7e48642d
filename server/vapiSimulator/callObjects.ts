// VAPI Call objects and the post-call data (artifact, analysis, costs) the simulator makes up,
// typed with @vapi-ai/server-sdk's types (types only), so a shape drift fails `npm run typecheck`:
// - the Call (POST /call's answer, GET /call/{id}) has `cost`, `costs[]` and `costBreakdown`;
// - `artifact.recording = {stereoUrl, mono: {combinedUrl, assistantUrl, customerUrl}}` is the
//   current place of the recording; the deprecated `artifact.recordingUrl`/`stereoRecordingUrl`
//   and top-level `transcript`/`recordingUrl`/`summary` appear only with `deprecatedFields`.
import { createHash, randomUUID } from 'node:crypto';
import type { Vapi } from '@vapi-ai/server-sdk';
import type { CreateCallBody } from './validation.js';

export type SubscriptionLimits = {
  concurrencyBlocked: boolean;
  concurrencyLimit: number;
  remainingConcurrentCalls: number;
};

/** The simulator's Call: VAPI's, with the fields it always fills made required. */
export type VapiCall = Vapi.Call & {
  type: 'outboundPhoneCall';
  status: Vapi.CallStatus;
  phoneNumberId: string;
  customer: Vapi.CreateCustomerDto & { number: string };
  cost: number;
  /** Left VAPI's OpenAPI on 2026-07-30 (the docs page still shows it on the POST answer). */
  subscriptionLimits: SubscriptionLimits;
  phoneCallProvider: 'twilio';
  phoneCallTransport: 'pstn';
  phoneCallProviderId: string;
  // Deprecated top-level copies (2025 GET captures), only with deprecatedFields.
  transcript?: string;
  recordingUrl?: string;
  summary?: string;
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
  const { customer, ...rest } = body;
  return {
    // Every CreateCallDto field given comes back on the Call, as VAPI echoes them.
    ...rest,
    id,
    orgId,
    type: 'outboundPhoneCall',
    status: 'queued',
    createdAt: at,
    updatedAt: at,
    phoneNumberId: body.phoneNumberId ?? `pn-inline-${id.slice(0, 8)}`,
    customer: { ...customer },
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

/** One turn of the conversation the simulator plays for a connected call. */
export type Turn = { role: 'bot' | 'user'; message: string };

export function conversationOf(call: VapiCall, endedReason: string): Turn[] {
  const name = call.customer.name ?? 'there';
  return endedReason === 'voicemail'
    ? [
        { role: 'user', message: 'The person you are calling is not available. Please leave a message after the tone.' },
        { role: 'bot', message: `Hi ${name}, this is a message from the simulator. Please call us back.` },
      ]
    : [
        { role: 'bot', message: `Hello ${name}, this is the simulator calling. Do you have a minute?` },
        { role: 'user', message: 'Sure, go ahead.' },
        { role: 'bot', message: 'Thank you. That is all for today. Goodbye!' },
      ];
}

/** artifact.messages for the first `count` turns, spread evenly from startedAt to `until`. */
export function artifactMessages(turns: Turn[], startedMs: number, untilMs: number, count = turns.length): Vapi.ArtifactMessagesItem[] {
  const step = Math.max(1, Math.floor((untilMs - startedMs) / (turns.length + 1)));
  return turns.slice(0, count).map(({ role, message }, index) => ({
    role,
    message,
    time: startedMs + step * index,
    endTime: startedMs + step * (index + 1),
    secondsFromStart: (step * index) / 1000,
    duration: step,
  }));
}

// Made-up prices, USD per minute. Real costs have many decimals: so do these (never rounded).
const perMinuteUsd = { transport: 0.0085, transcriber: 0.0102, model: 0.0213, voice: 0.0366, vapi: 0.05 };

/** Fills the fields an ended call carries: timings, cost, costs[], costBreakdown, and for talked calls the artifact. */
export function endCall(call: VapiCall, endedReason: string, now: number, options: { deprecatedFields: boolean }): void {
  const at = new Date(now).toISOString();
  call.status = 'ended';
  call.endedReason = endedReason as Vapi.CallEndedReason;
  call.endedAt = at;
  call.updatedAt = at;
  const minutes = call.startedAt ? (now - Date.parse(call.startedAt)) / 60_000 : 0;
  const part = (type: keyof typeof perMinuteUsd) => minutes * perMinuteUsd[type];
  const costs: Vapi.CallCostsItem[] = [
    { type: 'transport', minutes, cost: part('transport') },
    { type: 'transcriber', transcriber: { provider: 'deepgram', model: 'nova-2' }, minutes, cost: part('transcriber') },
    { type: 'model', model: { provider: 'openai', model: 'gpt-4o' }, promptTokens: Math.round(minutes * 900), completionTokens: Math.round(minutes * 120), cost: part('model') },
    { type: 'voice', voice: { provider: '11labs', voiceId: 'sim-voice' }, characters: Math.round(minutes * 700), cost: part('voice') },
    { type: 'vapi', subType: 'normal', minutes, cost: part('vapi') },
  ];
  const cost = costs.reduce((sum, item) => sum + item.cost, 0);
  call.cost = cost;
  call.costs = costs;
  call.costBreakdown = {
    transport: part('transport'),
    stt: part('transcriber'),
    llm: part('model'),
    tts: part('voice'),
    vapi: part('vapi'),
    total: cost,
    llmPromptTokens: Math.round(minutes * 900),
    llmCompletionTokens: Math.round(minutes * 120),
    ttsCharacters: Math.round(minutes * 700),
  } satisfies Vapi.CostBreakdown;
  if (!call.startedAt) return;

  const turns = conversationOf(call, endedReason);
  const started = Date.parse(call.startedAt);
  const transcript = turns.map(({ role, message }) => `${role === 'bot' ? 'AI' : 'User'}: ${message}`).join('\n') + '\n';
  const base = `https://storage.simulator.invalid/${call.id}`;
  const summary =
    endedReason === 'voicemail' ? 'The assistant reached voicemail and left a message.' : `The assistant spoke with ${call.customer.name ?? 'there'}, who listened.`;
  call.artifact = {
    transcript,
    messages: artifactMessages(turns, started, now),
    recording: {
      stereoUrl: `${base}-stereo.wav`,
      mono: { combinedUrl: `${base}-mono.wav`, assistantUrl: `${base}-assistant.wav`, customerUrl: `${base}-customer.wav` },
    },
    ...(options.deprecatedFields ? { recordingUrl: `${base}-mono.wav`, stereoRecordingUrl: `${base}-stereo.wav` } : {}),
  };
  call.analysis = { summary, successEvaluation: endedReason === 'voicemail' || endedReason.includes('error') ? 'false' : 'true' };
  if (options.deprecatedFields) {
    call.transcript = transcript;
    call.recordingUrl = `${base}-mono.wav`;
    call.summary = summary;
  }
}
