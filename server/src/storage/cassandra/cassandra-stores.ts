import type { Stores } from '../types';
import { type CassandraClient, prepared } from './cassandra-client';
import { CassandraAuditStore } from './cassandra-audit-store';
import { CassandraCursorStore } from './cassandra-cursor-store';
import { CassandraKeyDirectoryStore } from './cassandra-key-directory-store';
import { CassandraMessageStore } from './cassandra-message-store';
import { CassandraRoomStore } from './cassandra-room-store';
import { CassandraTokenStore } from './cassandra-token-store';
import { CassandraUserStore } from './cassandra-user-store';

/** Stores backed by a Cassandra session already bound to the migrated keyspace. */
export function createCassandraStores(client: CassandraClient): Stores {
  return {
    users: new CassandraUserStore(client),
    tokens: new CassandraTokenStore(client),
    rooms: new CassandraRoomStore(client),
    messages: new CassandraMessageStore(client),
    cursors: new CassandraCursorStore(client),
    audit: new CassandraAuditStore(client),
    keys: new CassandraKeyDirectoryStore(client),
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
