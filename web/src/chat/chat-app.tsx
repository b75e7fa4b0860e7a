import type { ParleyClient } from '@parley/client-sdk';
import { useEffect, useMemo } from 'preact/hooks';
import { SkipLink } from '../shared/skip-link';
import { ChatStore } from './chat-store';
import { ConnectionBadge } from './connection-badge';
import { RoomList } from './room-list';
import { RoomView } from './room-view';
import { useStore } from './use-store';

export function ChatApp(props: { client: ParleyClient; onSignOut: () => void }) {
  const store = useMemo(() => new ChatStore(props.client), [props.client]);
  useStore(store);
  useEffect(() => {
    void store.loadRooms();
    return () => store.close();
  }, [store]);

  const me = props.client.user;
  const active = store.activeRoomId ? store.rooms.get(store.activeRoomId) : undefined;
  return (
    <div class="chat" data-e2ee={store.e2eeState}>
      <SkipLink targets={['composer-input', 'new-room']} label="Skip to message box" />
      <header class="topbar">
        <strong class="brand">Parley</strong>
        <ConnectionBadge store={store} />
        <span class="spacer" />
        <span class="muted">
          Signed in as <strong>{me?.username}</strong>
        </span>
        <button
          type="button"
          onClick={() => {
            store.close();
            props.onSignOut();
          }}
        >
          Sign out
        </button>
      </header>
      {store.endedReason && (
        <div class="banner bad" role="alert" data-testid="session-ended">
          {store.endedReason}
        </div>
      )}
      {store.notice && (
        <div class="banner warn" role="status">
          {store.notice}{' '}
          <button type="button" class="link" onClick={() => store.clearNotice()}>
            Dismiss
          </button>
        </div>
      )}
      <div class="layout">
        <RoomList store={store} />
        {active ? (
          <RoomView key={active.id} store={store} room={active} />
        ) : (
          <main class="empty" id="main">
            <p class="muted">Pick a room on the left, or create one.</p>
          </main>
        )}
      </div>
    </div>
  );
}
