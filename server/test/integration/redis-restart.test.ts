import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catchUpMember } from '../helpers/catch-up-member';
import { signUp } from '../helpers/http-client';
import { connect, request, type TestSocket } from '../helpers/socket-client';
import { startOwnRedis } from '../helpers/own-redis';
import { createTestCluster } from '../helpers/start-node';

/** Sends like a client: same clientMsgId until an ok ack (Redis may be down meanwhile). */
async function sendUntilAcked(
  socket: TestSocket,
  roomId: string,
  body: string,
  onFailedAttempt: () => void = () => undefined,
): Promise<{ message: Message; attempts: number }> {
  const clientMsgId = randomUUID();
  for (let attempts = 1; ; attempts++) {
    const ack = await request(
      socket,
      'message:send',
      { roomId, clientMsgId, body, attempt: attempts },
      3_000,
    ).catch(() => undefined);
    if (ack?.ok) return { message: ack.data, attempts };
    onFailedAttempt();
    if (ack && !ack.error.retryable) throw new Error(`not retryable: ${ack.error.code}`);
    // Backoff between retries is what a client does; there is no event to await here.
    await new Promise((r) =>
      setTimeout(r, ack?.ok === false ? (ack.error.retryAfterMs ?? 100) : 100),
    );
  }
}

describe('Redis restart mid-conversation (private redis-server, real Cassandra)', () => {
  let redis: Awaited<ReturnType<typeof startOwnRedis>>;
  let cluster: ReturnType<typeof createTestCluster>;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    // Retries right after the restart wait out the re-seed quiet period (kept short here).
    cluster = createTestCluster({ REDIS_URL: redis.url, SEND_RESEED_QUIET_MS: '1000' });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster.stopAll();
    await redis.stop();
  });

  for (const adapter of ['sharded', 'classic'] as const) {
    it(`every member ends up with every acked message (${adapter} adapter)`, async () => {
      const nodes = await Promise.all(
        [0, 1, 2].map(() => cluster.startNode({ REDIS_ADAPTER: adapter })),
      );
      const users = await Promise.all(nodes.map((n) => signUp(n.url)));
      const socks = await Promise.all(users.map((u, i) => connect(nodes[i]!.url, u.accessToken)));
      sockets.push(...socks);
      const [s0] = socks as [TestSocket];
      const room = await sendRoom(
        s0,
        users.slice(1).map((u) => u.user.id),
      );
      const members = socks.map((s) => catchUpMember(s, room));

      const acked: Message[] = [];
      for (let i = 0; i < 5; i++)
        acked.push((await sendUntilAcked(socks[i % 3]!, room, `before ${i}`)).message);
      await Promise.all(members.map((m) => m.waitFor(acked.map((x) => x.id))));

      // Redis dies (all keys lost) while a send is under way; it only succeeds after Redis returns.
      await redis.stop();
      let failedAttempts = 0;
      let signalFailure: () => void = () => undefined;
      const sawFailures = new Promise<void>((resolve) => (signalFailure = resolve));
      const during = sendUntilAcked(socks[1]!, room, 'during outage', () => {
        if (++failedAttempts >= 3) signalFailure();
      });
      await sawFailures;
      // Broadcasts while Redis is down must neither crash a node nor hang the ack.
      expect(await request(socks[0]!, 'typing:set', { roomId: room, typing: true })).toMatchObject({
        ok: true,
      });
      await redis.start();
      acked.push((await during).message);
      for (let i = 0; i < 10; i++)
        acked.push((await sendUntilAcked(socks[i % 3]!, room, `after ${i}`)).message);
      await Promise.all(members.map((m) => m.waitFor(acked.map((x) => x.id))));

      // The counter was lost with Redis and re-seeded from Cassandra past the old maximum.
      const seqs = acked.map((m) => m.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(acked[5]!.seq).toBeGreaterThan(5 + 999); // re-seeded past a safety gap, never reused
      const stored = await nodes[0]!.stores.messages.listMessagesAfter(room, 0, 100);
      expect(stored.map((m) => m.id)).toEqual(acked.map((m) => m.id));
      expect(members.every((m) => m.syncs >= 1)).toBe(true);
      console.log(
        `[redis-restart ${adapter}] acked=${acked.length} stored=${stored.length} failed attempts during outage=${failedAttempts} ` +
          `received=${members.map((m) => m.received.size).join('/')} syncs=${members.map((m) => m.syncs).join('/')}`,
      );
      await Promise.all(nodes.map((n) => n.stop()));
    });
  }
});

async function sendRoom(socket: TestSocket, memberIds: string[]) {
  const ack = await request(socket, 'room:create', { name: 'restart', memberIds });
  if (!ack.ok) throw new Error(ack.error.message);
  return ack.data.id;
}
