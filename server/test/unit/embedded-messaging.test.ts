import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { call, collect, connect, type TestSocket } from '../helpers/socket-client';
import { startEmbeddedNode, type TestNode } from '../helpers/start-node';

/** The embedded engine (what `npm start` runs) keeps the same messaging semantics in memory. */
describe('embedded engine messaging', () => {
  let node: TestNode;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    node = await startEmbeddedNode();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await node.stop();
  });

  it('sends, fans out, dedupes retries and serves history', async () => {
    const [ann, ben] = await Promise.all([signUp(node.url), signUp(node.url)]);
    const sa = await connect(node.url, ann.accessToken);
    const sb = await connect(node.url, ben.accessToken);
    sockets.push(sa, sb);
    const room = await call(sa, 'room:create', { name: 'local', memberIds: [ben.user.id] });
    const inbox = collect(sb, 'message:created');
    const clientMsgId = randomUUID();
    const first = await call(sa, 'message:send', { roomId: room.id, clientMsgId, body: 'hello' });
    const retry = await call(sa, 'message:send', { roomId: room.id, clientMsgId, body: 'hello' });
    expect(retry).toEqual(first);
    await call(sa, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'second' });
    const got = await inbox.until((m) => m.length >= 3);
    expect(got.map((m) => m.seq)).toEqual([1, 1, 2]); // the retry is re-published; clients dedupe by id
    const page = await call(sb, 'history:fetch', { roomId: room.id, after: 0 });
    expect(page.messages.map((m) => m.body)).toEqual(['hello', 'second']);
  });

  it('drains: tells sockets, then disconnects them', async () => {
    const other = await startEmbeddedNode();
    const user = await signUp(other.url);
    const s = await connect(other.url, user.accessToken);
    const draining = new Promise((resolve) => s.once('server:draining', resolve));
    const disconnected = new Promise((resolve) => s.once('disconnect', resolve));
    const closing = other.app.close();
    await draining;
    await disconnected;
    await closing;
    s.close();
  });
});
