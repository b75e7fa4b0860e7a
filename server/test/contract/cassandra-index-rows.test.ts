import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import { CassandraMessageStore } from '../../src/storage/cassandra/cassandra-message-store';
import { MESSAGES_PER_BUCKET } from '../../src/storage/buckets';
import { cassandraTestConfig } from '../helpers/services';

const keyspace = inject('keyspace');
const client = createCassandraClient(cassandraTestConfig(keyspace), keyspace);
afterAll(() => client.shutdown());

/** The real client, with every statement's table and outcome recorded. */
function recordingStore(failTable?: { table: string; times: number }) {
  const tables: string[] = [];
  const execute = client.execute.bind(client);
  const recorded = Object.create(client) as typeof client;
  recorded.execute = ((query: string, ...rest: unknown[]) => {
    const table = /^INSERT INTO (\w+)/.exec(query)?.[1] ?? 'read';
    tables.push(table);
    if (failTable?.table === table && failTable.times > 0) {
      failTable.times--;
      return Promise.reject(new Error(`injected failure writing ${table}`));
    }
    return (execute as (...args: unknown[]) => unknown)(query, ...rest);
  }) as typeof client.execute;
  return { store: new CassandraMessageStore(recorded), tables };
}

function message(roomId: string, senderId: string, seq: number, createdAt: string): Message {
  return {
    roomId,
    seq,
    id: randomUUID(),
    senderId,
    clientMsgId: randomUUID(),
    body: `m${seq}`,
    createdAt,
  };
}

describe('cassandra message store: index rows that never change are written once per node', () => {
  it('writes a room bucket and a sender month once, and every message stays listable', async () => {
    const { store, tables } = recordingStore();
    const roomId = randomUUID();
    const senderId = randomUUID();
    const november = '2026-11-26T10:00:00.000Z';
    const december = '2026-12-01T10:00:00.000Z';
    const sends = [
      message(roomId, senderId, 1, november),
      message(roomId, senderId, 2, november),
      message(roomId, senderId, 3, november),
      // a new bucket, then a new month
      message(roomId, senderId, MESSAGES_PER_BUCKET + 1, november),
      message(roomId, senderId, MESSAGES_PER_BUCKET + 2, december),
    ];
    for (const m of sends) await store.appendMessage(m);

    const count = (table: string) => tables.filter((t) => t === table).length;
    expect(count('message_dedupe')).toBe(5);
    expect(count('messages_by_user')).toBe(5);
    expect(count('messages')).toBe(5);
    expect(count('room_buckets')).toBe(2);
    expect(count('user_message_months')).toBe(2);

    // A second node (a fresh store) still finds every message through those rows.
    const other = new CassandraMessageStore(client);
    const newestFirst = await other.listMessagesBefore(roomId, undefined, 10);
    expect(newestFirst.map((m) => m.seq)).toEqual(sends.map((m) => m.seq).reverse());
    const ofUser = await other.listMessagesOfUser(senderId, undefined, 10);
    expect(ofUser.map((m) => m.id).sort()).toEqual(sends.map((m) => m.id).sort());
  });

  it('a bucket row whose write failed is written again by the next message', async () => {
    const failure = { table: 'room_buckets', times: 1 };
    const { store, tables } = recordingStore(failure);
    const roomId = randomUUID();
    const senderId = randomUUID();
    const createdAt = '2026-11-26T10:00:00.000Z';
    await expect(store.appendMessage(message(roomId, senderId, 1, createdAt))).rejects.toThrow(
      'injected failure writing room_buckets',
    );
    await store.appendMessage(message(roomId, senderId, 2, createdAt));
    await store.appendMessage(message(roomId, senderId, 3, createdAt));
    expect(tables.filter((t) => t === 'room_buckets')).toHaveLength(2);
    expect((await store.listMessagesBefore(roomId, undefined, 10)).map((m) => m.seq)).toEqual([
      3, 2,
    ]);
  });
});
