import { httpStatusOf } from '@parley/contract';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, toErrorBody } from '../errors';
import type { Logger } from '../observability/logger';

/** Errors leave as application/problem+json carrying the contract's error code. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const translated = translateExpressError(err);
    const { body, internal, backend } = toErrorBody(translated);
    // req.log (pino-http) carries the request id; a request that never reached it has none.
    if (internal) (req.log ?? logger).error({ err, path: req.path }, 'unhandled REST error');
    else if (backend)
      (req.log ?? logger).warn(
        { err: (err as Error).message, path: req.path },
        'backing service unavailable',
      );
    const status = httpStatusOf[body.code];
    if (body.retryAfterMs !== undefined)
      res.setHeader('Retry-After', Math.ceil(body.retryAfterMs / 1000));
    res
      .status(status)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: body.code,
          status,
          detail: body.message,
          ...body,
        }),
      );
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};

/** body-parser errors carry a `type`; turn them into client errors instead of 500s. */
function translateExpressError(err: unknown): unknown {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return err;
  // The router fails to decode a malformed %-escape in a path parameter with a URIError.
  if (err instanceof URIError)
    return new AppError('VALIDATION', 'the URL path has a malformed percent-encoding');
  const type = (err as { type?: unknown }).type;
  if (type === 'entity.too.large')
    return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (type === 'entity.parse.failed')
    return new AppError('VALIDATION', 'request body is not valid JSON');
  if (type === 'encoding.unsupported') {
    return new AppError(
      'UNSUPPORTED_MEDIA_TYPE',
      'compressed request bodies are not accepted; send plain JSON (no Content-Encoding)',
    );
  }
  if (type === 'charset.unsupported')
    return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body charset; send UTF-8 JSON');
  // Any other error body-parser flags as a client error (its status is 4xx) stays one.
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return new AppError('VALIDATION', 'the request body could not be read');
  return err;
}
