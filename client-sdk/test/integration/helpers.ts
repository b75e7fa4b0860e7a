import type { Message } from '@parley/contract';
import { expect } from 'vitest';
import { signUp } from '../../../server/test/helpers/http-client';
import type { TestNode } from '../../../server/test/helpers/start-node';
import {
  createParleyClient,
  type E2eeSession,
  type ParleyClient,
  type ParleyClientOptions,
} from '../../src/index';

export type Account = { username: string; password: string; id: string };

/** A client with test-friendly timings: fast reconnects, short ack timeouts. */
export function sdkClient(
  url: ParleyClientOptions['url'],
  account: Account,
  extra: Partial<ParleyClientOptions> = {},
): ParleyClient {
  return createParleyClient({
    url,
    credentials: { username: account.username, password: account.password },
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    outbox: { ackTimeoutMs: 3_000, backoff: { initialDelayMs: 100, maxDelayMs: 500 } },
    requestTimeoutMs: 5_000,
    ...extra,
  } as ParleyClientOptions);
}

/**
 * The delivery checkers' clients: `count` new users spread over the nodes, each client
 * preferring "its" node and failing over to the others, as behind a load balancer, with
 * the checkers' fast reconnects. Resolves once every client is connected.
 */
export async function checkerClients(nodeUrls: string[], count: number) {
  const accounts = await Promise.all(
    Array.from({ length: count }, (_, i) => signUp(nodeUrls[i % nodeUrls.length]!)),
  );
  const clients = accounts.map((account, i) =>
    sdkClient(
      nodeUrls.map((_, k) => nodeUrls[(i + k) % nodeUrls.length]!),
      { username: account.user.username, password: account.password, id: account.user.id },
      {
        reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
        outbox: { ackTimeoutMs: 3_000, backoff: { initialDelayMs: 50, maxDelayMs: 300 } },
      },
    ),
  );
  await Promise.all(clients.map((c) => c.status.waitFor('connected', 10_000)));
  return { accounts, clients };
}

/** Collects the ordered feed a client hands to the app, for one room. */
export function inbox(client: ParleyClient, roomId: string) {
  const items: Message[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  client.room(roomId).on('message:created', (m) => {
    items.push(m);
    for (const w of [...waiters]) {
      if (items.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    items,
    /** Resolves once `n` messages arrived (vitest's test timeout bounds the wait). */
    atLeast(n: number): Promise<Message[]> {
      if (items.length >= n) return Promise.resolve(items);
      return new Promise((resolve) => waiters.push({ n, resolve: () => resolve(items) }));
    },
  };
}

export function once(client: ParleyClient, event: 'client:synced'): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on(event, () => {
      off();
      resolve();
    });
  });
}

/** Every message exactly once, in strictly increasing seq order. */
export function expectExactlyOnceInOrder(messages: Message[], bodies: string[]) {
  expect(messages.map((m) => m.body)).toEqual(bodies);
  const seqs = messages.map((m) => m.seq);
  expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
}

/**
 * Resolves once `check` holds, re-checking whenever any of the E2EE sessions reads a message
 * or changes epoch (no polling; vitest's test timeout bounds the wait).
 */
export function settled(sessions: E2eeSession[], check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const offs: (() => void)[] = [];
    const recheck = () => {
      if (!check()) return;
      for (const off of offs) off();
      resolve();
    };
    for (const s of sessions) offs.push(s.onMessage(recheck), s.onEpoch(recheck));
  });
}

/**
 * The delivery checkers' chaos: cuts a random live connection on a random node at the
 * transport level every 20–100 ms, at most `max` times, until `stop()`, which resolves
 * with the number of cuts.
 */
export function cutConnectionsWhileRunning(nodes: TestNode[], max: number) {
  let cuts = 0;
  let running = true;
  const done = (async () => {
    while (running && cuts < max) {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
      const node = nodes[Math.floor(Math.random() * nodes.length)]!;
      const sockets = [...node.app.io.of('/').sockets.values()];
      const victim = sockets[Math.floor(Math.random() * sockets.length)];
      if (victim) {
        victim.conn.close();
        cuts++;
      }
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await done;
      return cuts;
    },
  };
}
