import type { Message } from '@parley/contract';
import { call, type TestSocket } from './socket-client';

/**
 * The receiving half of the delivery protocol, reduced to its rules, so server tests can
 * check what the server promises: live events, plus history after the last seen seq
 * whenever a gap shows or the server says `sync:required`. (The SDK implements the same
 * rules with ordering, batching and reconnects on top.)
 */
export function catchUpMember(socket: TestSocket, roomId: string) {
  const received = new Map<string, Message>();
  let highest = 0;
  let rawDuplicates = 0;
  let syncs = 0;
  const listeners: (() => void)[] = [];

  const accept = (m: Message) => {
    if (m.roomId !== roomId) return;
    if (received.has(m.id)) rawDuplicates++;
    received.set(m.id, m);
    highest = Math.max(highest, m.seq);
    for (const l of listeners) l();
  };
  async function catchUp() {
    for (;;) {
      const page = await call(socket, 'history:fetch', { roomId, after: highest, limit: 100 });
      page.messages.forEach(accept);
      if (!page.hasMore) return;
    }
  }
  socket.on('message:created', (m) => {
    const gap = m.seq > highest + 1 && highest > 0;
    accept(m);
    if (gap) void catchUp().catch(() => undefined);
  });
  socket.on('sync:required', () => {
    syncs++;
    void catchUp().catch(() => undefined);
  });

  return {
    received,
    get rawDuplicates() {
      return rawDuplicates;
    },
    get syncs() {
      return syncs;
    },
    catchUp,
    /** Resolves once every id is in; rejects with the missing count after timeoutMs. */
    waitFor(ids: string[], timeoutMs = 20_000): Promise<void> {
      const done = () => ids.every((id) => received.has(id));
      if (done()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `missing ${ids.filter((id) => !received.has(id)).length} of ${ids.length} messages`,
            ),
          );
        }, timeoutMs);
        listeners.push(() => {
          if (done()) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    },
  };
}
