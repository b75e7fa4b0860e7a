import type { Role } from '@parley/contract';
import type cassandra from 'cassandra-driver';
import type { UserRecord, UserStore } from '../types';
import { type CassandraClient, idempotent, prepared, str, toDate } from './cassandra-client';

type Row = cassandra.types.Row;

export class CassandraUserStore implements UserStore {
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
  async setUserBanned(id: string, bannedAt: Date | undefined) {
    // Unbanning writes one tombstone on purpose: it is rare and keeps the row small.
    await this.db.execute(
      'UPDATE users SET banned_at = ? WHERE user_id = ?',
      [bannedAt ?? null, id],
      idempotent,
    );
  }
  async recordLastSeen(id: string, at: Date) {
    await this.db.execute(
      'UPDATE users SET last_seen_at = ? WHERE user_id = ?',
      [at, id],
      idempotent,
    );
  }
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
