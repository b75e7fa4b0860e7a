/**
 * A terminal chat client on the Parley SDK.
 *
 *   npx tsx client-sdk/examples/cli-chat.ts --url http://127.0.0.1:3000 --user alice --password 'correct horse battery' --register
 *
 * Type to send to the current room. Commands: /rooms, /create <name> [userId…], /join <roomId>,
 * /use <roomId>, /dm <userId>, /invite <userId…>, /history, /who, /read, /quit.
 * Sends typed while the server is unreachable wait in the outbox and go out on reconnect.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { createParleyClient, isParleyError, type Message } from '../src/index';

const { values } = parseArgs({
  options: {
    url: { type: 'string', multiple: true, default: ['http://127.0.0.1:3000'] },
    user: { type: 'string' },
    password: { type: 'string', default: process.env.PARLEY_PASSWORD },
    register: { type: 'boolean', default: false },
    room: { type: 'string' },
  },
});
if (!values.user || !values.password) {
  console.error(
    'usage: cli-chat.ts --url <url> [--url <url2>…] --user <name> --password <pw> [--register] [--room <id>]',
  );
  process.exit(2);
}
const credentials = { username: values.user, password: values.password };
const urls = values.url ?? [];

if (values.register) {
  // Registration is not part of the SDK (apps usually have their own sign-up flow).
  const res = await fetch(new URL('/auth/register', urls[0]), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(credentials),
  });
  if (res.status !== 201 && res.status !== 409) {
    console.error(`register failed: ${res.status} ${await res.text()}`);
    process.exit(1);
  }
}

const client = createParleyClient({ url: urls, credentials });
const rl = createInterface({ input: process.stdin, output: process.stdout });
// Iterate from the start, so lines typed (or piped) while we sign in are not lost.
const lines = rl[Symbol.asyncIterator]();
const names = new Map<string, string>();
let current = values.room;

const print = (line: string) => {
  process.stdout.write(`\r\x1b[K${line}\n`);
  rl.prompt(true);
};
const show = (m: Message) => {
  const who =
    m.senderId === client.userId ? 'me' : (names.get(m.senderId) ?? m.senderId.slice(0, 8));
  const where = m.roomId === current ? '' : `[${m.roomId.slice(0, 8)}] `;
  print(`${where}#${m.seq} ${who}: ${m.deleted ? '(deleted)' : m.body}`);
};

client.status.subscribe((status, error) =>
  print(`* ${status}${error ? ` (${error.message})` : ''}`),
);
client.on('message:created', show);
// Older than what is already on screen: printed where it lands, marked so.
client.on('message:late', (m) => {
  print('* late:');
  show(m);
});
client.on('room:added', (r) => print(`* added to ${r.name} (${r.id.slice(0, 8)})`));
client.on('room:removed', (r) => print(`* removed from ${r.roomId.slice(0, 8)} (${r.reason})`));
client.on('message:updated', (m) => print(`* #${m.seq} edited: ${m.body}`));
client.on('typing:changed', (t) => {
  if (t.typing && t.roomId === current)
    print(`* ${names.get(t.userId) ?? t.userId.slice(0, 8)} is typing…`);
});
client.on('member:joined', (m) =>
  print(`* ${m.userId.slice(0, 8)} joined ${m.roomId.slice(0, 8)}`),
);
client.on('outbox:failed', (error, entry) =>
  print(
    `! ${error.maybeStored ? 'maybe not sent' : 'not sent'} "${entry.body}": ${error.code} ${error.message}`,
  ),
);

await client.status.waitFor(['connected', 'auth-failed']);
if (client.status.value === 'auth-failed') {
  console.error(`sign-in failed: ${client.status.error?.message}`);
  process.exit(1);
}
if (!current) current = (await client.rooms.list())[0]?.id;
print(`signed in as ${values.user}; room: ${current ?? '(none: /create a room)'}`);

rl.setPrompt('> ');
rl.prompt();
for (let next = await lines.next(); !next.done; next = await lines.next()) {
  const line: string = next.value;
  const [command, ...args] = line.trim().split(/\s+/);
  try {
    switch (command) {
      case '':
        break;
      case '/quit':
        client.close();
        rl.close();
        process.exit(0);
        break;
      case '/rooms':
        for (const r of await client.rooms.list())
          print(
            `${r.id}  ${r.kind}  ${r.name}  unread ${r.unread}${r.id === current ? '  (current)' : ''}`,
          );
        break;
      case '/create': {
        const [name = 'chat', ...memberIds] = args;
        const room = await client.rooms.create({ name, memberIds });
        current = room.id;
        print(`created ${room.id}`);
        break;
      }
      case '/join':
        current = (await client.rooms.join(args[0] ?? '')).id;
        print(`joined ${current}`);
        break;
      case '/use':
        current = args[0];
        break;
      case '/dm':
        current = (await client.rooms.openDm(args[0] ?? '')).id;
        print(`direct room ${current}`);
        break;
      case '/invite':
        if (current) print(`added ${(await client.rooms.invite(current, args)).added.join(', ')}`);
        break;
      case '/history':
        if (current)
          for (const m of (await client.room(current).history({ limit: 20 })).messages.reverse())
            show(m);
        break;
      case '/who':
        if (current)
          for (const p of await client.presence.query({ roomId: current }))
            print(`${p.userId}  ${p.status}`);
        break;
      case '/read':
        if (current) print(`read up to ${(await client.room(current).markRead()).readSeq}`);
        break;
      default:
        if (!current) {
          print('no room yet: /create <name> or /join <roomId>');
          break;
        }
        // Not awaited: the outbox retries until acked, and the echo comes back in order.
        client
          .room(current)
          .send(line)
          .catch(() => undefined);
    }
  } catch (err) {
    print(`! ${isParleyError(err) ? `${err.code}: ${err.message}` : String(err)}`);
  }
  rl.prompt();
}
