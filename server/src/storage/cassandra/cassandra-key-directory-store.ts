import type { KeyDirectoryStore } from '../types';
import { type CassandraClient, idempotent, prepared, str, types } from './cassandra-client';

/** Candidates read per claim round: concurrent claimers race for the oldest few. */
const CLAIM_CANDIDATES = 8;
const CLAIM_ROUNDS = 3;

/**
 * Key directory on Cassandra. Claim-once is a lightweight transaction per package
 * (`DELETE ... IF EXISTS`, Paxos at LOCAL_SERIAL): two claimers of one row cannot both see
 * `[applied] = true`. An LWT is affordable here: claims happen on invites and device adds,
 * never on the send path. A claim whose Paxos round times out may have deleted the row
 * without telling us: that package is lost (never handed out), not handed out twice.
 */
export class CassandraKeyDirectoryStore implements KeyDirectoryStore {
  constructor(private readonly db: CassandraClient) {}

  async listDevices(userId: string) {
    const [devices, packages] = await Promise.all([
      this.db.execute('SELECT device_id FROM key_devices WHERE user_id = ?', [userId], prepared),
      // Bounded: the service caps devices per user and packages per device.
      this.db.execute(
        'SELECT device_id FROM key_packages WHERE user_id = ? LIMIT 5000',
        [userId],
        prepared,
      ),
    ]);
    const counts = new Map<string, number>();
    for (const row of devices.rows) counts.set(str(row.get('device_id')), 0);
    for (const row of packages.rows) {
      const id = str(row.get('device_id'));
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return [...counts].map(([deviceId, remaining]) => ({ deviceId, remaining }));
  }

  async addKeyPackages(userId: string, deviceId: string, keyPackages: string[]) {
    const now = new Date();
    await this.db.batch(
      [
        {
          query: 'INSERT INTO key_devices (user_id, device_id, registered_at) VALUES (?, ?, ?)',
          params: [userId, deviceId, now],
        },
        ...keyPackages.map((keyPackage) => ({
          query:
            'INSERT INTO key_packages (user_id, device_id, package_id, key_package, uploaded_at) VALUES (?, ?, ?, ?, ?)',
          params: [userId, deviceId, types.TimeUuid.now(), keyPackage, now],
        })),
      ],
      // One partition per table, so a logged batch costs little; package ids are fixed
      // before the first attempt, so a driver retry rewrites the same rows.
      { ...idempotent, logged: true },
    );
  }

  async countKeyPackages(userId: string, deviceId: string) {
    const rs = await this.db.execute(
      'SELECT COUNT(*) AS n FROM key_packages WHERE user_id = ? AND device_id = ?',
      [userId, deviceId],
      prepared,
    );
    return Number(rs.first()?.get('n') ?? 0);
  }

  async claimKeyPackage(userId: string, deviceId: string) {
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      const rs = await this.db.execute(
        'SELECT package_id, key_package FROM key_packages WHERE user_id = ? AND device_id = ? LIMIT ?',
        [userId, deviceId, CLAIM_CANDIDATES],
        prepared,
      );
      if (rs.rows.length === 0) return undefined;
      // Each claimer tries the candidates in its own random order: concurrent claimers then
      // mostly race for different rows, and Paxos rounds rarely collide.
      for (const row of shuffled(rs.rows)) {
        const taken = await this.db
          .execute(
            'DELETE FROM key_packages WHERE user_id = ? AND device_id = ? AND package_id = ? IF EXISTS',
            [userId, deviceId, row.get('package_id')],
            prepared,
          )
          .catch((err: unknown) => {
            // A contended or timed-out Paxos round may or may not have taken the row. If it
            // did, nobody else ever gets it either: try the next candidate.
            if (isWriteTimeout(err)) return undefined;
            throw err;
          });
        if (taken?.wasApplied()) return str(row.get('key_package'));
      }
    }
    // Every candidate went to another claimer, three rounds running: report none rather
    // than spin; the caller sees the device as exhausted for this claim.
    return undefined;
  }
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A write timeout (Paxos contention included): the outcome is unknown, not a failure. */
function isWriteTimeout(err: unknown): boolean {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { code?: unknown }).code === types.responseErrorCodes.writeTimeout
  );
}
