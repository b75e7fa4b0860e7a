import { type ErrorBody, type ErrorCode, limits, retryableByDefault } from '@parley/contract';
import type { ZodError, ZodType, infer as ZodInfer } from 'zod';
import { isBackendUnavailable } from './storage/backend-errors';

/** An error meant for the client: its code and message are safe to send as they are. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: Pick<ErrorBody, 'retryAfterMs' | 'issues'> & { retryable?: boolean } = {},
  ) {
    super(message);
  }
}

/**
 * A validation error summarizes: at most `limits.errorIssuesMax` fields, each message cut.
 * A hostile payload (a 60 KB binary where an object is expected: one issue per byte index)
 * must not turn into an answer many times its own size.
 */
export function validationError(error: ZodError): AppError {
  const all = error.issues;
  const issues = all.slice(0, limits.errorIssuesMax).map((i) => ({
    path: clip(i.path.map(String).join('.') || '(payload)', 80),
    message: clip(i.message, 120),
  }));
  const summary = issues
    .slice(0, 3)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  const more = all.length > 3 ? ` (and ${all.length - 3} more)` : '';
  return new AppError('VALIDATION', `invalid payload: ${summary}${more}`, { issues });
}

function clip(text: string, max: number) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Serialized size of an error body, as Socket.IO would send it (JSON, UTF-8). */
const byteSize = (body: ErrorBody) => Buffer.byteLength(JSON.stringify(body), 'utf8');

/** Keeps every error body under `limits.errorAckMaxBytes`, whatever text went into it. */
export function capErrorBody(body: ErrorBody): ErrorBody {
  const capped: ErrorBody = { ...body, message: clip(body.message, limits.errorMessageMaxChars) };
  if (body.issues) capped.issues = body.issues.slice(0, limits.errorIssuesMax);
  // Multi-byte text can still be too big: drop issues first, then shorten the message.
  while (byteSize(capped) > limits.errorAckMaxBytes && capped.issues?.length) {
    capped.issues = capped.issues.slice(0, -1);
  }
  if (byteSize(capped) > limits.errorAckMaxBytes) capped.message = clip(capped.message, 60);
  return capped;
}

/**
 * Turns anything thrown into a body fit for a client: a backing service that is down or slow
 * becomes UNAVAILABLE (retryable), anything else unknown INTERNAL.
 */
export function toErrorBody(err: unknown): {
  body: ErrorBody;
  /** A bug or an unknown failure: log it as an error. */
  internal: boolean;
  /** Cassandra or Redis is down or slow: worth a warning, the client retries. */
  backend?: boolean;
} {
  if (err instanceof AppError) {
    const { retryable, ...extra } = err.extra;
    return {
      body: capErrorBody({
        code: err.code,
        message: err.message,
        retryable: retryable ?? retryableByDefault[err.code],
        ...extra,
      }),
      internal: false,
    };
  }
  if (isBackendUnavailable(err)) {
    return {
      body: {
        code: 'UNAVAILABLE',
        message: 'storage is temporarily unavailable; retry',
        retryable: true,
      },
      internal: false,
      backend: true,
    };
  }
  return {
    body: { code: 'INTERNAL', message: 'internal error', retryable: true },
    internal: true,
  };
}

/** Validates untrusted input against a contract schema, or throws VALIDATION naming each field. */
export function parseOrThrow<S extends ZodType>(schema: S, input: unknown): ZodInfer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationError(result.error);
  return result.data;
}
