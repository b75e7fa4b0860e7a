import type {
  ErrorBody,
  ErrorCode as ContractErrorCode,
  limits as contractLimits,
} from '@parley/contract';

// The SDK takes only types from the contract. Its runtime values live next to zod schemas,
// and importing any of them would bundle zod (~750 KB) into every browser app. The few
// constants we need are restated here; the types below make the compiler reject any drift
// in names or limits, and a unit test compares the values.

/** Every error code the server reports (the contract's `ErrorCode`). */
export const ErrorCode = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  RATE_LIMITED: 'RATE_LIMITED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  ROOM_IS_E2EE: 'ROOM_IS_E2EE',
  ROOM_NOT_E2EE: 'ROOM_NOT_E2EE',
} as const satisfies { [K in ContractErrorCode]: K };
export type ErrorCode = ContractErrorCode;

/** Used only when an error body lacks `retryable`; the server always sends it. */
export const retryableByDefault: Record<ErrorCode, boolean> = {
  UNAUTHORIZED: false,
  FORBIDDEN: false,
  VALIDATION: false,
  NOT_FOUND: false,
  CONFLICT: false,
  RATE_LIMITED: true,
  PAYLOAD_TOO_LARGE: false,
  UNSUPPORTED_MEDIA_TYPE: false,
  UNAVAILABLE: true,
  INTERNAL: true,
  ROOM_IS_E2EE: false,
  ROOM_NOT_E2EE: false,
};

type Limits = typeof contractLimits;
/** The contract limits the SDK enforces or uses. */
export const limits: Pick<
  Limits,
  'messageBodyMaxChars' | 'historyPageMax' | 'ackBatchMaxRooms' | 'e2eeBodyMaxChars'
> = {
  messageBodyMaxChars: 4000,
  e2eeBodyMaxChars: 60_000,
  historyPageMax: 100,
  ackBatchMaxRooms: 100,
};

/**
 * Codes the SDK raises itself, for failures that never reached a server answer.
 * TIMEOUT: no ack within the per-attempt timeout. DISCONNECTED: no live connection.
 * CLOSED: the client was closed. NETWORK: a REST call could not reach any server.
 * DEADLINE_EXCEEDED: a send's overall deadline passed before it was acked.
 */
export const ClientErrorCode = {
  TIMEOUT: 'TIMEOUT',
  DISCONNECTED: 'DISCONNECTED',
  CLOSED: 'CLOSED',
  NETWORK: 'NETWORK',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export type ParleyErrorCode = ErrorCode | ClientErrorCode;

const retryableClientCodes: Record<ClientErrorCode, boolean> = {
  TIMEOUT: true,
  DISCONNECTED: true,
  CLOSED: false,
  NETWORK: true,
  DEADLINE_EXCEEDED: false,
};

export interface ParleyErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  issues?: { path: string; message: string }[];
  cause?: unknown;
  send?: SendOutcome;
}

/** What a failed send knows about its own fate; set on every error a send rejects with. */
export interface SendOutcome {
  /** The send's idempotency key: resend with it to get the original back if it was stored. */
  clientMsgId: string;
  /** `message:send` emits that reached a live connection. */
  attempts: number;
  /**
   * `true`: at least one attempt went out and its outcome is unknown (no ack, a lost
   * connection, or a server error that does not rule out a write), so the message may be
   * stored and may still show up in the room's feed. `false`: it is certainly not stored.
   */
  maybeStored: boolean;
}

/** Every error the SDK rejects with or reports: a contract code plus the SDK's own few. */
export class ParleyError extends Error {
  override name = 'ParleyError';
  readonly code: ParleyErrorCode;
  /** Whether the same request, sent again unchanged, may succeed. */
  readonly retryable: boolean;
  /** For RATE_LIMITED: how long the server asked us to wait. */
  readonly retryAfterMs: number | undefined;
  /** For VALIDATION: the offending fields. */
  readonly issues: { path: string; message: string }[] | undefined;
  /** Set on every error a send rejects with (see SendOutcome). */
  readonly clientMsgId: string | undefined;
  /** Set on every error a send rejects with (see SendOutcome). */
  readonly attempts: number | undefined;
  /**
   * Set on every error a send rejects with. `true`: the message may be stored (and may still
   * show up in the room's feed); `false`: it certainly is not.
   */
  readonly maybeStored: boolean | undefined;

  constructor(code: ParleyErrorCode, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? isRetryableCode(code);
    this.retryAfterMs = options.retryAfterMs;
    this.issues = options.issues;
    this.clientMsgId = options.send?.clientMsgId;
    this.attempts = options.send?.attempts;
    this.maybeStored = options.send?.maybeStored;
  }

  /** The same error, marked with a send's outcome. */
  withSendOutcome(send: SendOutcome): ParleyError {
    return new ParleyError(this.code, this.message, {
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      issues: this.issues,
      cause: this.cause,
      send,
    });
  }

  /** Builds the error from the `error` half of an ack envelope or a REST problem body. */
  static fromBody(body: ErrorBody): ParleyError {
    return new ParleyError(body.code, body.message, {
      retryable: body.retryable,
      retryAfterMs: body.retryAfterMs,
      issues: body.issues,
    });
  }
}

export function isParleyError(value: unknown): value is ParleyError {
  return value instanceof ParleyError;
}

export function isServerErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ErrorCode, code);
}

function isRetryableCode(code: ParleyErrorCode): boolean {
  return isServerErrorCode(code) ? retryableByDefault[code] : retryableClientCodes[code];
}

/** Reads an unknown value (ack error, connect_error data, REST body) as a ParleyError. */
export function toParleyError(value: unknown, fallback: ParleyErrorCode = 'INTERNAL'): ParleyError {
  if (value instanceof ParleyError) return value;
  if (isErrorBodyLike(value)) {
    return new ParleyError(value.code, value.message ?? value.code, {
      retryable: typeof value.retryable === 'boolean' ? value.retryable : undefined,
      retryAfterMs: typeof value.retryAfterMs === 'number' ? value.retryAfterMs : undefined,
      issues: Array.isArray(value.issues) ? value.issues : undefined,
    });
  }
  const message = value instanceof Error ? value.message : String(value);
  return new ParleyError(fallback, message, { cause: value });
}

interface ErrorBodyLike {
  code: ErrorCode;
  message?: string;
  retryable?: unknown;
  retryAfterMs?: unknown;
  issues?: { path: string; message: string }[];
}

function isErrorBodyLike(value: unknown): value is ErrorBodyLike {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return isServerErrorCode(record.code);
}
