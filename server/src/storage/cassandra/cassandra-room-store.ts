import type { MemberRole, Room, RoomMember } from '@parley/contract';
import type cassandra from 'cassandra-driver';
import type { ExclusionReason, RoomExclusion, RoomStore } from '../types';
import { type CassandraClient, idempotent, prepared, str, toIso } from './cassandra-client';

type Row = cassandra.types.Row;

export class CassandraRoomStore implements RoomStore {
  constructor(private readonly db: CassandraClient) {}

  async createRoom(room: Room, members: { userId: string; role: MemberRole }[]) {
    // One logged batch: the room exists with all its first members, or not at all.
    await this.db.batch(
      [
        {
          query:
            'INSERT INTO rooms (room_id, kind, name, created_by, created_at, public, e2ee) VALUES (?, ?, ?, ?, ?, ?, ?)',
          params: [
            room.id,
            room.kind,
            room.name,
            room.createdBy,
            new Date(room.createdAt),
            room.public === true,
            room.e2ee === true,
          ],
        },
        ...memberRows(room.id, members, new Date(room.createdAt)),
      ],
      { ...idempotent, logged: true },
    );
  }
  async findRoom(roomId: string) {
    const row = (
      await this.db.execute('SELECT * FROM rooms WHERE room_id = ?', [roomId], prepared)
    ).first();
    return row ? toRoom(row) : undefined;
  }
  async scanRooms(afterId: string | undefined, limit: number) {
    // Token order: the partitioner's, stable across pages; each page reads `limit` rows.
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
  async findOrCreateDirectRoom(room: Room, userA: string, userB: string) {
    const [low, high] = [userA, userB].sort() as [string, string];
    // The plain and the E2EE DM of a pair are two rooms, each claimed in its own table.
    const table = room.e2ee === true ? 'direct_e2ee_rooms' : 'direct_rooms';
    const claim = await this.db.execute(
      `INSERT INTO ${table} (user_low, user_high, room_id) VALUES (?, ?, ?) IF NOT EXISTS`,
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
    await this.addMembers(roomId, [{ userId, role }], joinedAt);
  }
  async addMembers(
    roomId: string,
    members: { userId: string; role: MemberRole }[],
    joinedAt: Date,
  ) {
    if (members.length === 0) return;
    // Logged: every member is added (both tables) or, if the batch fails, retried as a whole.
    await this.db.batch(memberRows(roomId, members, joinedAt), { ...idempotent, logged: true });
  }
  async excludeMember(roomId: string, exclusion: RoomExclusion) {
    await this.db.execute(
      'INSERT INTO room_exclusions (room_id, user_id, reason, at) VALUES (?, ?, ?, ?)',
      [roomId, exclusion.userId, exclusion.reason, exclusion.at],
      idempotent,
    );
  }
  async findExclusion(roomId: string, userId: string): Promise<RoomExclusion | undefined> {
    const row = (
      await this.db.execute(
        'SELECT * FROM room_exclusions WHERE room_id = ? AND user_id = ?',
        [roomId, userId],
        prepared,
      )
    ).first();
    if (!row) return undefined;
    return {
      userId: str(row.get('user_id')),
      reason: str(row.get('reason')) as ExclusionReason,
      at: (row.get('at') as Date | null) ?? new Date(0),
    };
  }
  async clearExclusion(roomId: string, userId: string) {
    await this.db.execute(
      'DELETE FROM room_exclusions WHERE room_id = ? AND user_id = ?',
      [roomId, userId],
      idempotent,
    );
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

function toRoom(row: Row): Room {
  const room: Room = {
    id: str(row.get('room_id')),
    kind: str(row.get('kind')) as Room['kind'],
    name: str(row.get('name')),
    createdBy: str(row.get('created_by')),
    createdAt: toIso(row.get('created_at')) ?? new Date(0).toISOString(),
  };
  if (row.get('public') === true) room.public = true;
  if (row.get('e2ee') === true) room.e2ee = true;
  return room;
}

function memberRows(
  roomId: string,
  members: { userId: string; role: MemberRole }[],
  joinedAt: Date,
) {
  return members.flatMap((m) => [
    {
      query: 'INSERT INTO room_members (room_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)',
      params: [roomId, m.userId, m.role, joinedAt],
    },
    {
      query: 'INSERT INTO rooms_by_user (user_id, room_id, role, joined_at) VALUES (?, ?, ?, ?)',
      params: [m.userId, roomId, m.role, joinedAt],
    },
  ]);
}

function toMember(row: Row): RoomMember {
  return {
    roomId: str(row.get('room_id')),
    userId: str(row.get('user_id')),
    role: str(row.get('role')) as MemberRole,
    joinedAt: toIso(row.get('joined_at')) ?? '',
  };
}
