/**
 * A store write that certainly did not happen: the database refused it before any
 * replica could apply it. Every other failure of a write may have been applied (now, or
 * later by batchlog replay or hints) and must be treated as "maybe applied".
 */
export class WriteNotAppliedError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'WriteNotAppliedError';
  }
}
