import type { RefreshTokenRecord, TokenStore } from '../types';
import { type CassandraClient, idempotent, prepared, str, toDate } from './cassandra-client';

export class CassandraTokenStore implements TokenStore {
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
