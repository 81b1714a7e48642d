// One error format for every endpoint: {"error": {"code", "message", "details"}}, with the
// status that says what went wrong. Unknown errors become a 500 with no internals.
import type { ErrorRequestHandler, Express } from 'express';
import { ZodError } from '../zod.js';
import type { Logger } from '../log.js';

export type ErrorDetail = { path?: string; message: string; [key: string]: unknown };

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what = 'resource') => new HttpError(404, 'not_found', `${what} not found`);
export const conflict = (message: string) => new HttpError(409, 'state_conflict', message);
export const unauthorized = (message = 'missing or invalid credentials') =>
  new HttpError(401, 'unauthorized', message, [], { 'WWW-Authenticate': 'Bearer' });

/**
 * SQLSTATEs that SQL functions raise on purpose (class PD, see sql/README.md) and the
 * integrity errors Postgres raises itself, with the HTTP answer each deserves.
 */
export const sqlStates: Record<string, { status: number; code: string; message?: string }> = {
  PD404: { status: 404, code: 'not_found' },
  PD409: { status: 409, code: 'state_conflict' },
  PD422: { status: 422, code: 'business_rule' },
  PD400: { status: 400, code: 'validation_error' },
  '23505': { status: 409, code: 'conflict', message: 'a row with the same key already exists' },
  '23503': { status: 422, code: 'reference_not_found', message: 'a referenced row does not exist' },
  '23514': { status: 400, code: 'constraint_violation', message: 'a value is out of its allowed range' },
  '22P02': { status: 400, code: 'validation_error', message: 'a value has the wrong format' },
  '22007': { status: 400, code: 'validation_error', message: 'a date or time has the wrong format' },
  '22008': { status: 400, code: 'validation_error', message: 'a date or time is out of range' },
};

type PgLikeError = { code?: unknown; message?: unknown; constraint?: unknown; column?: unknown; cause?: unknown };

/** The Postgres error inside whatever wrapped it (slonik wraps pg's errors). */
export function postgresErrorOf(error: unknown): { code: string; message: string; constraint?: string; column?: string } | undefined {
  for (let current = error as PgLikeError | undefined, depth = 0; current && depth < 5; depth++) {
    if (typeof current.code === 'string' && /^[0-9A-Z]{5}$/.test(current.code)) {
      return {
        code: current.code,
        message: String(current.message ?? ''),
        constraint: typeof current.constraint === 'string' ? current.constraint : undefined,
        column: typeof current.column === 'string' ? current.column : undefined,
      };
    }
    current = current.cause as PgLikeError | undefined;
  }
  return undefined;
}

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
}

type BodyParserError = { type?: string; status?: number; expose?: boolean; message?: string };

export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof ZodError) return new HttpError(400, 'validation_error', 'the request is not valid', zodDetails(error));
  const parserError = error as BodyParserError;
  switch (parserError?.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'invalid_json', `the body is not valid JSON: ${parserError.message}`);
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'the body is larger than this endpoint accepts');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new HttpError(415, 'unsupported_media_type', parserError.message ?? 'unsupported encoding');
  }
  const pgError = postgresErrorOf(error);
  const mapped = pgError && sqlStates[pgError.code];
  if (pgError && mapped) {
    // A PD400 raised with `column` names the field it is about (e.g. calling_allowed's phone).
    const details = pgError.column
      ? [{ path: pgError.column, message: pgError.message }]
      : pgError.constraint ? [{ message: pgError.message, constraint: pgError.constraint }] : [];
    return new HttpError(mapped.status, mapped.code, mapped.message ?? pgError.message, details);
  }
  return new HttpError(500, 'internal_error', 'an unexpected error occurred');
}

export function installNotFound(app: Express): void {
  app.use((request, _response, next) => next(new HttpError(404, 'not_found', `no route for ${request.method} ${request.path}`)));
}

export function installErrorHandler(app: Express, log: Logger): void {
  const handler: ErrorRequestHandler = (error, request, response, _next) => {
    const httpError = toHttpError(error);
    if (httpError.status >= 500) log.error('http.error', { method: request.method, path: request.path, error });
    if (response.headersSent) return response.destroy();
    response
      .status(httpError.status)
      .set(httpError.headers)
      .json({ error: { code: httpError.code, message: httpError.message, details: httpError.details } });
  };
  app.use(handler);
}
