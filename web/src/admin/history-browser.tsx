import type { Message, ParleyClient } from '@parley/client-sdk';
import { useEffect, useState } from 'preact/hooks';
import { errorText, formatDateTime } from '../shared/format';
import type { HistoryPage } from './admin-types';
import { ReasonAction } from './reason-action';

/**
 * A room's or a user's messages through the admin history API, with its filters and
 * cursor paging; a room's messages can be deleted (with a reason).
 */
export function HistoryBrowser(props: {
  client: ParleyClient;
  /** e.g. `/admin/rooms/<id>/messages` */
  path: string;
  canDelete: boolean;
  nameOf: (userId: string) => string;
}) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [sender, setSender] = useState('');
  const [includeDeleted, setIncludeDeleted] = useState(false);
  const [pages, setPages] = useState<HistoryPage[]>([]);
  const [error, setError] = useState<string | undefined>();

  async function load(cursor?: string) {
    const query = new URLSearchParams({ limit: '50' });
    if (from) query.set('from', new Date(from).toISOString());
    if (to) query.set('to', new Date(to).toISOString());
    if (sender && props.canDelete) query.set('senderId', sender);
    if (includeDeleted) query.set('includeDeleted', 'true');
    if (cursor) query.set('cursor', cursor);
    try {
      const page = await props.client.rest<HistoryPage>('GET', `${props.path}?${query}`);
      setError(undefined);
      setPages((prev) => (cursor ? [...prev, page] : [page]));
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void load(), [props.path]);

  const messages: Message[] = pages.flatMap((p) => p.messages);
  const next = pages[pages.length - 1]?.nextCursor;
  return (
    <section aria-label="Message history">
      <form
        class="filters row"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <div>
          <label for="h-from">From</label>
          <input
            id="h-from"
            type="datetime-local"
            value={from}
            onInput={(e) => setFrom(e.currentTarget.value)}
          />
        </div>
        <div>
          <label for="h-to">To</label>
          <input
            id="h-to"
            type="datetime-local"
            value={to}
            onInput={(e) => setTo(e.currentTarget.value)}
          />
        </div>
        {props.canDelete && (
          <div>
            <label for="h-sender">Sender id</label>
            <input id="h-sender" value={sender} onInput={(e) => setSender(e.currentTarget.value)} />
          </div>
        )}
        <div>
          <label for="h-deleted">
            <input
              id="h-deleted"
              type="checkbox"
              checked={includeDeleted}
              onChange={(e) => setIncludeDeleted(e.currentTarget.checked)}
            />{' '}
            Include deleted
          </label>
        </div>
        <button type="submit">Apply filters</button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Sender</th>
            <th scope="col">Message</th>
            {props.canDelete && <th scope="col">Moderate</th>}
          </tr>
        </thead>
        <tbody>
          {messages.map((m) => (
            <tr key={m.id}>
              <td>{m.seq}</td>
              <td>{formatDateTime(m.createdAt)}</td>
              <td>{props.nameOf(m.senderId)}</td>
              <td class={m.deleted ? 'muted' : ''}>
                {m.body}
                {m.deleted && ' (deleted)'}
              </td>
              {props.canDelete && (
                <td>
                  {!m.deleted && (
                    <ReasonAction
                      label="Delete"
                      accessibleLabel={`Delete message ${m.seq}`}
                      danger
                      onConfirm={async (reason) => {
                        try {
                          await props.client.rest(
                            'DELETE',
                            `/admin/rooms/${m.roomId}/messages/${m.seq}`,
                            reason ? { reason } : undefined,
                          );
                          await load();
                        } catch (err) {
                          setError(errorText(err));
                        }
                      }}
                    />
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {messages.length === 0 && <p class="muted">No messages match.</p>}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          Next page
        </button>
      )}
    </section>
  );
}
