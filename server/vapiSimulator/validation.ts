// POST /call and GET /call validation with VAPI's NestJS-style answers: every problem becomes one
// string in `message`, unknown properties included ("property X should not exist").

import type { Vapi } from '@vapi-ai/server-sdk';

/** A create body that passed validation: VAPI's CreateCallDto with the parts the simulator plays. */
export type CreateCallBody = Omit<Vapi.CreateCallDto, 'customer'> & { customer: Vapi.CreateCustomerDto & { number: string } };
export type AssistantOverrides = Vapi.AssistantOverrides;

// Every property of CreateCallDTO and CreateCustomerDTO in VAPI's OpenAPI (2026-08-19): all are
// accepted; the simulator reads the ones it plays and keeps the rest on the Call untouched.
const topLevelFields = new Set<keyof Vapi.CreateCallDto>([
  'assistantVersion', 'transport', 'customers', 'name', 'schedulePlan', 'assistantId', 'assistant', 'assistantOverrides',
  'squadId', 'squad', 'squadOverrides', 'workflowId', 'workflow', 'workflowOverrides', 'phoneNumberId', 'phoneNumber',
  'customerId', 'customer',
]) as Set<string>;
const customerFields = new Set<keyof Vapi.CreateCustomerDto>([
  'numberE164CheckEnabled', 'extension', 'assistantOverrides', 'squadOverrides', 'number', 'sipUri', 'name', 'email', 'externalId',
]) as Set<string>;
const e164 = /^\+[1-9]\d{6,14}$/;

