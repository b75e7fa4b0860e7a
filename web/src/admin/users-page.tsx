import type { ParleyClient } from '@parley/client-sdk';
import { useState } from 'preact/hooks';
import { formatDateTime } from '../shared/format';
import type { AdminUser, UserListing } from './admin-types';
import { HistoryBrowser } from './history-browser';
import { ReasonAction } from './reason-action';
import { SearchListing, usePagedSearch } from './search-listing';
import { useNames } from './use-names';

/** User search, ban / unban with a reason, and one user's messages across rooms. */
export function UsersPage(props: { client: ParleyClient }) {
  const { client } = props;
  const [selected, setSelected] = useState<AdminUser | undefined>();
  const names = useNames(client);
  const users = usePagedSearch<AdminUser>(client, async (c, params) => {
    const page = await c.rest<UserListing>('GET', `/admin/users?${params}`);
    return { items: page.users, nextCursor: page.nextCursor };
  });

  async function moderate(method: 'POST' | 'DELETE', user: AdminUser, reason?: string) {
    try {
      await client.rest(
        method,
        `/admin/users/${user.id}/ban`,
        method === 'POST' ? (reason ? { reason } : {}) : undefined,
      );
      await users.refresh();
      setSelected(undefined);
    } catch (err) {
      users.fail(err);
    }
  }

  return (
    <section aria-label="Users">
      <SearchListing
        search={users}
        id="user-search"
        label="Find users"
        moreLabel="More users"
        columns={['Username', 'Roles', 'Created', 'Last seen', 'Status', 'Actions']}
        tableTestId="users-table"
        row={(u) => (
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
        )}
      />
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
