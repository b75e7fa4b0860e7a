import { type ErrorBody, type ErrorCode, retryableByDefault } from '@parley/contract';
import type { ZodError, ZodType, infer as ZodInfer } from 'zod';

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

export function validationError(error: ZodError): AppError {
  const issues = error.issues.map((i) => ({
    path: i.path.join('.') || '(payload)',
    message: i.message,
  }));
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new AppError('VALIDATION', `invalid payload: ${summary}`, { issues });
}

/** Turns anything thrown into a body fit for a client; unknown errors become INTERNAL. */
export function toErrorBody(err: unknown): { body: ErrorBody; internal: boolean } {
  if (err instanceof AppError) {
    const { retryable, ...extra } = err.extra;
    return {
      body: {
        code: err.code,
        message: err.message,
        retryable: retryable ?? retryableByDefault[err.code],
        ...extra,
      },
      internal: false,
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
