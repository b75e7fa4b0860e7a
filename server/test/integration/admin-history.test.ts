import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, signUp } from '../helpers/http-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Two nodes on real Redis + Cassandra; a room of 3,000 messages written straight to the store. */
describe('admin history pagination', () => {
  const cluster = createTestCluster();
  let a: TestNode;
  let b: TestNode;
  let auth: Record<string, string>;
  const roomId = randomUUID();
  const senders = [randomUUID(), randomUUID(), randomUUID()];
  const TOTAL = 3000;
  const base = Date.parse('2025-03-01T00:00:00.000Z');
  const message = (seq: number): Message => ({
    roomId,
    seq,
    id: randomUUID(),
    senderId: senders[seq % senders.length] as string,
    clientMsgId: randomUUID(),
    body: `message ${seq}`,
    // One second apart, so time ranges select predictable seq ranges.
    createdAt: new Date(base + seq * 1000).toISOString(),
  });

  beforeAll(async () => {
    [a, b] = [await cluster.startNode(), await cluster.startNode()];
    const admin = await signUp(a.url);
    await a.stores.users.setUserRoles(admin.user.id, ['admin', 'user']);
    auth = { authorization: `Bearer ${admin.accessToken}` };
    for (const id of senders) {
      await a.stores.users.createUser({
        id,
        username: `s_${id.slice(0, 8)}`,
        passwordHash: 'x',
        roles: ['user'],
        createdAt: new Date(base),
      });
    }
    await a.stores.rooms.createRoom(
      {
        id: roomId,
        kind: 'group',
        name: 'big',
        createdBy: admin.user.id,
        createdAt: new Date(base).toISOString(),
      },
      [{ userId: admin.user.id, role: 'owner' }],
    );
    const seqs = Array.from({ length: TOTAL }, (_, i) => i + 1);
    for (let i = 0; i < seqs.length; i += 150) {
      await Promise.all(
        seqs.slice(i, i + 150).map((s) => a.stores.messages.appendMessage(message(s))),
      );
    }
  }, 180_000);
  afterAll(() => cluster.stopAll());

  type Page = { messages: Message[]; nextCursor: string | null; scanned: number };
  async function walk(node: TestNode, query: string, onPage?: () => Promise<void>) {
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await get(`${node.url}/admin/rooms/${roomId}/messages?${qs}`, auth);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const page = res.body as unknown as Page;
      expect(page.messages.length).toBeLessThanOrEqual(200);
      seen.push(...page.messages.map((m) => m.seq));
      cursor = page.nextCursor;
      pages++;
      await onPage?.();
    } while (cursor && pages < 100);
    return { seen, pages };
  }

  it('walks every message newest first with no gap and no repeat while new ones arrive', async () => {
    let next = TOTAL + 1;
    // Between pages, more messages land in the room (through node B's store connection).
    const writeMore = async () => {
      const batch = Array.from({ length: 7 }, () => next++);
      await Promise.all(batch.map((s) => b.stores.messages.appendMessage(message(s))));
    };
    const { seen, pages } = await walk(a, 'limit=200', writeMore);
    // 3000 / 200: the last page knows it is the last (the scan came back short).
    expect(pages).toBe(15);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest-first cursors sit below everything written after the walk began.
    expect(seen).toEqual(Array.from({ length: TOTAL }, (_, i) => TOTAL - i));
  });

  it('walks oldest first through node B, picking up messages written during the walk', async () => {
    const before = await a.stores.messages.findLatestSeq(roomId);
    let next = before + 1;
    const writeMore = async () => {
      const batch = Array.from({ length: 5 }, () => next++);
      await Promise.all(batch.map((s) => a.stores.messages.appendMessage(message(s))));
    };
    const { seen } = await walk(b, 'limit=173&order=asc', writeMore);
    expect(new Set(seen).size).toBe(seen.length);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBe((seen[i - 1] as number) + 1);
    expect(seen[0]).toBe(1);
    expect(seen.length).toBeGreaterThanOrEqual(before);
  });

  it('filters by sender and time range across pages, still without gap or repeat', async () => {
    const sender = senders[1] as string;
    const from = new Date(base + 1000 * 1000).toISOString();
    const to = new Date(base + 2000 * 1000).toISOString();
    const { seen } = await walk(
      a,
      `limit=50&senderId=${sender}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    const expected = [];
    for (let s = 1999; s >= 1000; s--) if (s % senders.length === 1) expected.push(s);
    expect(seen).toEqual(expected);
  });

  it("lists a user's messages across rooms newest first, paging by cursor", async () => {
    const sender = senders[2] as string;
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(
        `${b.url}/admin/users/${sender}/messages?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
        auth,
      );
      expect(res.status).toBe(200);
      const page = res.body as unknown as Page;
      seen.push(...page.messages.map((m) => m.seq));
      cursor = page.nextCursor;
    } while (cursor);
    const latest = await a.stores.messages.findLatestSeq(roomId);
    const expected = [];
    for (let s = latest; s >= 1; s--) if (s % senders.length === 2) expected.push(s);
    expect(seen).toEqual(expected);
  });

  it('exports the room as streamed NDJSON, oldest first', async () => {
    const latest = await a.stores.messages.findLatestSeq(roomId);
    const res = await fetch(`${b.url}/admin/rooms/${roomId}/export`, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    // Streamed: no Content-Length, the body arrives in chunks.
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    let chunks = 0;
    let text = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      chunks++;
      text += decoder.decode(chunk, { stream: true });
    }
    const lines = text.trimEnd().split('\n');
    const seqs = lines.map((line) => (JSON.parse(line) as Message).seq);
    expect(seqs).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    expect(chunks).toBeGreaterThan(1);

    const audit = await get(`${a.url}/admin/audit?limit=200`, auth);
    const actions = (audit.body.entries as { action: string; targetId: string }[])
      .filter((e) => e.targetId === roomId)
      .map((e) => e.action);
    expect(actions).toContain('history.room.export');
    expect(actions).toContain('history.room.read');
  });
});
