import type cassandra from 'cassandra-driver';
import type { AuditEntry, AuditStore } from '../types';
import { type CassandraClient, idempotent, prepared, str, types } from './cassandra-client';

export class CassandraAuditStore implements AuditStore {
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
