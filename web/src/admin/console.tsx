import type { ParleyClient } from '@parley/client-sdk';
import { useEffect, useState } from 'preact/hooks';
import { SkipLink } from '../shared/skip-link';
import { ApiReference } from './api-reference';
import { AuditPage } from './audit-page';
import { Dashboard } from './dashboard';
import { RoomsPage } from './rooms-page';
import { UsersPage } from './users-page';

const pages = {
  dashboard: 'Dashboard',
  rooms: 'Rooms',
  users: 'Users',
  audit: 'Audit log',
  api: 'API reference',
} as const;
type Page = keyof typeof pages;

/** Hash routes (#rooms, #users…): the console lives at exactly /admin, beside the REST API. */
function currentPage(): Page {
  const hash = window.location.hash.replace(/^#\/?/, '');
  return hash in pages ? (hash as Page) : 'dashboard';
}

export function Console(props: { client: ParleyClient; onSignOut: () => void }) {
  const [page, setPage] = useState<Page>(currentPage());
  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${pages[page]} · Parley admin`;
    document.getElementById('page-title')?.focus();
  }, [page]);

  return (
    <div class="console">
      <SkipLink targets={['page-title']} label="Skip to content" />
      <header class="console-top">
        <strong class="brand">Parley admin</strong>
        <nav aria-label="Console">
          {(Object.keys(pages) as Page[]).map((key) => (
            <a key={key} href={`#${key}`} aria-current={key === page ? 'page' : undefined}>
              {pages[key]}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <span class="muted">{props.client.user?.username}</span>
        <button type="button" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      <main class="console-main">
        <h1 id="page-title" tabIndex={-1}>
          {pages[page]}
        </h1>
        {page === 'dashboard' && <Dashboard client={props.client} />}
        {page === 'rooms' && <RoomsPage client={props.client} />}
        {page === 'users' && <UsersPage client={props.client} />}
        {page === 'audit' && <AuditPage client={props.client} />}
        {page === 'api' && <ApiReference />}
      </main>
    </div>
  );
}
