import type { Message } from '@parley/contract';
import type cassandra from 'cassandra-driver';
import { LRUCache } from 'lru-cache';
import {
  bindingWriteTimeMicros,
  bodyHash,
  type SendBinding,
  type SendKey,
} from '../../ports/send-binding';
import { bucketOf } from '../buckets';
import { WriteNotAppliedError } from '../write-errors';
import type { MessageStore, MessageTailEntry, UserMessagePosition } from '../types';
import {
  type CassandraClient,
  idempotent,
  prepared,
  str,
  toIso,
  toNumber,
  types,
} from './cassandra-client';
import { certainlyNotApplied } from './write-outcome';

type Row = cassandra.types.Row;

const Long = types.Long;

/** How many written index rows a node remembers (about 100 bytes each). */
const WRITTEN_INDEX_ROWS_REMEMBERED = 100_000;

export class CassandraMessageStore implements MessageStore {
  /**
   * Index rows this node has written at a quorum that never change afterwards: a room's
   * bucket (room_buckets) and a sender's month (user_message_months). Nothing deletes or
   * expires them, so writing them again for the next message of the same bucket or month
   * would write the very same row: skipping it saves two of a send's five writes. A row
   * is remembered only after its write succeeded; a restart forgets, and the next send
   * writes it again, harmlessly.
   */
  private readonly writtenIndexRows = new LRUCache<string, true>({
    max: WRITTEN_INDEX_ROWS_REMEMBERED,
  });

  constructor(private readonly db: CassandraClient) {}

  private async writeOnce(row: string, write: () => Promise<unknown>): Promise<void> {
    if (this.writtenIndexRows.has(row)) return;
    await write();
    this.writtenIndexRows.set(row, true);
  }

