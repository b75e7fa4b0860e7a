import { useState } from 'preact/hooks';
import type { ChatStore } from './chat-store';
import { Lock } from './lock';

/** Rooms with unread counts, plus creating a room and opening a direct message. */
export function RoomList(props: { store: ChatStore }) {
  const { store } = props;
  const [roomName, setRoomName] = useState('');
  const [encrypted, setEncrypted] = useState(false);
  const [dmName, setDmName] = useState('');
  const rooms = [...store.rooms.values()].sort((a, b) =>
    store.roomTitle(a).localeCompare(store.roomTitle(b)),
  );

  return (
    <nav class="rooms" aria-label="Rooms">
      <h2 class="side-title">Rooms</h2>
      <ul class="room-list">
        {rooms.map((room) => {
          const peer =
            room.kind === 'dm'
              ? store.members.get(room.id)?.find((id) => id !== store.myId)
              : undefined;
          const current = room.id === store.activeRoomId;
          return (
            <li key={room.id}>
              <button
                type="button"
                class={`room ${current ? 'current' : ''}`}
                aria-current={current ? 'page' : undefined}
                onClick={() => void store.openRoom(room.id)}
              >
                {peer && (
                  <span
                    class={`dot ${store.presence.get(peer) === 'online' ? 'online' : ''}`}
                    aria-label={store.presence.get(peer) === 'online' ? 'online' : 'offline'}
                  />
                )}
                <span class="room-name">{store.roomTitle(room)}</span>
                {room.e2ee && <Lock />}
                {room.unread > 0 && (
                  <span class="unread" aria-label={`${room.unread} unread`}>
                    {room.unread}
                  </span>
                )}
              </button>
            </li>
          );
        })}
        {rooms.length === 0 && <li class="muted pad">No rooms yet.</li>}
      </ul>
      <form
        class="side-form"
        onSubmit={(e) => {
          e.preventDefault();
          const name = roomName.trim();
          if (!name) return;
          void store.run(async () => {
            // An E2EE room is created by the session: it makes the MLS group too.
            const room = encrypted
              ? await (await store.e2eeSession()).createRoom(name)
              : await store.client.rooms.create({ name });
            setRoomName('');
            setEncrypted(false);
            await store.loadRooms();
            await store.openRoom(room.id);
          });
        }}
      >
        <label for="new-room">New room</label>
        <div class="row">
          <input
            id="new-room"
            placeholder="room name"
            maxLength={100}
            value={roomName}
            onInput={(e) => setRoomName(e.currentTarget.value)}
          />
          <button type="submit">Create</button>
        </div>
        <label class="check">
          <input
            type="checkbox"
            checked={encrypted}
            onChange={(e) => setEncrypted(e.currentTarget.checked)}
          />{' '}
          End-to-end encrypted
        </label>
      </form>
      <form
        class="side-form"
        onSubmit={(e) => {
          e.preventDefault();
          const name = dmName.trim();
          if (!name) return;
          void store.run(async () => {
            const user = await store.client.users.find(name);
            if (!user) throw new Error(`no user named ${name}`);
            const room = await store.client.rooms.openDm(user.id);
            setDmName('');
            await store.loadRooms();
            await store.openRoom(room.id);
          });
        }}
      >
        <label for="new-dm">Direct message</label>
        <div class="row">
          <input
            id="new-dm"
            placeholder="username"
            value={dmName}
            onInput={(e) => setDmName(e.currentTarget.value)}
          />
          <button type="submit">Open</button>
        </div>
      </form>
    </nav>
  );
}
