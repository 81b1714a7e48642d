// Reading a VAPI webhook body: {"message": {"type", "timestamp", "call": {...}, ...}}. Nothing
// here trusts the shape: every field may be missing or of another type.
import { instantOf } from '../vapi/callDetails.js';

export type WebhookMessage = {
  type: string | null;
  status: string | null;
  eventAt: string | null;
  vapiCallId: string | null;
  externalId: string | null;
  message: Record<string, unknown>;
};

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

export function readWebhookMessage(body: unknown): WebhookMessage {
  const message = record(record(body).message);
  const call = record(message.call);
  return {
    type: text(message.type),
    status: text(message.status),
    eventAt: instantOf(message.timestamp),
    vapiCallId: text(call.id),
    externalId: text(record(call.customer).externalId),
    message,
  };
}
