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

export class CassandraCursorStore implements CursorStore {
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
