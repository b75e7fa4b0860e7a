import type { ParleyClient } from '@parley/client-sdk';
import { useEffect, useState } from 'preact/hooks';
import { errorText, formatDateTime } from '../shared/format';
import type { AdminUser, UserListing } from './admin-types';
import { HistoryBrowser } from './history-browser';
import { ReasonAction } from './reason-action';
import { SearchBox } from './search-box';
import { useNames } from './use-names';

/** User search, ban / unban with a reason, and one user's messages across rooms. */
export function UsersPage(props: { client: ParleyClient }) {
  const { client } = props;
  const [q, setQ] = useState('');
  const [listing, setListing] = useState<UserListing | undefined>();
  const [selected, setSelected] = useState<AdminUser | undefined>();
  const [error, setError] = useState<string | undefined>();
  const names = useNames(client);

  async function search(query: string, cursor?: string) {
    const params = new URLSearchParams({ limit: '50' });
    if (query) params.set('q', query);
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await client.rest<UserListing>('GET', `/admin/users?${params}`);
      setError(undefined);
      setListing((prev) =>
        cursor && prev
          ? { users: [...prev.users, ...page.users], nextCursor: page.nextCursor }
          : page,
      );
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void search(''), []);

  async function moderate(method: 'POST' | 'DELETE', user: AdminUser, reason?: string) {
    try {
      await client.rest(
        method,
        `/admin/users/${user.id}/ban`,
        method === 'POST' ? (reason ? { reason } : {}) : undefined,
      );
      await search(q);
      setSelected(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section aria-label="Users">
      <SearchBox
        id="user-search"
        label="Find users"
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
      <table data-testid="users-table">
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Roles</th>
            <th scope="col">Created</th>
            <th scope="col">Last seen</th>
            <th scope="col">Status</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {(listing?.users ?? []).map((u) => (
            <tr key={u.id} data-username={u.username}>
              <td>
                <button type="button" class="link" onClick={() => setSelected(u)}>
                  {u.username}
                </button>
              </td>
              <td>{u.roles.join(', ')}</td>
              <td>{formatDateTime(u.createdAt)}</td>
              <td>{formatDateTime(u.lastSeenAt)}</td>
              <td>{u.bannedAt ? <span class="error">banned</span> : 'active'}</td>
              <td>
                {u.bannedAt ? (
                  <button
                    type="button"
                    aria-label={`Unban ${u.username}`}
                    onClick={() => void moderate('DELETE', u)}
                  >
                    Unban
                  </button>
                ) : (
                  <ReasonAction
                    label="Ban"
                    accessibleLabel={`Ban ${u.username}`}
                    danger
                    onConfirm={(reason) => moderate('POST', u, reason)}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {listing?.nextCursor && (
        <button type="button" onClick={() => void search(q, listing.nextCursor ?? undefined)}>
          More users
        </button>
      )}
      {selected && (
        <>
          <h2>Messages by {selected.username}</h2>
          <HistoryBrowser
            client={client}
            path={`/admin/users/${selected.id}/messages`}
            canDelete={false}
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