type Validated<T> = { ok: true; value: T } | { ok: false; messages: string[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function validateCreateCall(body: unknown): Validated<CreateCallBody> {
  if (!isObject(body)) return { ok: false, messages: ['body must be an object'] };
  const messages: string[] = [];
  for (const key of Object.keys(body)) {
    if (!topLevelFields.has(key)) messages.push(`property ${key} should not exist`);
  }

  if (body.assistantId !== undefined && (typeof body.assistantId !== 'string' || body.assistantId === '')) {
    messages.push('assistantId must be a string');
  }
  if (body.assistant !== undefined && !isObject(body.assistant)) messages.push('assistant must be an object');
  if (['assistantId', 'assistant', 'squadId', 'squad', 'workflowId', 'workflow'].every((key) => body[key] === undefined)) {
    messages.push("Couldn't Get Assistant. Need Either `assistant`, `assistantId`, `squad`, Or `squadId`.");
  }
  if (body.phoneNumber === undefined && (typeof body.phoneNumberId !== 'string' || body.phoneNumberId === '')) {
    messages.push('phoneNumberId must be a string');
  }
  if (body.customers !== undefined && body.customer === undefined) messages.push('customers: batch calls are not simulated (give one customer)');

  if (!isObject(body.customer)) {
    messages.push('customer must be an object');
  } else {
    const customer = body.customer;
    for (const key of Object.keys(customer)) {
      if (!customerFields.has(key)) messages.push(`customer.property ${key} should not exist`);
    }
    if (typeof customer.number !== 'string') messages.push('customer.number must be a string');
    else if (customer.numberE164CheckEnabled !== false && !e164.test(customer.number)) {
      messages.push('customer.number must be a valid phone number in the E.164 format.');
    }
    checkShortString(customer.name, 'customer.name', messages);
    checkShortString(customer.externalId, 'customer.externalId', messages);
  }
  checkShortString(body.name, 'name', messages);

  if (body.assistantOverrides !== undefined) checkOverrides(body.assistantOverrides, messages);
  return messages.length > 0 ? { ok: false, messages } : { ok: true, value: body as CreateCallBody };
}

function checkShortString(value: unknown, path: string, messages: string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string') messages.push(`${path} must be a string`);
  else if (value.length > 40) messages.push(`${path} must be shorter than or equal to 40 characters`);
}

function checkOverrides(overrides: unknown, messages: string[]): void {
  if (!isObject(overrides)) {
    messages.push('assistantOverrides must be an object');
    return;
  }
  if (overrides.variableValues !== undefined && !isObject(overrides.variableValues)) {
    messages.push('assistantOverrides.variableValues must be an object');
  }
  if (overrides.voicemailMessage !== undefined && (typeof overrides.voicemailMessage !== 'string' || overrides.voicemailMessage.length > 1000)) {
    messages.push('assistantOverrides.voicemailMessage must be a string of at most 1000 characters');
  }
  if (overrides.serverMessages !== undefined) {
    if (!Array.isArray(overrides.serverMessages) || overrides.serverMessages.some((m) => typeof m !== 'string')) {
      messages.push('assistantOverrides.serverMessages must be an array of strings');
    }
  }
  const server = overrides.server;
  if (server === undefined) return;
  if (!isObject(server)) {
    messages.push('assistantOverrides.server must be an object');
    return;
  }
  if (typeof server.url !== 'string' || !/^https?:\/\/\S+$/.test(server.url)) {
    messages.push('assistantOverrides.server.url must be a URL address');
  }
  if (server.credentialId !== undefined && (typeof server.credentialId !== 'string' || server.credentialId === '')) {
    messages.push('assistantOverrides.server.credentialId must be a string');
  }
  if (server.headers !== undefined) {
    if (!isObject(server.headers) || Object.values(server.headers).some((v) => typeof v !== 'string')) {
      messages.push('assistantOverrides.server.headers must be an object of strings');
    }
  }
  if (server.timeoutSeconds !== undefined) {
    const seconds = server.timeoutSeconds;
    if (typeof seconds !== 'number' || !(seconds >= 1 && seconds <= 300)) {
      messages.push('assistantOverrides.server.timeoutSeconds must be a number between 1 and 300');
    }
  }
}

export type ListCallsQuery = {
  id?: string;
  assistantId?: string;
  phoneNumberId?: string;
  limit: number;
  createdAt: DateBounds;
  updatedAt: DateBounds;
};
export type DateBounds = { gt?: number; ge?: number; lt?: number; le?: number };

const listFields = new Set(['id', 'assistantId', 'phoneNumberId', 'limit']);
const bounds = ['Gt', 'Ge', 'Lt', 'Le'] as const;
for (const field of ['createdAt', 'updatedAt']) for (const bound of bounds) listFields.add(`${field}${bound}`);

export function validateListCalls(params: URLSearchParams): Validated<ListCallsQuery> {
  const messages: string[] = [];
  const query: ListCallsQuery = { limit: 100, createdAt: {}, updatedAt: {} };
  for (const [key, value] of params) {
    if (!listFields.has(key)) {
      messages.push(`property ${key} should not exist`);
      continue;
    }
    if (key === 'limit') {
      const limit = Number(value);
      if (!Number.isFinite(limit) || value.trim() === '') messages.push('limit must be a number');
      else if (limit > 1000) messages.push('limit must not be greater than 1000');
      else if (limit < 0) messages.push('limit must not be less than 0');
      else query.limit = Math.floor(limit);
    } else if (key === 'id' || key === 'assistantId' || key === 'phoneNumberId') {
      query[key] = value;
    } else {
      const instant = Date.parse(value);
      if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(instant)) {
        messages.push(`${key} must be a valid ISO 8601 date string`);
        continue;
      }
      const field = key.startsWith('createdAt') ? 'createdAt' : 'updatedAt';
      const bound = key.slice(field.length).toLowerCase() as keyof DateBounds;
      query[field][bound] = instant;
    }
  }
  return messages.length > 0 ? { ok: false, messages } : { ok: true, value: query };
}

export function withinBounds(instant: number, range: DateBounds): boolean {
  return (
    (range.gt === undefined || instant > range.gt) &&
    (range.ge === undefined || instant >= range.ge) &&
    (range.lt === undefined || instant < range.lt) &&
    (range.le === undefined || instant <= range.le)
  );
}
