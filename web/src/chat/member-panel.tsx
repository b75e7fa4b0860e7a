import type { RoomSummary } from '@parley/client-sdk';
import { useState } from 'preact/hooks';
import type { ChatStore } from './chat-store';

/** Members with presence dots; group rooms take invites by username. */
export function MemberPanel(props: { store: ChatStore; room: RoomSummary }) {
  const { store, room } = props;
  const [name, setName] = useState('');
  const members = store.members.get(room.id) ?? [];
  return (
    <aside class="members" aria-label="Members">
      <h2>Members</h2>
      <ul>
        {members.map((id) => {
          const online = store.presence.get(id) === 'online';
          return (
            <li key={id} class="row">
              <span class={`dot ${online ? 'online' : ''}`} aria-hidden="true" />
              <span>
                {store.nameOf(id)}
                {id === store.myId && ' (you)'}
              </span>
              <span class="visually-hidden">{online ? 'online' : 'offline'}</span>
            </li>
          );
        })}
      </ul>
      {room.kind === 'group' && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            const username = name.trim();
            if (!username) return;
            void store.run(async () => {
              const user = await store.client.users.find(username);
              if (!user) throw new Error(`no user named ${username}`);
              // E2EE rooms: the session also adds the user's devices to the MLS group.
              const e2ee = room.e2ee ? await store.e2eeSession() : undefined;
              if (e2ee) await e2ee.invite(room.id, [user.id]);
              else await store.client.rooms.invite(room.id, [user.id]);
              setName('');
              await store.loadMembers(room.id);
              // Only a device with keys in the directory can join the group (a client uploads
              // them when it starts its E2EE session): say so rather than fail silently.
              if (e2ee && !e2ee.members(room.id).some((x) => x.userId === user.id))
                throw new Error(
                  `${username} is in the room but has no device ready for encrypted rooms yet: they cannot read it`,
                );
            });
          }}
        >
          <label for="invite">Invite</label>
          <div class="row">
            <input
              id="invite"
              placeholder="username"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
            <button type="submit">Invite</button>
          </div>
        </form>
      )}
    </aside>
  );
}
