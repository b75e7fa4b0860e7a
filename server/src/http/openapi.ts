import { credentialsSchema, logoutRequestSchema, refreshRequestSchema } from '@parley/contract';
import type { RequestHandler } from 'express';
import { z, type ZodType } from 'zod';
import { adminApi } from '../admin/admin-api';
import { usersApi } from '../users/users-api';
import { type ApiRoute, defineRoute } from './api-route';
import {
  healthSchema,
  problemSchema,
  publicUserSchema,
  readinessSchema,
  tokenPairSchema,
} from './api-schemas';

/**
 * Routes registered elsewhere (auth/, health-routes.ts) described as data. A test walks
 * express' router stack and fails when a route is missing here or documented but absent.
 */
const publicApi: ApiRoute[] = [
  defineRoute({
    operationId: 'register',
    method: 'post',
    path: '/auth/register',
    summary: 'Create an account',
    tags: ['auth'],
    security: 'none',
    body: credentialsSchema,
    success: { status: 201, description: 'Created', schema: publicUserSchema },
    errors: [400, 409, 413, 429],
  }),
  defineRoute({
    operationId: 'login',
    method: 'post',
    path: '/auth/login',
    summary: 'Exchange username and password for a token pair',
    tags: ['auth'],
    security: 'none',
    body: credentialsSchema,
    success: { status: 200, description: 'Tokens', schema: tokenPairSchema },
    errors: [400, 401, 403, 413, 429],
  }),
  defineRoute({
    operationId: 'refresh',
    method: 'post',
    path: '/auth/refresh',
    summary: 'Rotate a refresh token (a reused one revokes its whole family)',
    tags: ['auth'],
    security: 'none',
    body: refreshRequestSchema,
    success: { status: 200, description: 'Tokens', schema: tokenPairSchema },
    errors: [400, 401, 403, 413],
  }),
  defineRoute({
    operationId: 'logout',
    method: 'post',
    path: '/auth/logout',
    summary: 'End the session: revoke its refresh tokens and close its sockets',
    tags: ['auth'],
    security: 'none',
    body: logoutRequestSchema,
    success: { status: 204, description: 'Logged out' },
    errors: [400, 401, 413],
  }),
  defineRoute({
    operationId: 'me',
    method: 'get',
    path: '/auth/me',
    summary: 'The authenticated user',
    tags: ['auth'],
    security: 'bearer',
    success: { status: 200, description: 'The user', schema: publicUserSchema },
    errors: [401, 403],
  }),
  defineRoute({
    operationId: 'healthz',
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    security: 'none',
    success: { status: 200, description: 'Alive', schema: healthSchema },
    errors: [],
  }),
  defineRoute({
    operationId: 'readyz',
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Redis and Cassandra answer and the node is not draining',
    description: 'Answers 503 with the same body when not ready.',
    tags: ['operations'],
    security: 'none',
    success: { status: 200, description: 'Ready (or 503: not ready)', schema: readinessSchema },
    errors: [],
  }),
  defineRoute({
    operationId: 'metrics',
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this node',
    description:
      'Not public: served here only with METRICS_TOKEN set (bearer token, 401 otherwise); ' +
      'with METRICS_PORT it is served on that separate listener and this port answers 404.',
    tags: ['operations'],
    security: 'bearer',
    success: {
      status: 200,
      description: 'Prometheus text format',
      contentType: 'text/plain',
      schema: z.string(),
    },
    errors: [401, 404],
  }),
  defineRoute({
    operationId: 'openapi',
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tags: ['operations'],
    security: 'none',
    success: { status: 200, description: 'OpenAPI 3.1 document', schema: z.object({}) },
    errors: [],
  }),
];

/** Every REST operation of a node: the input of the OpenAPI document. */
export const apiRoutes: ApiRoute[] = [
  ...publicApi,
  ...(Object.values(usersApi) as ApiRoute[]),
  ...(Object.values(adminApi) as ApiRoute[]),
];

const statusText: Record<number, string> = {
  400: 'Malformed request; `issues` names each offending parameter',
  401: 'Missing or invalid bearer token',
  403: 'Authenticated but not allowed (admin role required, banned account, ...)',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  429: 'Too many attempts; see Retry-After',
  503: 'A backing service is unavailable; retry',
};

/** express `:name` segments become OpenAPI `{name}`. */
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function jsonSchema(schema: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return clean(out) as Record<string, unknown>;
}

/** Drops `$schema` (the document sets the dialect) and regexes that only restate `integer`. */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (!node || typeof node !== 'object') return node;
  const entries = Object.entries(node as Record<string, unknown>)
    .filter(([key]) => key !== '$schema')
    .filter(([key]) => !(key === 'pattern' && (node as { type?: unknown }).type === 'integer'))
    .map(([key, value]) => [key, clean(value)]);
  return Object.fromEntries(entries);
}

function parameters(route: ApiRoute) {
  const out: Record<string, unknown>[] = [];
  for (const [location, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const object = jsonSchema(schema, 'input') as {
      properties?: Record<string, Record<string, unknown>>;
      required?: string[];
    };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      const { description, ...rest } = property;
      out.push({
        name,
        in: location,
        required: location === 'path' || (object.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

function operation(route: ApiRoute) {
  const { success } = route;
  const responses: Record<string, unknown> = {
    [success.status]: {
      description: success.description,
      ...(success.schema
        ? {
            content: {
              [success.contentType ?? 'application/json']: {
                schema: jsonSchema(success.schema, 'output'),
              },
            },
          }
        : {}),
    },
  };
  if (route.operationId === 'readyz')
    responses['503'] = {
      description: 'Not ready',
      content: { 'application/json': { schema: jsonSchema(readinessSchema, 'output') } },
    };
  for (const status of route.errors) {
    responses[status] = {
      description: statusText[status] ?? 'Error',
      content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    ...(route.security === 'none' ? { security: [] } : {}),
    parameters: parameters(route),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.safeParse({}).success,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function buildOpenApiDocument(routes: ApiRoute[] = apiRoutes) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parley REST API',
      version: '0.1.0',
      description:
        'Authentication, health and the admin API of a Parley node. Real-time chat runs ' +
        'over Socket.IO (see the contract package). Errors are application/problem+json ' +
        'with a contract error code.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Access token from /auth/login; /admin needs the admin role',
        },
      },
      schemas: { Problem: jsonSchema(problemSchema, 'output') },
    },
  };
}

/** GET /openapi.json: built once per node, on first request. */
export function openApiHandler(): RequestHandler {
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  return (_req, res) => {
    document ??= buildOpenApiDocument();
    res.json(document);
  };
}
