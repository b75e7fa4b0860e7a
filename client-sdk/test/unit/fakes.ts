import type { Message } from '@parley/contract';
import { ParleyError } from '../../src/errors';
import type { OutboxEntry, OutboxTransport, StorageLike } from '../../src/outbox';

export const ROOM = '00000000-0000-4000-8000-000000000001';

export function msg(seq: number, roomId = ROOM, id = `m-${roomId.slice(-4)}-${seq}`): Message {
  return {
    roomId,
    seq,
    id,
    senderId: 'user-1',
    clientMsgId: `c-${seq}`,
    body: `body ${seq}`,
    createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
  };
}

type Reply = Message | ParleyError | 'hang';

/**
 * A scripted transport: each attempt takes the next reply. 'hang' never answers, which the
 * fake turns into TIMEOUT after the attempt's timeout, like socket.timeout(ms).emit does.
 */
export class FakeTransport implements OutboxTransport {
  connected = true;
  readonly attempts: { entry: OutboxEntry; attempt: number; at: number; timeoutMs: number }[] = [];
  private readonly replies: Reply[] = [];

  reply(...replies: Reply[]): this {
    this.replies.push(...replies);
    return this;
  }

  send(entry: OutboxEntry, attempt: number, timeoutMs: number): Promise<Message> {
    if (!this.connected) throw new Error('the outbox must not emit while disconnected');
    this.attempts.push({ entry, attempt, at: Date.now(), timeoutMs });
    const next = this.replies.shift() ?? 'hang';
    if (next === 'hang') {
      return new Promise((_, reject) =>
        setTimeout(() => reject(new ParleyError('TIMEOUT', 'no ack')), timeoutMs),
      );
    }
    return next instanceof ParleyError ? Promise.reject(next) : Promise.resolve(next);
  }
}

export class FakeStorage implements StorageLike {
  readonly data = new Map<string, string>();
  getItem(key: string) {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.data.set(key, value);
  }
  removeItem(key: string) {
    this.data.delete(key);
  }
}
