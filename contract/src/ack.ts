import type { ErrorBody } from './errors';

/** The envelope of every acknowledgement, on every request event. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckCallback<T> = (ack: Ack<T>) => void;
