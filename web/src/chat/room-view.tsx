import type { Message, RoomSummary } from '@parley/client-sdk';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { formatTime } from '../shared/format';
import type { ChatStore } from './chat-store';
import { Composer } from './composer';
import { Lock } from './lock';
import { MemberPanel } from './member-panel';

/** One room: its messages (history loads on scroll), who is typing, the composer. */
export function RoomView(props: { store: ChatStore; room: RoomSummary }) {
  const { store, room } = props;
  const messages = store.messages.get(room.id) ?? [];
  const pending = [
    ...store.pending.map((p) => ({ key: p.clientMsgId, roomId: p.roomId, body: p.body })),
    ...store.sealedPending,
  ].filter((p) => p.roomId === room.id);
  const failed = store.failed.filter((f) => f.roomId === room.id);
  const list = useRef<HTMLOListElement>(null);
  const stick = useRef(true);
  const loadingOlder = useRef(false);
  const lastSeq = messages[messages.length - 1]?.seq;

  // Follow new messages while the reader is at the bottom; keep the place when paging back.
  useLayoutEffect(() => {
    const el = list.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lastSeq, pending.length]);

  async function older() {
    const el = list.current;
    if (!el || loadingOlder.current) return;
    loadingOlder.current = true;
    const fromBottom = el.scrollHeight - el.scrollTop;
    await store.loadOlder(room.id);
    el.scrollTop = el.scrollHeight - fromBottom;
    loadingOlder.current = false;
  }

  const typing = [...(store.typing.get(room.id)?.keys() ?? [])].map((id) => store.nameOf(id));
  const readers = store.readBy.get(room.id) ?? new Map<string, number>();

  return (
    <div class="room-view">
      <main class="messages-pane" id="main" aria-labelledby="room-title">
        <h1 id="room-title" class="room-title">
          {store.roomTitle(room)}
          {room.e2ee && <Lock />}
        </h1>
        <ol
          class="messages"
          ref={list}
          aria-label={`Messages in ${store.roomTitle(room)}`}
          data-testid="messages"
          tabIndex={0}
          onScroll={(e) => {
            const el = e.currentTarget;
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
            if (el.scrollTop < 40 && store.hasOlder.get(room.id)) void older();
          }}
        >
          {store.hasOlder.get(room.id) && (
            <li class="older">
              <button type="button" class="link" onClick={() => void older()}>
                Load older messages
              </button>
            </li>
          )}
          {messages.map((m) => (
            <MessageItem
              key={m.id}
              store={store}
              message={m}
              readers={readers}
              editable={!room.e2ee}
            />
          ))}
          {pending.map((p) => (
            <li key={p.key} class="message mine pending" data-testid="pending-message">
              <div class="meta">
                <strong>{store.nameOf(store.myId ?? '')}</strong>
                <span class="receipt">Pending…</span>
              </div>
              <div class="body">{p.body}</div>
            </li>
          ))}
          {failed.map((f) => (
            <li key={f.key} class="message mine failed">
              <div class="body">{f.body}</div>
              <div class="error">Not sent: {f.error}</div>
            </li>
          ))}
        </ol>
        <p class="typing" aria-live="polite">
          {typing.length > 0 &&
            `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`}
        </p>
        <Composer store={store} roomId={room.id} />
      </main>
      <MemberPanel store={store} room={room} />
    </div>
  );
}

function MessageItem(props: {
  store: ChatStore;
  message: Message;
  readers: Map<string, number>;
  /** E2EE rooms have no edits: the server takes an edit's body as plaintext. */
  editable: boolean;
}) {
  const { store, message: m } = props;
  const mine = m.senderId === store.myId;
  const readable = store.readable(m);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.body);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);
  const readCount = [...props.readers].filter(
    ([userId, seq]) => userId !== store.myId && seq >= m.seq,
  ).length;

  return (
    <li class={`message ${mine ? 'mine' : ''} ${m.deleted ? 'deleted' : ''}`} data-seq={m.seq}>
      <div class="meta">
        <strong>{store.nameOf(m.senderId)}</strong>
        <time dateTime={m.createdAt}>{formatTime(m.createdAt)}</time>
        {m.editedAt && !m.deleted && <span class="muted">(edited)</span>}
        {mine && !m.deleted && (
          <span class="receipt" data-testid="receipt">
            {readCount > 0 ? `✓✓ Read by ${readCount}` : '✓ Sent'}
          </span>
        )}
      </div>
      {m.deleted ? (
        <div class="body muted">Message deleted</div>
      ) : editing ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            const body = draft.trim();
            if (!body) return;
            void store
              .run(() => store.client.room(m.roomId).edit(m.seq, body))
              .then((ok) => ok && setEditing(false));
          }}
        >
          <label class="visually-hidden" for={`edit-${m.id}`}>
            Edit message
          </label>
          <input
            id={`edit-${m.id}`}
            ref={input}
            value={draft}
            maxLength={4000}
            onInput={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
          />
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : 'text' in readable ? (
        <div class="body">{readable.text}</div>
      ) : (
        <div class="body muted locked">{readable.locked}</div>
      )}
      {mine && !m.deleted && !editing && (
        <div class="actions">
          {props.editable && (
            <button
              type="button"
              class="link"
              aria-label={`Edit message ${m.seq}`}
              onClick={() => {
                setDraft(m.body);
                setEditing(true);
              }}
            >
              Edit
            </button>
          )}
          <button
            type="button"
            class="link"
            aria-label={`Delete message ${m.seq}`}
            onClick={() => void store.run(() => store.client.room(m.roomId).delete(m.seq))}
          >
            Delete
          </button>
        </div>
      )}
    </li>
  );
}
