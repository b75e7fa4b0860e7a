import type { ParleyClient } from '@parley/client-sdk';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../shared/format';
import { SearchBox } from './search-box';

const PAGE_SIZE = '50';

/** One page of an admin listing endpoint (`GET /admin/users`, `GET /admin/rooms`). */
export interface ListingPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PagedSearch<T> {
  items: T[];
  nextCursor: string | null;
  error: string | undefined;
  search(query: string): Promise<void>;
  /** Runs the current query again from the first page (after a change to what it lists). */
  refresh(): Promise<void>;
  more(): Promise<void>;
  /** Shows an error of the page's own actions in the same place as the listing's. */
  fail(err: unknown): void;
}

/**
 * A searchable, cursor-paged admin listing: `?q=&limit=&cursor=`, "More" appends the next
 * page. The first page (no query) loads on mount.
 */
export function usePagedSearch<T>(
  client: ParleyClient,
  fetchPage: (client: ParleyClient, params: URLSearchParams) => Promise<ListingPage<T>>,
): PagedSearch<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const query = useRef('');

  async function load(q: string, cursor?: string) {
    const params = new URLSearchParams({ limit: PAGE_SIZE });
    if (q) params.set('q', q);
    if (cursor) params.set('cursor', cursor);
    try {
      const page = await fetchPage(client, params);
      setError(undefined);
      setItems((prev) => (cursor ? [...prev, ...page.items] : page.items));
      setNextCursor(page.nextCursor);
    } catch (err) {
      setError(errorText(err));
    }
  }
  useEffect(() => void load(''), []);

  return {
    items,
    nextCursor,
    error,
    search(q) {
      query.current = q;
      return load(q);
    },
    refresh: () => load(query.current),
    more: () => (nextCursor ? load(query.current, nextCursor) : Promise.resolve()),
    fail: (err) => setError(errorText(err)),
  };
}

/** The search box, the error line, the results table and its "More" button. */
export function SearchListing<T>(props: {
  search: PagedSearch<T>;
  /** The search field's id and label. */
  id: string;
  label: string;
  moreLabel: string;
  columns: string[];
  tableTestId?: string;
  /** One `<tr>` per item. */
  row: (item: T) => ComponentChildren;
}) {
  const { search } = props;
  return (
    <>
      <SearchBox id={props.id} label={props.label} onSearch={(q) => void search.search(q)} />
      {search.error && (
        <p class="error" role="alert">
          {search.error}
        </p>
      )}
      <table data-testid={props.tableTestId}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{search.items.map(props.row)}</tbody>
      </table>
      {search.nextCursor && (
        <button type="button" onClick={() => void search.more()}>
          {props.moreLabel}
        </button>
      )}
    </>
  );
}
