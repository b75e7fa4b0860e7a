import type { ParleyClient, Room } from '@parley/client-sdk';
import { useEffect, useState } from 'preact/hooks';
import { errorText, formatDateTime } from '../shared/format';
import type { RoomDetail, RoomListing } from './admin-types';
import { HistoryBrowser } from './history-browser';
import { ReasonAction } from './reason-action';
import { SearchBox } from './search-box';
import { useNames } from './use-names';

/** Room search; a room's members (kick with a reason) and its history (delete). */
export function RoomsPage(props: { client: ParleyClient }) {
  const { client } = props;
  const [q, setQ] = useState('');
  const [listing, setListing] = useState<RoomListing | undefined>();
  const [detail, setDetail] = useState<RoomDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const names = useNames(client);

  async function search(query: string, cursor?: string) {
    const params = new URLSearchParams({ limit: '50' });
    if (query) params.set('q', query);
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await client.rest<RoomListing>('GET', `/admin/rooms?${params}`);
      setError(undefined);
      setListing((prev) =>
        cursor && prev
          ? { rooms: [...prev.rooms, ...page.rooms], nextCursor: page.nextCursor }
          : page,
      );
      names.learn(page.rooms.map((r) => r.createdBy));
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void search(''), []);

  async function open(room: Room) {
    try {
      const d = await client.rest<RoomDetail>('GET', `/admin/rooms/${room.id}`);
      names.learn(d.members.map((m) => m.userId));
      setDetail(d);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section aria-label="Rooms">
      <SearchBox
        id="room-search"
        label="Find rooms"
        onSearch={(query) => {
          setQ(query);
          void search(query);
        }}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Created by</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {(listing?.rooms ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <button type="button" class="link" onClick={() => void open(r)}>
                  {r.kind === 'group' ? `#${r.name}` : `DM ${r.id.slice(0, 8)}`}
                </button>
              </td>
              <td>{r.kind}</td>
              <td>{names.nameOf(r.createdBy)}</td>
              <td>{formatDateTime(r.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {listing?.nextCursor && (
        <button type="button" onClick={() => void search(q, listing.nextCursor ?? undefined)}>
          More rooms
        </button>
      )}
      {detail && (
        <>
          <h2>
            {detail.room.kind === 'group' ? `#${detail.room.name}` : 'Direct room'}{' '}
            <span class="muted">
              ({detail.members.length} members, last seq {detail.lastSeq})
            </span>
          </h2>
          <ul class="member-list">
            {detail.members.map((m) => (
              <li key={m.userId} class="row">
                <span>
                  {names.nameOf(m.userId)} <span class="muted">({m.role})</span>
                </span>
                {detail.room.kind === 'group' && (
                  <ReasonAction
                    label="Kick"
                    accessibleLabel={`Kick ${names.nameOf(m.userId)}`}
                    danger
                    onConfirm={async (reason) => {
                      try {
                        await client.rest(
                          'DELETE',
                          `/admin/rooms/${detail.room.id}/members/${m.userId}`,
                          reason ? { reason } : undefined,
                        );
                        await open(detail.room);
                      } catch (err) {
                        setError(errorText(err));
                      }
                    }}
                  />
                )}
              </li>
            ))}
          </ul>
          <HistoryBrowser
            key={detail.room.id}
            client={client}
            path={`/admin/rooms/${detail.room.id}/messages`}
            canDelete
            nameOf={(id) => {
              names.learn([id]);
              return names.nameOf(id);
            }}
          />
        </>
      )}
    </section>
  );
}
