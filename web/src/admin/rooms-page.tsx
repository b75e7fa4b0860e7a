import type { ParleyClient, Room } from '@parley/client-sdk';
import { useState } from 'preact/hooks';
import { formatDateTime } from '../shared/format';
import type { RoomDetail, RoomListing } from './admin-types';
import { HistoryBrowser } from './history-browser';
import { ReasonAction } from './reason-action';
import { SearchListing, usePagedSearch } from './search-listing';
import { useNames } from './use-names';

/** Room search; a room's members (kick with a reason) and its history (delete). */
export function RoomsPage(props: { client: ParleyClient }) {
  const { client } = props;
  const [detail, setDetail] = useState<RoomDetail | undefined>();
  const names = useNames(client);
  const rooms = usePagedSearch<Room>(client, async (c, params) => {
    const page = await c.rest<RoomListing>('GET', `/admin/rooms?${params}`);
    names.learn(page.rooms.map((r) => r.createdBy));
    return { items: page.rooms, nextCursor: page.nextCursor };
  });

  async function open(room: Room) {
    try {
      const d = await client.rest<RoomDetail>('GET', `/admin/rooms/${room.id}`);
      names.learn(d.members.map((m) => m.userId));
      setDetail(d);
    } catch (err) {
      rooms.fail(err);
    }
  }

  return (
    <section aria-label="Rooms">
      <SearchListing
        search={rooms}
        id="room-search"
        label="Find rooms"
        moreLabel="More rooms"
        columns={['Name', 'Kind', 'Created by', 'Created']}
        row={(r) => (
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
        )}
      />
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
                        rooms.fail(err);
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
