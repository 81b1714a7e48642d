// One way to declare a route: its zod schemas validate the request (400 with details), document
// it (openapi.ts), and type the handler's input. A JSON route refuses a body of another content
// type with 415 instead of silently ignoring it.
import type { Request, Response, Router } from 'express';
import { z } from '../zod.js';
import { HttpError } from '../http/errors.js';
import { registerRoute, type RouteSpec } from './openapi.js';

/** What a handler answers; `undefined` when it wrote the response itself (e.g. a CSV stream). */
export type Reply = { status?: number; body?: unknown } | undefined;

type Spec<P, Q, B> = Omit<RouteSpec, 'params' | 'query' | 'body'> & { params?: P; query?: Q; body?: B };

type Input<P, Q, B> = {
  params: P extends z.ZodType ? z.output<P> : Record<string, never>;
  query: Q extends z.ZodType ? z.output<Q> : Record<string, never>;
  body: B extends z.ZodType ? z.output<B> : undefined;
};

/** A body was sent (not just `Content-Length: 0`) with a content type other than the route's. */
function hasBodyOfOtherType(request: Request, contentType: string): boolean {
  const length = Number(request.headers['content-length'] ?? 0);
  const sent = length > 0 || request.headers['transfer-encoding'] !== undefined;
  return sent && request.is(contentType) === false;
}

/** Installs a route on the /v1 router; `spec.path` is the full path ('/v1/campaigns/:id'). */
export function route<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  router: Router,
  spec: Spec<P, Q, B>,
  handler: (input: Input<P, Q, B>, request: Request, response: Response) => Promise<Reply>,
): void {
  registerRoute(spec as RouteSpec);
  const contentType = spec.bodyContentType ?? 'application/json';
  // The router is mounted at /v1 (index.ts); the document shows full paths.
  router[spec.method](spec.path.replace(/^\/v1(?=\/)/, ''), async (request, response, next) => {
    try {
      if (contentType === 'application/json' && hasBodyOfOtherType(request, contentType)) {
        throw new HttpError(415, 'unsupported_media_type', `send the body as application/json (got ${request.headers['content-type'] ?? 'no content type'})`);
      }
      const input = {
        params: spec.params ? spec.params.parse(request.params) : {},
        query: spec.query ? spec.query.parse(request.query) : {},
        body: spec.body ? spec.body.parse(request.body ?? {}) : undefined,
      } as Input<P, Q, B>;
      const reply = await handler(input, request, response);
      if (reply && !response.headersSent) {
        if (reply.body === undefined) response.status(reply.status ?? 204).end();
        else response.status(reply.status ?? 200).json(reply.body);
      }
    } catch (error) {
      next(error);
    }
  });
}
