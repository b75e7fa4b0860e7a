import type { MemberRole, Message, Role, Room, RoomMember } from '@parley/contract';
import { bucketOf } from '../buckets';
import type {
  AuditEntry,
  AuditStore,
  CursorStore,
  MemberCursors,
  MessageStore,
  RefreshTokenRecord,
  RoomStore,
  Stores,
  TokenStore,
  UserMessagePosition,
  UserRecord,
  UserStore,
} from '../types';
import {
  type CassandraClient,
  idempotent,
  prepared,
  str,
  toDate,
  toIso,
  toNumber,
  types,
} from './cassandra-client';

/** Stores backed by a Cassandra session already bound to the migrated keyspace. */
export function createCassandraStores(client: CassandraClient): Stores {
  return {
    users: new CassandraUserStore(client),
    tokens: new CassandraTokenStore(client),
    rooms: new CassandraRoomStore(client),
    messages: new CassandraMessageStore(client),
    cursors: new CassandraCursorStore(client),
    audit: new CassandraAuditStore(client),
    ping: async () => {
      try {
        await client.execute('SELECT release_version FROM system.local', [], prepared);
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.shutdown(),
  };
}

type Row = cassandra.types.Row;
import type cassandra from 'cassandra-driver';

class CassandraUserStore implements UserStore {
  constructor(private readonly db: CassandraClient) {}

  async createUser(user: UserRecord) {
    const claim = await this.db.execute(
      'INSERT INTO users_by_username (username, user_id) VALUES (?, ?) IF NOT EXISTS',
      [user.username.toLowerCase(), user.id],
      prepared,
    );
    if (!claim.wasApplied()) return 'username_taken' as const;
    try {
      await this.db.execute(
        'INSERT INTO users (user_id, username, password_hash, roles, created_at) VALUES (?, ?, ?, ?, ?)',
        [user.id, user.username, user.passwordHash, user.roles, user.createdAt],
        idempotent,
      );
    } catch (err) {
      // Give the name back (only if it is still ours), so a failed registration can be retried.
      await this.db
        .execute(
          'DELETE FROM users_by_username WHERE username = ? IF user_id = ?',
          [user.username.toLowerCase(), user.id],
          prepared,
        )
        .catch(() => undefined);
      throw err;
    }
    return 'created' as const;
  }
  async findUserById(id: string) {
    const rs = await this.db.execute('SELECT * FROM users WHERE user_id = ?', [id], prepared);
    const row = rs.first();
    return row ? toUser(row) : undefined;
  }
  async findUserByUsername(username: string) {
    const rs = await this.db.execute(
      'SELECT user_id FROM users_by_username WHERE username = ?',
      [username.toLowerCase()],
      prepared,
    );
    const row = rs.first();
    return row ? this.findUserById(str(row.get('user_id'))) : undefined;
  }
  async updatePasswordHash(id: string, passwordHash: string) {
    await this.db.execute(
      'UPDATE users SET password_hash = ? WHERE user_id = ?',
      [passwordHash, id],
      idempotent,
    );
  }
  async setUserRoles(id: string, roles: Role[]) {
    await this.db.execute('UPDATE users SET roles = ? WHERE user_id = ?', [roles, id], idempotent);
  }
  async setUserBanned(id: string, bannedAt: Date | undefined) {
    // Unbanning writes one tombstone on purpose: it is rare and keeps the row small.
    await this.db.execute(
      'UPDATE users SET banned_at = ? WHERE user_id = ?',
      [bannedAt ?? null, id],
      idempotent,
    );
  }
  async scanUsers(afterId: string | undefined, limit: number) {
    // Token order: the partitioner's, stable across pages; each page reads `limit` rows.
    const rs =
      afterId === undefined
        ? await this.db.execute('SELECT * FROM users LIMIT ?', [limit], prepared)
        : await this.db.execute(
            'SELECT * FROM users WHERE token(user_id) > token(?) LIMIT ?',
            [afterId, limit],
            prepared,
          );
    return rs.rows.map(toUser);
  }
  async recordLastSeen(id: string, at: Date) {
    await this.db.execute(
      'UPDATE users SET last_seen_at = ? WHERE user_id = ?',
      [at, id],
      idempotent,
    );
  }
}

function toRoom(row: Row): Room {
  return {
    id: str(row.get('room_id')),
    kind: str(row.get('kind')) as Room['kind'],
    name: str(row.get('name')),
    createdBy: str(row.get('created_by')),
    createdAt: toIso(row.get('created_at')) ?? new Date(0).toISOString(),
  };
}

function toUser(row: Row): UserRecord {
  return {
    id: str(row.get('user_id')),
    username: str(row.get('username')),
    passwordHash: str(row.get('password_hash')),
    roles: ((row.get('roles') as string[] | null) ?? []) as Role[],
    createdAt: toDate(row.get('created_at')) ?? new Date(0),
    bannedAt: toDate(row.get('banned_at')),
    lastSeenAt: toDate(row.get('last_seen_at')),
  };
}

class CassandraTokenStore implements TokenStore {
  constructor(private readonly db: CassandraClient) {}

  async saveRefreshToken(t: RefreshTokenRecord) {
    // The TTL is deliberate: an expired refresh token is worthless, so let Cassandra drop it.
    const ttl = Math.max(1, Math.ceil((t.expiresAt.getTime() - Date.now()) / 1000));
    await this.db.execute(
      'INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES (?, ?, ?, ?) USING TTL ?',
      [t.tokenHash, t.familyId, t.userId, t.expiresAt, ttl],
      idempotent,
    );
  }
  async findRefreshToken(tokenHash: string) {
    const row = (
      await this.db.execute(
        'SELECT * FROM refresh_tokens WHERE token_hash = ?',
        [tokenHash],
        prepared,
      )
    ).first();
    if (!row) return undefined;
    return {
      tokenHash,
      familyId: str(row.get('family_id')),
      userId: str(row.get('user_id')),
      expiresAt: toDate(row.get('expires_at')) ?? new Date(0),
      rotatedAt: toDate(row.get('rotated_at')),
    };
  }
  async claimRefreshTokenRotation(tokenHash: string, at: Date) {
    // LWT: two concurrent refreshes with one token must not both succeed.
    const rs = await this.db.execute(
      'UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ? IF rotated_at = null',
      [at, tokenHash],
      prepared,
    );
    return rs.wasApplied();
  }
  async revokeTokenFamily(familyId: string, userId: string, at: Date) {
    await this.db.execute(
      'INSERT INTO token_families (family_id, user_id, revoked_at) VALUES (?, ?, ?)',
      [familyId, userId, at],
      idempotent,
    );
  }
  async isTokenFamilyRevoked(familyId: string) {
    const row = (
      await this.db.execute(
        'SELECT revoked_at FROM token_families WHERE family_id = ?',
        [familyId],
        prepared,
      )
    ).first();
    return Boolean(row?.get('revoked_at'));
  }
}

class CassandraRoomStore implements RoomStore {
  constructor(private readonly db: CassandraClient) {}

  async createRoom(room: Room, members: { userId: string; role: MemberRole }[]) {
    await this.db.execute(
      'INSERT INTO rooms (room_id, kind, name, created_by, created_at) VALUES (?, ?, ?, ?, ?)',
      [room.id, room.kind, room.name, room.createdBy, new Date(room.createdAt)],
      idempotent,
    );
    await Promise.all(
      members.map((m) => this.addMember(room.id, m.userId, m.role, new Date(room.createdAt))),
    );
  }
  async scanRooms(afterId: string | undefined, limit: number) {
    const rs =
      afterId === undefined
        ? await this.db.execute('SELECT * FROM rooms LIMIT ?', [limit], prepared)
        : await this.db.execute(
            'SELECT * FROM rooms WHERE token(room_id) > token(?) LIMIT ?',
            [afterId, limit],
            prepared,
          );
    return rs.rows.map(toRoom);
  }
  async findRoom(roomId: string) {
    const row = (
      await this.db.execute('SELECT * FROM rooms WHERE room_id = ?', [roomId], prepared)
    ).first();
    if (!row) return undefined;
    return toRoom(row);
  }
  async findOrCreateDirectRoom(room: Room, userA: string, userB: string) {
    const [low, high] = [userA, userB].sort() as [string, string];
    const claim = await this.db.execute(
      'INSERT INTO direct_rooms (user_low, user_high, room_id) VALUES (?, ?, ?) IF NOT EXISTS',
      [low, high, room.id],
      prepared,
    );
    if (claim.wasApplied()) {
      await this.createRoom(room, [
        { userId: userA, role: 'member' },
        { userId: userB, role: 'member' },
      ]);
      return room;
    }
    const existingId = str(claim.first()?.get('room_id'));
    // The winner may still be writing its room row; the pair claim is the truth.
    return (await this.findRoom(existingId)) ?? { ...room, id: existingId };
  }
  async addMember(roomId: string, userId: string, role: MemberRole, joinedAt: Date) {
    const batch = [
      {
        query: 'INSERT INTO room_members (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)',
        params: [roomId, userId, role, joinedAt],
      },
      {
        query: 'INSERT INTO rooms_by_user (user_id, room_id, role, joined_at) VALUES (?, ?, ?, ?)',
        params: [userId, roomId, role, joinedAt],
      },
    ];
    await this.db.batch(batch, { ...idempotent, logged: true });
  }
  async removeMember(roomId: string, userId: string) {
    await this.db.batch(
      [
        {
          query: 'DELETE FROM room_members WHERE room_id = ? AND user_id = ?',
          params: [roomId, userId],
        },
        {
          query: 'DELETE FROM rooms_by_user WHERE user_id = ? AND room_id = ?',
          params: [userId, roomId],
        },
      ],
      { ...idempotent, logged: true },
    );
  }
  async findMember(roomId: string, userId: string) {
    const row = (
      await this.db.execute(
        'SELECT * FROM room_members WHERE room_id = ? AND user_id = ?',
        [roomId, userId],
        prepared,
      )
    ).first();
    return row ? toMember(row) : undefined;
  }
  async listMembers(roomId: string) {
    const rs = await this.db.execute('SELECT * FROM room_members WHERE room_id = ?', [roomId], {
      ...prepared,
      fetchSize: 5000,
    });
    return rs.rows.map(toMember);
  }
  async listRoomsOfUser(userId: string) {
    const rs = await this.db.execute('SELECT * FROM rooms_by_user WHERE user_id = ?', [userId], {
      ...prepared,
      fetchSize: 5000,
    });
    return rs.rows.map((row) => ({
      roomId: str(row.get('room_id')),
      role: str(row.get('role')) as MemberRole,
      joinedAt: toIso(row.get('joined_at')) ?? '',
    }));
  }
}

function toMember(row: Row): RoomMember {
  return {
    roomId: str(row.get('room_id')),
    userId: str(row.get('user_id')),
    role: str(row.get('role')) as MemberRole,
    joinedAt: toIso(row.get('joined_at')) ?? '',
  };
}

const Long = types.Long;

class CassandraMessageStore implements MessageStore {
  constructor(private readonly db: CassandraClient) {}

  async appendMessage(m: Message) {
    const bucket = bucketOf(m.seq);
    // A logged batch makes the message and its dedupe record land together, so a
    // retry after a crash either finds both or neither. Unset (not null) optional
    // columns so no tombstones are written.
    await this.db.batch(
      [
        {
          query:
            'INSERT INTO messages (room_id, bucket, seq, message_id, sender_id, client_msg_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          params: [
            m.roomId,
            Long.fromNumber(bucket),
            Long.fromNumber(m.seq),
            m.id,
            m.senderId,
            m.clientMsgId,
            m.body,
            new Date(m.createdAt),
          ],
        },
        {
          query:
            'INSERT INTO message_dedupe (room_id, sender_id, client_msg_id, seq, message_id) VALUES (?, ?, ?, ?, ?)',
          params: [m.roomId, m.senderId, m.clientMsgId, Long.fromNumber(m.seq), m.id],
        },
        {
          query: 'INSERT INTO room_buckets (room_id, bucket) VALUES (?, ?)',
          params: [m.roomId, Long.fromNumber(bucket)],
        },
        {
          query:
            'INSERT INTO messages_by_user (sender_id, month, created_at, message_id, room_id, seq, client_msg_id, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          params: [
            m.senderId,
            monthOf(m.createdAt),
            new Date(m.createdAt),
            m.id,
            m.roomId,
            Long.fromNumber(m.seq),
            m.clientMsgId,
            m.body,
          ],
        },
        {
          query: 'INSERT INTO user_message_months (sender_id, month) VALUES (?, ?)',
          params: [m.senderId, monthOf(m.createdAt)],
        },
      ],
      { ...idempotent, logged: true },
    );
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
    const seq = toNumber(row.get('seq'));
    const rs = await this.db.execute(
      'SELECT * FROM messages WHERE room_id = ? AND bucket = ? AND seq = ? AND message_id = ?',
      [roomId, Long.fromNumber(bucketOf(seq)), Long.fromNumber(seq), row.get('message_id')],
      prepared,
    );
    const message = rs.first();
    return message ? toMessage(message) : undefined;
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
  const editedAt = toIso(row.get('edited_at'));
  if (editedAt) message.editedAt = editedAt;
  const deletedAt = toIso(row.get('deleted_at'));
  if (deletedAt) {
    message.deleted = true;
    message.deletedAt = deletedAt;
  }
  return message;
}

class CassandraCursorStore implements CursorStore {
  constructor(private readonly db: CassandraClient) {}

  async advanceDeliveredCursor(userId: string, roomId: string, seq: number) {
    await this.advance('delivered_seq', userId, roomId, seq);
  }
  async advanceReadCursor(userId: string, roomId: string, seq: number) {
    await this.advance('read_seq', userId, roomId, seq);
  }
  private async advance(column: string, userId: string, roomId: string, seq: number) {
    // Write timestamp = seq: Cassandra keeps the cell with the highest timestamp, so
    // the cursor only moves forward without reading it first.
    await this.db.execute(
      `UPDATE member_cursors USING TIMESTAMP ? SET ${column} = ? WHERE user_id = ? AND room_id = ?`,
      [Long.fromNumber(seq), Long.fromNumber(seq), userId, roomId],
      idempotent,
    );
  }
  async findCursors(userId: string, roomId: string) {
    const row = (
      await this.db.execute(
        'SELECT * FROM member_cursors WHERE user_id = ? AND room_id = ?',
        [userId, roomId],
        prepared,
      )
    ).first();
    return row ? toCursors(row) : { roomId, deliveredSeq: 0, readSeq: 0 };
  }
  async listCursorsOfUser(userId: string) {
    const rs = await this.db.execute('SELECT * FROM member_cursors WHERE user_id = ?', [userId], {
      ...prepared,
      fetchSize: 5000,
    });
    return rs.rows.map(toCursors);
  }
}

function toCursors(row: Row): MemberCursors {
  return {
    roomId: str(row.get('room_id')),
    deliveredSeq: toNumber(row.get('delivered_seq')),
    readSeq: toNumber(row.get('read_seq')),
  };
}

class CassandraAuditStore implements AuditStore {
  constructor(private readonly db: CassandraClient) {}

  async appendAudit(e: AuditEntry) {
    await this.db.execute(
      'INSERT INTO audit_log (day, at, actor_id, action, target_type, target_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [
        e.at.toISOString().slice(0, 10),
        types.TimeUuid.fromDate(e.at),
        e.actorId,
        e.action,
        e.targetType,
        e.targetId,
        e.detail,
      ],
      idempotent,
    );
  }
  async listAuditEntries(limit: number) {
    const out: AuditEntry[] = [];
    // Walk back day partitions; 31 days bounds the scan.
    for (let d = 0; d < 31 && out.length < limit; d++) {
      const day = new Date(Date.now() - d * 86_400_000).toISOString().slice(0, 10);
      const rs = await this.db.execute(
        'SELECT * FROM audit_log WHERE day = ? LIMIT ?',
        [day, limit - out.length],
        prepared,
      );
      for (const row of rs.rows) {
        const detail = row.get('detail') as string | null;
        out.push({
          id: str(row.get('at')),
          actorId: str(row.get('actor_id')),
          action: str(row.get('action')),
          targetType: str(row.get('target_type')),
          targetId: str(row.get('target_id')),
          ...(detail ? { detail } : {}),
          at: (row.get('at') as cassandra.types.TimeUuid).getDate(),
        });
      }
    }
    return out;
  }
}
