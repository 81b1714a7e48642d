// The OpenAPI 3.1 document, built from the same zod (v4) schemas the routes validate with: each
// route module calls registerRoute() for every route it installs, so the document cannot drift
// from the code (a test compares it with the routes Express actually has).
//
// Usage (a route module):
//   registerRoute({ method: 'post', path: '/v1/campaigns/:id/imports', summary: 'Import contacts from CSV',
//     params: z.object({ id: z.uuid() }), body: z.string(), bodyContentType: 'text/csv',
//     responses: { 201: { description: 'the import report', schema: importReport } } });
import { z } from '../zod.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type ResponseSpec = {
  description: string;
  /** The body's schema; omit for an empty body (e.g. 204). */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
};

export type RouteSpec = {
  method: HttpMethod;
  /** Express-style path, e.g. '/v1/campaigns/:id' (documented as '/v1/campaigns/{id}'). */
  path: string;
  summary: string;
  description?: string;
  /** Groups routes on /docs; defaults to the first path segment after /v1. */
  tag?: string;
  /** Which credential the route takes; defaults to 'apiKey'. */
  auth?: 'apiKey' | 'admin' | 'none';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Defaults to application/json. */
  bodyContentType?: string;
  /** More content types the body may come as (e.g. multipart/form-data beside text/csv). */
  moreBodies?: Record<string, z.ZodType>;
  /**
   * Success answers by status; the error answers every route of its kind can give (400, 401,
   * 403, 404, 413, 415, 429, 500) are added automatically.
   */
  responses: Record<number, ResponseSpec>;
  /** Error statuses the handler itself answers beyond those (409, 413, 415, 422…). */
  errors?: number[];
};

const routes = new Map<string, RouteSpec>();

/** Adds (or replaces: modules may be installed into several apps) a route of the document. */
export function registerRoute(spec: RouteSpec): RouteSpec {
  routes.set(`${spec.method} ${spec.path}`, spec);
  return spec;
}

export function registeredRoutes(): RouteSpec[] {
  return [...routes.values()];
}

/** The one error format (server/http/errors.ts). */
export const errorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'machine-readable, e.g. validation_error, not_found, state_conflict' }),
      message: z.string(),
      details: z.array(z.object({ path: z.string().optional(), message: z.string() }).loose()),
    }),
  });

const errorDescriptions: Record<number, string> = {
  400: 'validation_error: the request is not valid (one detail per problem)',
  401: 'unauthorized: missing or invalid credentials',
  404: 'not_found: no such resource for this tenant',
  409: 'state_conflict: not allowed in the current state',
  413: 'payload_too_large',
  403: 'admin_disabled: the server has no ADMIN_TOKEN',
  415: 'unsupported_media_type: send the body in a content type the route takes',
  422: 'business_rule: refused by a business rule',
  429: 'rate_limited: too many requests',
  500: 'internal_error',
};

const jsonSchemaOptions = { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' } as const;

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, jsonSchemaOptions) as Record<string, unknown>;
  return rest;
}

export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');

function parametersOf(where: 'path' | 'query', schema: z.ZodObject | undefined) {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: propertySchema,
    };
  });
}

function content(schema: z.ZodType | undefined, contentType = 'application/json') {
  return schema ? { content: { [contentType]: { schema: jsonSchema(schema) } } } : {};
}

function bodyContent(spec: RouteSpec): Record<string, unknown> {
  const bodies: Record<string, z.ZodType> = { [spec.bodyContentType ?? 'application/json']: spec.body!, ...spec.moreBodies };
  return Object.fromEntries(Object.entries(bodies).map(([type, schema]) => [type, { schema: jsonSchema(schema) }]));
}

/** e.g. post /v1/campaigns/:id/start → postCampaignsIdStart (unique: one per method and path). */
function operationIdOf(spec: RouteSpec): string {
  const words = spec.path.replace(/^\/v1\//, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return spec.method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function operationOf(spec: RouteSpec) {
  const auth = spec.auth ?? 'apiKey';
  const errors = new Set<number>([500, ...(spec.errors ?? [])]);
  if (auth !== 'none') errors.add(401);
  if (auth === 'admin') errors.add(403); // the server has no ADMIN_TOKEN
  if (auth === 'apiKey') errors.add(429); // the per-key rate limit (rateLimit.ts)
  if (spec.params) errors.add(404);
  if (spec.params || spec.query || spec.body) errors.add(400);
  if (spec.body) {
    errors.add(413);
    if ((spec.bodyContentType ?? 'application/json') === 'application/json') errors.add(415);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(spec.responses)) {
    responses[status] = { description: response.description, ...content(response.schema, response.contentType) };
  }
  for (const status of errors) {
    responses[String(status)] ??= { description: errorDescriptions[status], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  return {
    operationId: operationIdOf(spec),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag ?? spec.path.split('/')[2] ?? 'other'],
    security: auth === 'none' ? [] : [{ [auth === 'admin' ? 'adminToken' : 'apiKey']: [] }],
    parameters: [...parametersOf('path', spec.params), ...parametersOf('query', spec.query)],
    ...(spec.body ? { requestBody: { required: true, content: bodyContent(spec) } } : {}),
    responses,
  };
}

/** The whole document, as served at GET /openapi.json. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const sorted = registeredRoutes().sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const spec of sorted) {
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operationOf(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'pgdialer API',
      version: '1',
      description:
        'Outbound AI phone-call campaigns on VAPI. Send `Authorization: Bearer <api key>`; ' +
        'every error is `{"error": {"code", "message", "details"}}`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBody) },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'a tenant API key (pgd_…)' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'the server ADMIN_TOKEN' },
      },
    },
  };
}
