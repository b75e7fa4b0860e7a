/** Every error the server reports, on the socket and over REST. */
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
  /** A plaintext body (or an edit) in an end-to-end encrypted room. */
  ROOM_IS_E2EE: 'ROOM_IS_E2EE',
  /** An MLS message kind in a room that is not end-to-end encrypted. */
  ROOM_NOT_E2EE: 'ROOM_NOT_E2EE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one table that maps error codes to HTTP statuses for REST. */
export const httpStatusOf: Record<ErrorCode, number> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  VALIDATION: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  ROOM_IS_E2EE: 400,
  ROOM_NOT_E2EE: 400,
};

/** Whether a client may retry the same request unchanged and hope for success. */
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

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** Milliseconds to wait before retrying, for RATE_LIMITED. */
  retryAfterMs?: number;
  /** Offending fields, for VALIDATION: at most `limits.errorIssuesMax`, each message capped. */
  issues?: { path: string; message: string }[];
}
