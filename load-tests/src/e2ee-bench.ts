/**
 * What end-to-end encryption costs (issue 15), on one cluster node against the real Redis
 * and Cassandra, with the SDK as apps use it:
 *
 *   send→ack   SDK send until the server's ack (E2EE: MLS encryption included), plain
 *              and E2EE rooms interleaved at the same fixed rate
 *   fan-out    SDK send until the other member's SDK hands the app the text (E2EE:
 *              decryption included); sender and receiver share this process's clock
 *   commit     a 100-member group: creating the commit that removes one member, sending
 *              it through the node (emit → ack), and one member processing it; plus the
 *              Welcome and commit sizes. Members other than the committer are MLS states in
 *              this process (the server does not look inside handshakes).
 *
 *   npm run bench:e2ee -- [--messages N] [--rate PER_S] [--members M]
 *                         [--redis URL] [--cassandra HOST:PORT] [--keyspace K]
 *
 * Prints figures, never assertions: see docs/benchmarks.md.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createParleyClient,
  E2eeSession,
  MemoryKeyStore,
  type ParleyClient,
} from '../../client-sdk/src/index';
import { mls } from '../../client-sdk/src/e2ee/mls';
import {
  benchServerEnv,
  generateSigningKey,
  migrate,
  nodeEnv,
  startNode,
  stopNodes,
} from './lib/nodes';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200' },
    rate: { type: 'string', default: '20' },
    members: { type: 'string', default: '100' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6390' },
    cassandra: { type: 'string', default: '127.0.0.1:9042' },
    keyspace: { type: 'string', default: 'parley_bench' },
  },
});
const messages = Number(values.messages);
const rate = Number(values.rate);
const members = Number(values.members);
for (const [name, value] of [
  ['redis', values.redis],
  ['cassandra', values.cassandra],
] as const) {
  // Load traffic stays on this machine.
  if (!/(^|\/\/)127\.\d+\.\d+\.\d+[:/]?/.test(value)) throw new Error(`--${name} must be loopback`);
}
if (!Number.isInteger(messages) || messages < 10) throw new Error('--messages must be >= 10');
if (!(rate > 0 && rate <= 500)) throw new Error('--rate must be in (0, 500]');
if (!Number.isInteger(members) || members < 2 || members > 130)
  throw new Error('--members must be 2..130 (the Welcome must fit one socket frame)');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const row = (name: string, xs: number[]) =>
  `${name.padEnd(18)} ${pct(xs, 50).toFixed(2).padStart(8)} ${pct(xs, 99).toFixed(2).padStart(8)} ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2).padStart(8)}`;

async function account(url: string, name: string) {
  const credentials = { username: name, password: 'bench-password-1' };
  const post = (path: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(credentials),
    });
  const registered = await post('/auth/register');
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status}`);
  const login = (await (await post('/auth/login')).json()) as { user: { id: string } };
  return { ...credentials, id: login.user.id };
}

function client(url: string, who: { username: string; password: string }): ParleyClient {
  return createParleyClient({
    url,
    credentials: { username: who.username, password: who.password },
    watchBrowserNetwork: false,
  });
}

async function main() {
  const runId = randomBytes(3).toString('hex');
  const env = nodeEnv({
    ...benchServerEnv(`bench:${runId}:`),
    REDIS_URL: values.redis,
    CASSANDRA_CONTACT_POINTS: values.cassandra,
    CASSANDRA_KEYSPACE: values.keyspace,
  });
  console.log(`[e2ee] ${await migrate(repoRoot, env)}`);
  const node = await startNode('node-1', repoRoot, {
    ...env,
    JWT_PRIVATE_KEY: generateSigningKey(),
    NODE_ID: `e2ee-${runId}`,
  });
  node.child.stdout?.resume();
  const clients: ParleyClient[] = [];
  try {
    const [alice, bob] = [
      await account(node.url, `ea${runId}`),
      await account(node.url, `eb${runId}`),
    ];
    const [ca, cb] = [client(node.url, alice), client(node.url, bob)];
    clients.push(ca, cb);
    await Promise.all([ca.status.waitFor('connected'), cb.status.waitFor('connected')]);
    const [sa, sb] = [
      await E2eeSession.start(ca, { store: new MemoryKeyStore() }),
      await E2eeSession.start(cb, { store: new MemoryKeyStore() }),
    ];
    const secret = await sa.createRoom('bench e2ee', [bob.id]);
    const plain = await ca.rooms.create({ name: 'bench plain', memberIds: [bob.id] });
    await new Promise<void>((done) => {
      if (sb.members(secret.id).length === 2) return done();
      const off = sb.onEpoch(() => {
        if (sb.members(secret.id).length !== 2) return;
        off();
        done();
      });
    });

    // Fan-out: the receiver notes when each tagged text reaches the app.
    const arrived = new Map<string, number>();
    sb.onMessage((m) => {
      if ('text' in m) arrived.set(m.text, performance.now());
    });
    cb.on('message:created', (m) => {
      if (m.roomId === plain.id) arrived.set(m.body, performance.now());
    });

    const ack = { plain: [] as number[], e2ee: [] as number[] };
    const fan = { plain: [] as number[], e2ee: [] as number[] };
    const started = new Map<string, number>();
    const loadBefore = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const gapMs = 1000 / rate;
    const inflight: Promise<void>[] = [];
    const t0 = performance.now();
    for (let i = 0; i < messages * 2; i++) {
      // A fixed schedule (open loop), alternating plain and E2EE sends.
      const due = t0 + i * gapMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const kind = i % 2 === 0 ? 'plain' : 'e2ee';
      const text = `${kind} ${i} ${'x'.repeat(80)}`;
      const begin = performance.now();
      started.set(text, begin);
      const sending = kind === 'plain' ? ca.room(plain.id).send(text) : sa.send(secret.id, text);
      inflight.push(
        sending.then(() => {
          ack[kind].push(performance.now() - begin);
        }),
      );
    }
    await Promise.all(inflight);
    // Every text must reach bob before fan-out figures are read.
    const deadline = Date.now() + 30_000;
    while (arrived.size < messages * 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    for (const [text, begin] of started) {
      const at = arrived.get(text);
      if (at !== undefined) fan[text.startsWith('plain') ? 'plain' : 'e2ee'].push(at - begin);
    }
    console.log(
      `[e2ee] ${messages} plain + ${messages} E2EE sends at ${rate}/s, one node, 2 members, ~90-char texts`,
    );
    console.log(
      `[e2ee] load avg ${loadBefore} -> ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `[e2ee] delivered to the other member: plain ${fan.plain.length}, e2ee ${fan.e2ee.length}`,
    );
    console.log('measure               p50 ms   p99 ms  mean ms');
    console.log(row('send→ack plain', ack.plain));
    console.log(row('send→ack e2ee', ack.e2ee));
    console.log(row('fan-out plain', fan.plain));
    console.log(row('fan-out e2ee', fan.e2ee));

    // ---- commit time in a group of `members` ----
    const m = await mls();
    const packages = await Promise.all(
      Array.from({ length: members }, (_, i) => m.newKeyPackage(`u${i}`, 'd')),
    );
    const first = packages[0]!;
    let committer = await m.m.createGroup(
      m.textEncode(secret.id),
      first.publicPackage,
      first.privatePackage,
      [],
      m.impl,
    );
    let at = performance.now();
    const added = await m.m.createCommit(
      { state: committer, cipherSuite: m.impl },
      {
        ratchetTreeExtension: true,
        extraProposals: packages
          .slice(1)
          .map((p) => ({ proposalType: 'add' as const, add: { keyPackage: p.publicPackage } })),
      },
    );
    const addMs = performance.now() - at;
    committer = added.newState;
    const welcome = m.encode({
      welcome: added.welcome!,
      wireformat: 'mls_welcome',
      version: 'mls10',
    });
    at = performance.now();
    let member = await m.m.joinGroup(
      added.welcome!,
      packages[1]!.publicPackage,
      packages[1]!.privatePackage,
      m.m.emptyPskIndex,
      m.impl,
    );
    const joinMs = performance.now() - at;
    const room = await ca.request('room:create', { name: 'bench commit', e2ee: true });
    ca.trackRoom(room.id, 0);
    const rounds = { create: [] as number[], ack: [] as number[], process: [] as number[] };
    let commitChars = 0;
    // Remove and re-add a member each round, so the group stays at `members`.
    for (let round = 0; round < 10; round++) {
      const leaf = 2 + (round % (members - 2));
      for (const proposal of [
        { proposalType: 'remove' as const, remove: { removed: leaf } },
        {
          proposalType: 'add' as const,
          add: { keyPackage: (await m.newKeyPackage(`r${round}`, 'd')).publicPackage },
        },
      ]) {
        at = performance.now();
        const result = await m.m.createCommit(
          { state: committer, cipherSuite: m.impl },
          { extraProposals: [proposal], ratchetTreeExtension: proposal.proposalType === 'add' },
        );
        rounds.create.push(performance.now() - at);
        const body = m.encode(result.commit);
        if (proposal.proposalType === 'remove') commitChars = body.length;
        at = performance.now();
        await ca.send(room.id, body, { kind: 'mls-commit' });
        rounds.ack.push(performance.now() - at);
        at = performance.now();
        const processed = await m.m.processMessage(
          result.commit as Parameters<typeof m.m.processMessage>[0],
          member,
          m.m.emptyPskIndex,
          m.m.acceptAll,
          m.impl,
        );
        rounds.process.push(performance.now() - at);
        member = processed.newState;
        committer = result.newState;
      }
    }
    console.log(
      `[e2ee] MLS group of ${members} (${m.impl.name}), 20 commits (10 removes, 10 adds)`,
    );
    console.log(
      `[e2ee] building the group: one commit adding ${members - 1} ${addMs.toFixed(0)} ms, Welcome ${welcome.length} base64 chars, joining from it ${joinMs.toFixed(0)} ms`,
    );
    console.log(`[e2ee] remove commit ${commitChars} base64 chars`);
    console.log('measure               p50 ms   p99 ms  mean ms');
    console.log(row('commit create', rounds.create));
    console.log(row('commit send→ack', rounds.ack));
    console.log(row('commit process', rounds.process));
    sa.close();
    sb.close();
  } finally {
    for (const c of clients) c.close();
    await stopNodes([node]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
