import type { Request, Response, Router } from 'express';
import type { ZodError, ZodType, output as ZodOutput } from 'zod';
import { AppError } from '../errors';

/**
 * One REST operation described as data: the same object registers the express route
 * (with its validation) and becomes an OpenAPI operation, so the document cannot drift
 * from what the server does.
 */
export interface ApiRoute<
  P extends ZodType = ZodType,
  Q extends ZodType = ZodType,
  B extends ZodType = ZodType,
> {
  operationId: string;
  method: 'get' | 'post' | 'delete';
  /** Full express path, e.g. `/admin/rooms/:roomId`. */
  path: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `admin`: bearer token of a user with the admin role. */
  security: 'none' | 'bearer' | 'admin';
  params?: P;
  query?: Q;
  body?: B;
  /** The success response first; error responses are added from `errors`. */
  success: { status: number; description: string; schema?: ZodType; contentType?: string };
  /** Error statuses this operation may answer with (problem+json). */
  errors: number[];
}

export function defineRoute<P extends ZodType, Q extends ZodType, B extends ZodType>(
  route: ApiRoute<P, Q, B>,
): ApiRoute<P, Q, B> {
  return route;
}

type Parsed<S> = ZodOutput<NonNullable<S>>;

export interface RouteInput<R extends ApiRoute> {
  params: Parsed<R['params']>;
  query: Parsed<R['query']>;
  body: Parsed<R['body']>;
  req: Request;
  res: Response;
}

/** Returns the success body, or undefined when the handler wrote the response itself. */
export type RouteHandler<R extends ApiRoute> = (input: RouteInput<R>) => Promise<unknown>;

/**
 * Registers `route` on `router`, which is mounted at `mountPath`. Path parameters,
 * query and body are validated before the handler runs; a bad one is a 400 VALIDATION
 * that names the parameter.
 */
export function mountRoute<R extends ApiRoute>(
  router: Router,
  mountPath: string,
  route: R,
  handler: RouteHandler<R>,
) {
  if (!route.path.startsWith(mountPath)) throw new Error(`${route.path} is not under ${mountPath}`);
  const localPath = route.path.slice(mountPath.length) || '/';
  router[route.method](localPath, async (req, res) => {
    const input = {
      params: parseInput('path parameter', route.params, req.params),
      query: parseInput('query parameter', route.query, req.query),
      body: parseInput('body field', route.body, req.body ?? {}),
      req,
      res,
    } as RouteInput<R>;
    const result = await handler(input);
    if (result !== undefined) res.status(route.success.status).json(result);
    else if (!res.headersSent) res.status(route.success.status).end();
  });
}

function parseInput(where: string, schema: ZodType | undefined, value: unknown): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw namedValidationError(where, result.error);
}

/** Like validationError, but an unknown key is reported under its own name, not the object. */
export function namedValidationError(where: string, error: ZodError): AppError {
  const issues = error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ path: key, message: `unknown ${where}` }));
    return [{ path: issue.path.join('.') || '(all)', message: issue.message }];
  });
  const summary = issues.map((i) => `${where} "${i.path}": ${i.message}`).join('; ');
  return new AppError('VALIDATION', `invalid ${summary}`, { issues });
}