  async appendMessage(m: Message) {
    const bucket = bucketOf(m.seq);
    // Three steps in order, not one logged batch: a logged batch needs its batchlog on two
    // other live nodes, so with RF=3 and one node lost every batch timed out until failure
    // detection gave up on that node (≈20 s of failed sends, issue 10). Single-partition
    // writes need only a quorum of their own replicas. The order keeps what the batch gave:
    // 1. the binding (dedupe row) — once it is at a quorum, a retry's lightweight
    //    transaction finds it, so no other seq can ever be decided for this send;
    // 2. the index rows (bucket, per-user history) — so whatever lists the message next
    //    finds them;
    // 3. the message row — it becomes visible last, only once everything else landed.
    // A step that fails leaves the earlier ones in place; the retry (same binding) rewrites
    // all of them. Every attempt writes the very same values with the same write time
    // (from createdAt): a rewrite is idempotent and can never undo a later edit or delete
    // (those are written with a later time). Unset (not null) optional columns so no
    // tombstones are written.
    const options = { ...idempotent, timestamp: bindingWriteTimeMicros(m.createdAt) };
    // The MLS kind (E2EE rooms) is written only when there is one: a plaintext row leaves it unset.
    const kindCol = m.kind === undefined ? '' : ', kind';
    const kindVal = m.kind === undefined ? '' : ', ?';
    const kindParam = m.kind === undefined ? [] : [m.kind];
    await this.db
      .execute(
        'INSERT INTO message_dedupe (room_id, sender_id, client_msg_id, seq, message_id, created_at, body_hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
          m.roomId,
          m.senderId,
          m.clientMsgId,
          Long.fromNumber(m.seq),
          m.id,
          new Date(m.createdAt),
          bodyHash(m.body),
        ],
        options,
      )
      .catch((err: unknown) => {
        // Only this first step can be "certainly not applied" as a whole: after it, the
        // binding is durable and the send is at least partly written.
        throw certainlyNotApplied(err) ? new WriteNotAppliedError(err) : err;
      });
    const month = monthOf(m.createdAt);
    await Promise.all([
      this.writeOnce(`bucket|${m.roomId}|${bucket}`, () =>
        this.db.execute(
          'INSERT INTO room_buckets (room_id, bucket) VALUES (?, ?)',
          [m.roomId, Long.fromNumber(bucket)],
          options,
        ),
      ),
      this.db.execute(
        `INSERT INTO messages_by_user (sender_id, month, created_at, message_id, room_id, seq, client_msg_id, body${kindCol}) VALUES (?, ?, ?, ?, ?, ?, ?, ?${kindVal})`,
        [
          m.senderId,
          month,
          new Date(m.createdAt),
          m.id,
          m.roomId,
          Long.fromNumber(m.seq),
          m.clientMsgId,
          m.body,
          ...kindParam,
        ],
        options,
      ),
      this.writeOnce(`month|${m.senderId}|${month}`, () =>
        this.db.execute(
          'INSERT INTO user_message_months (sender_id, month) VALUES (?, ?)',
          [m.senderId, month],
          options,
        ),
      ),
    ]);
    await this.db.execute(
      `INSERT INTO messages (room_id, bucket, seq, message_id, sender_id, client_msg_id, body, created_at${kindCol}) VALUES (?, ?, ?, ?, ?, ?, ?, ?${kindVal})`,
      [
        m.roomId,
        Long.fromNumber(bucket),
        Long.fromNumber(m.seq),
        m.id,
        m.senderId,
        m.clientMsgId,
        m.body,
        new Date(m.createdAt),
        ...kindParam,
      ],
      options,
    );
  }

  async decideSendBinding(key: SendKey, proposal: SendBinding): Promise<SendBinding> {
    // A lightweight transaction (Paxos at LOCAL_SERIAL): of all attempts that reach here
    // without a binding in Redis, exactly one decides; the others get its binding back.
    // Its read phase also sees a row written by a plain (fast-path) batch once that batch
    // reached a quorum; see docs/architecture.md for the one case it cannot see.
    const rs = await this.db
      .execute(
        'INSERT INTO message_dedupe (room_id, sender_id, client_msg_id, seq, message_id, created_at, body_hash) VALUES (?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS',
        [
          key.roomId,
          key.senderId,
          key.clientMsgId,
          Long.fromNumber(proposal.seq),
          proposal.id,
          new Date(proposal.createdAt),
          proposal.bodyHash,
        ],
        prepared,
      )
      .catch((err: unknown) => {
        // A Paxos round that timed out may still have committed our proposal.
        throw certainlyNotApplied(err) ? new WriteNotAppliedError(err) : err;
      });
    const row = rs.first();
    if (row.get('[applied]') === true) return proposal;
    return {
      seq: toNumber(row.get('seq')),
      id: str(row.get('message_id')),
      // Rows from before migration 0003 lack these; the caller then answers from the row.
      createdAt: toIso(row.get('created_at')) ?? '',
      bodyHash: str(row.get('body_hash')),
    };
  }

  async findMessageAt(roomId: string, seq: number, id: string) {
    const rs = await this.db.execute(
      'SELECT * FROM messages WHERE room_id = ? AND bucket = ? AND seq = ? AND message_id = ?',
      [roomId, Long.fromNumber(bucketOf(seq)), Long.fromNumber(seq), id],
      prepared,
    );
    const row = rs.first();
    return row ? toMessage(row) : undefined;
  }

  async findMessageByClientMsgId(roomId: string, senderId: string, clientMsgId: string) {
    const row = (
      await this.db.execute(
        'SELECT seq, message_id FROM message_dedupe WHERE room_id = ? AND sender_id = ? AND client_msg_id = ?',
        [roomId, senderId, clientMsgId],
        prepared,
      )
    ).first();
    if (!row) return undefined;
    return this.findMessageAt(roomId, toNumber(row.get('seq')), str(row.get('message_id')));
  }

  async findMessage(roomId: string, seq: number) {
    const rs = await this.db.execute(
      'SELECT * FROM messages WHERE room_id = ? AND bucket = ? AND seq = ? LIMIT 1',
      [roomId, Long.fromNumber(bucketOf(seq)), Long.fromNumber(seq)],
      prepared,
    );
    const row = rs.first();
    return row ? toMessage(row) : undefined;
  }

  async listMessagesBefore(roomId: string, beforeSeq: number | undefined, limit: number) {
    const out: Message[] = [];
    const upper = beforeSeq === undefined ? undefined : beforeSeq - 1;
    const fromBucket = upper === undefined ? undefined : bucketOf(Math.max(upper, 0));
    for (const bucket of await this.bucketsDescending(roomId, fromBucket)) {
      const rs =
        upper === undefined
          ? await this.db.execute(
              'SELECT * FROM messages WHERE room_id = ? AND bucket = ? LIMIT ?',
              [roomId, Long.fromNumber(bucket), limit - out.length],
              prepared,
            )
          : await this.db.execute(
              'SELECT * FROM messages WHERE room_id = ? AND bucket = ? AND seq <= ? LIMIT ?',
              [roomId, Long.fromNumber(bucket), Long.fromNumber(upper), limit - out.length],
              prepared,
            );
      out.push(...rs.rows.map(toMessage));
      if (out.length >= limit) break;
    }
    return out;
  }

  async listMessagesAfter(roomId: string, afterSeq: number, limit: number) {
    const out: Message[] = [];
    const fromBucket = bucketOf(afterSeq + 1);
    const buckets = (await this.bucketsDescending(roomId)).filter((b) => b >= fromBucket).reverse();
    for (const bucket of buckets) {
      const rs = await this.db.execute(
        'SELECT * FROM messages WHERE room_id = ? AND bucket = ? AND seq > ? ORDER BY seq ASC, message_id DESC LIMIT ?',
        [roomId, Long.fromNumber(bucket), Long.fromNumber(afterSeq), limit - out.length],
        prepared,
      );
      out.push(...rs.rows.map(toMessage));
      if (out.length >= limit) break;
    }
    return out;
  }

  async findLatestSeq(roomId: string) {
    const [bucket] = await this.bucketsDescending(roomId, undefined, 1);
    if (bucket === undefined) return 0;
    const row = (
      await this.db.execute(
        'SELECT seq FROM messages WHERE room_id = ? AND bucket = ? LIMIT 1',
        [roomId, Long.fromNumber(bucket)],
        prepared,
      )
    ).first();
    return row ? toNumber(row.get('seq')) : 0;
  }

  async listTail(roomId: string, limit: number): Promise<MessageTailEntry[]> {
    const out: MessageTailEntry[] = [];
    // Two buckets at most: a bucket holds 10,000 messages, a tail is a summary's worth.
    for (const bucket of await this.bucketsDescending(roomId, undefined, 2)) {
      const rs = await this.db.execute(
        'SELECT seq, sender_id, deleted_at FROM messages WHERE room_id = ? AND bucket = ? LIMIT ?',
        [roomId, Long.fromNumber(bucket), limit - out.length],
        prepared,
      );
      for (const row of rs.rows)
        out.push({
          seq: toNumber(row.get('seq')),
          senderId: str(row.get('sender_id')),
          deleted: row.get('deleted_at') !== null,
        });
      if (out.length >= limit) break;
    }
    return out;
  }

  async editMessage(roomId: string, seq: number, body: string, editedAt: Date) {
    return this.patch(roomId, seq, 'body = ?, edited_at = ?', [body, editedAt], {
      body,
      editedAt: editedAt.toISOString(),
    });
  }

  async markMessageDeleted(roomId: string, seq: number, deletedAt: Date) {
    // Soft delete: the row stays (admins may read it); clients are sent no body.
    return this.patch(roomId, seq, 'deleted_at = ?', [deletedAt], {
      deleted: true,
      deletedAt: deletedAt.toISOString(),
    });
  }

  async listMessagesOfUser(userId: string, before: UserMessagePosition | undefined, limit: number) {
    const out: Message[] = [];
    const months = await this.db.execute(
      before
        ? 'SELECT month FROM user_message_months WHERE sender_id = ? AND month <= ?'
        : 'SELECT month FROM user_message_months WHERE sender_id = ?',
      before ? [userId, monthOf(before.createdAt)] : [userId],
      { ...prepared, fetchSize: 5000 },
    );
    for (const monthRow of months.rows) {
      const month = str(monthRow.get('month'));
      const rs = before
        ? await this.db.execute(
            'SELECT * FROM messages_by_user WHERE sender_id = ? AND month = ? AND (created_at, message_id) < (?, ?) LIMIT ?',
            [userId, month, new Date(before.createdAt), before.id, limit - out.length],
            prepared,
          )
        : await this.db.execute(
            'SELECT * FROM messages_by_user WHERE sender_id = ? AND month = ? LIMIT ?',
            [userId, month, limit - out.length],
            prepared,
          );
      // Editing a message stored before migration 0002 upserts a partial row here; skip it.
      out.push(...rs.rows.filter((row) => row.get('room_id') !== null).map(toMessage));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Updates both message tables; returns the message as written, without reading it back. */
  private async patch(
    roomId: string,
    seq: number,
    assignments: string,
    values: unknown[],
    applied: Partial<Message>,
  ): Promise<Message | undefined> {
    const existing = await this.findMessage(roomId, seq);
    if (!existing) return undefined;
    // Both tables in one logged batch, so a moderator never sees an edit in one view only.
    await this.db.batch(
      [
        {
          query: `UPDATE messages SET ${assignments} WHERE room_id = ? AND bucket = ? AND seq = ? AND message_id = ?`,
          params: [
            ...values,
            roomId,
            Long.fromNumber(bucketOf(seq)),
            Long.fromNumber(seq),
            existing.id,
          ],
        },
        {
          query: `UPDATE messages_by_user SET ${assignments} WHERE sender_id = ? AND month = ? AND created_at = ? AND message_id = ?`,
          params: [
            ...values,
            existing.senderId,
            monthOf(existing.createdAt),
            new Date(existing.createdAt),
            existing.id,
          ],
        },
      ],
      { ...idempotent, logged: true },
    );
    return { ...existing, ...applied };
  }

  private async bucketsDescending(roomId: string, fromBucket?: number, limit = 10_000) {
    const rs =
      fromBucket === undefined
        ? await this.db.execute(
            'SELECT bucket FROM room_buckets WHERE room_id = ? LIMIT ?',
            [roomId, limit],
            prepared,
          )
        : await this.db.execute(
            'SELECT bucket FROM room_buckets WHERE room_id = ? AND bucket <= ? LIMIT ?',
            [roomId, Long.fromNumber(fromBucket), limit],
            prepared,
          );
    return rs.rows.map((r) => toNumber(r.get('bucket')));
  }
}

/** messages_by_user partition: the UTC calendar month of the message, `YYYY-MM`. */
const monthOf = (createdAt: string) => new Date(createdAt).toISOString().slice(0, 7);

function toMessage(row: Row): Message {
  const message: Message = {
    roomId: str(row.get('room_id')),
    seq: toNumber(row.get('seq')),
    id: str(row.get('message_id')),
    senderId: str(row.get('sender_id')),
    clientMsgId: str(row.get('client_msg_id')),
    body: str(row.get('body')),
    createdAt: toIso(row.get('created_at')) ?? '',
  };
  const kind = row.get('kind') as unknown;
  if (kind === 'mls-app' || kind === 'mls-commit' || kind === 'mls-welcome') message.kind = kind;
  const editedAt = toIso(row.get('edited_at'));
  if (editedAt) message.editedAt = editedAt;
  const deletedAt = toIso(row.get('deleted_at'));
  if (deletedAt) {
    message.deleted = true;
    message.deletedAt = deletedAt;
  }
  return message;
}
