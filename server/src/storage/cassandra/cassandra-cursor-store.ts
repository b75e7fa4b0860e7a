import type cassandra from 'cassandra-driver';
import type { CursorStore, MemberCursors } from '../types';
import {
  type CassandraClient,
  idempotent,
  prepared,
  str,
  toNumber,
  types,
} from './cassandra-client';

const Long = types.Long;

type Row = cassandra.types.Row;

/**
 * Cursors live in room_cursors, partitioned by room (receipts read one partition). Plain
 * writes with ordinary timestamps: see 0004_join_policy_and_receipts.cql for why the old
 * USING TIMESTAMP = seq scheme was dropped.
 */
export class CassandraCursorStore implements CursorStore {
  constructor(private readonly db: CassandraClient) {}

  async writeCursors(
    userId: string,
    roomId: string,
    cursors: { deliveredSeq?: number; readSeq?: number },
  ) {
    const sets: string[] = [];
    const params: unknown[] = [];
    if (cursors.deliveredSeq !== undefined) {
      sets.push('delivered_seq = ?');
      params.push(Long.fromNumber(cursors.deliveredSeq));
    }
    if (cursors.readSeq !== undefined) {
      sets.push('read_seq = ?');
      params.push(Long.fromNumber(cursors.readSeq));
    }
    if (sets.length === 0) return;
    // Three statement shapes at most, each prepared once by the driver.
    await this.db.execute(
      `UPDATE room_cursors SET ${sets.join(', ')} WHERE room_id = ? AND user_id = ?`,
      [...params, roomId, userId],
      idempotent,
    );
  }
  async findCursors(userId: string, roomId: string) {
    const row = (
      await this.db.execute(
        'SELECT * FROM room_cursors WHERE room_id = ? AND user_id = ?',
        [roomId, userId],
        prepared,
      )
    ).first();
    return row ? toCursors(row) : { roomId, deliveredSeq: 0, readSeq: 0 };
  }
  async listCursorsOfRoom(roomId: string, limit: number) {
    const rs = await this.db.execute(
      'SELECT * FROM room_cursors WHERE room_id = ? LIMIT ?',
      [roomId, limit],
      { ...prepared, fetchSize: Math.min(limit, 5000) },
    );
    return rs.rows.map((row) => ({ ...toCursors(row), userId: str(row.get('user_id')) }));
  }
}

function toCursors(row: Row): MemberCursors {
  return {
    roomId: str(row.get('room_id')),
    deliveredSeq: toNumber(row.get('delivered_seq')),
    readSeq: toNumber(row.get('read_seq')),
  };
}
