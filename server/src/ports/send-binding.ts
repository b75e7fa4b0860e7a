import { createHash } from 'node:crypto';

/**
 * The identity of one send, decided once and reused by every retry of the same
 * (room, sender, clientMsgId): the retried write is then an idempotent rewrite of the
 * same row with the same values, whatever happened to the earlier attempts.
 */
export interface SendBinding {
  seq: number;
  id: string;
  createdAt: string;
  /** Hash of the body first sent: a retry with another body is a reused clientMsgId. */
  bodyHash: string;
}

export interface SendKey {
  roomId: string;
  senderId: string;
  clientMsgId: string;
}

/** Short, stable fingerprint of a message body (never the body itself: bindings cache no text). */
export function bodyHash(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 22);
}

/**
 * Every write of one binding carries this write time (microseconds since the epoch, from
 * createdAt), so a late or retried rewrite can never override a later edit or delete.
 */
export function bindingWriteTimeMicros(createdAt: string): number {
  return Date.parse(createdAt) * 1000;
}
