import { randomUUID } from 'node:crypto';
import { type Ack, limits, requestSchemas } from '@parley/contract';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { call, collect, socketPool, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Events in one fast-check run, and runs: RUNS × EVENTS_PER_RUN ≥ 10,000 per `npm test`. */
const RUNS = 5;
const EVENTS_PER_RUN = 2_000;
/** Emits in flight at once (a hostile client does not wait for answers). */
const CONCURRENCY = 64;
/** No answer may be bigger than this (the fuzzer's payloads stay well below it). */
const MAX_ACK_BYTES = 64 * 1024;
const ANSWER_TIMEOUT_MS = 20_000;

/** Socket.IO refuses to emit these on the client; a server never sees them. */
const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
const REQUEST_EVENTS = Object.keys(requestSchemas);
const KEYS = [
  'roomId',
  'userId',
  'userIds',
  'memberIds',
  'seq',
  'body',
  'name',
  'clientMsgId',
  'acks',
  'before',
  'after',
  'limit',
  'typing',
  'token',
  'public',
  'attempt',
  '__proto__',
  'constructor',
];

type ArgShape = 'payload+ack' | 'ack-only' | 'payload-only' | 'nothing' | 'extra-args';
interface Emit {
  socket: number;
  event: string;
  payload: unknown;
  shape: ArgShape;
}

/**
 * A socket fuzzer on three nodes (real Redis + Cassandra): thousands of random, malformed and
 * half-valid emits. Asserts: no node crashes or drops a socket, every emit is answered (an
 * ack, or `error:raised` when it had no callback), never INTERNAL, no answer over the cap,
 * error answers within the contract's error cap, and normal messaging works afterwards.
 */
describe('socket fuzz (fast-check, three nodes)', () => {
  const cluster = createTestCluster();
  let nodes: TestNode[];
  const pool = socketPool();
  const sockets: TestSocket[] = [];
  const userIds: string[] = [];
  let roomId = '';
  let raisedTotal = 0;
  let disconnects = 0;
  let onRaised = () => undefined as void;

  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
    const users = await Promise.all(nodes.map((n) => signUp(n.url)));
    for (const [i, user] of users.entries()) {
      userIds.push(user.user.id);
      // Two sockets per user, on different nodes.
      for (const n of [i, (i + 1) % 3]) {
        const socket = await pool.open(nodes[n]!.url, user.accessToken);
        socket.on('error:raised', () => {
          raisedTotal++;
          onRaised();
        });
        socket.on('disconnect', () => disconnects++);
        sockets.push(socket);
      }
    }
    const room = await call(sockets[0]!, 'room:create', { name: 'fuzz', memberIds: userIds });
    roomId = room.id;
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });

  const value = fc.letrec<{ any: unknown }>((tie) => ({
    any: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.constantFrom(0, -1, 1, 2 ** 31, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, -0, 0.5),
      fc.double(),
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('\uD800', 'a\uDC00b', '😀', '', ' ', 'x'.repeat(4001)),
      fc.uuid(),
      fc.constant('ROOM'),
      fc.constant('USER'),
      fc.uint8Array({ maxLength: 4096 }),
      fc.array(tie('any'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom(...KEYS), tie('any'), { maxKeys: 4 }),
    ),
  })).any;

  const payload = fc.oneof(
    { weight: 6, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 6 }) },
    { weight: 1, arbitrary: value },
    {
      weight: 2,
      arbitrary: fc.record({
        acks: fc.array(fc.record({ roomId: fc.constant('ROOM'), seq: value }), { maxLength: 3 }),
      }),
    },
  );

  const emit: fc.Arbitrary<Emit> = fc.record({
    socket: fc.nat({ max: 5 }),
    event: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...REQUEST_EVENTS) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }).filter((e) => !RESERVED.has(e)) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '__proto__',
          'constructor',
          'toString',
          'room:nope',
          'x'.repeat(500),
        ),
      },
    ),
    payload,
    shape: fc.constantFrom<ArgShape>(
      'payload+ack',
      'payload+ack',
      'payload+ack',
      'payload+ack',
      'payload+ack',
      'payload+ack',
      'ack-only',
      'payload-only',
      'nothing',
      'extra-args',
    ),
  });

  /** Puts the live room and user ids where the fuzzer wrote placeholders, so some hits land. */
  function resolve(v: unknown, k: number): unknown {
    if (v === 'ROOM') return roomId;
    if (v === 'USER') return userIds[k % userIds.length];
    if (Array.isArray(v)) return v.map((x, i) => resolve(x, k + i));
    if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
      const out: Record<string, unknown> = {};
      for (const [key, x] of Object.entries(v)) out[key] = resolve(x, k + key.length);
      return out;
    }
    return v;
  }

  it(`answers ${RUNS * EVENTS_PER_RUN} random emits without a crash, an INTERNAL or an oversized ack`, async () => {
    let answered = 0;
    let sent = 0;
    let expectedRaised = 0;
    const problems: string[] = [];
    const codes = new Map<string, number>();

    async function fire(e: Emit, k: number) {
      const socket = sockets[e.socket]!;
      const p = resolve(e.payload, k);
      const send = socket.emit as (event: string, ...args: unknown[]) => void;
      sent++;
      if (e.shape === 'payload-only' || e.shape === 'nothing') {
        expectedRaised++;
        if (e.shape === 'nothing') send.call(socket, e.event);
        else send.call(socket, e.event, p);
        return;
      }
      const ack = await new Promise<unknown>((done, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no answer to ${e.event} (${e.shape})`)),
          ANSWER_TIMEOUT_MS,
        );
        const cb = (answer: unknown) => {
          clearTimeout(timer);
          done(answer);
        };
        if (e.shape === 'ack-only') send.call(socket, e.event, cb);
        else if (e.shape === 'extra-args') send.call(socket, e.event, p, 'extra', 42, cb);
        else send.call(socket, e.event, p, cb);
      });
      answered++;
      const bytes = Buffer.byteLength(JSON.stringify(ack) ?? '', 'utf8');
      const envelope = ack as Ack<unknown> | undefined;
      if (!envelope || typeof envelope.ok !== 'boolean')
        problems.push(`${e.event}: not an ack envelope`);
      else {
        const code = envelope.ok ? 'ok' : envelope.error.code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      if (envelope && !envelope.ok) {
        if (envelope.error.code === 'INTERNAL') problems.push(`${e.event}: INTERNAL`);
        if (bytes > limits.errorAckMaxBytes)
          problems.push(`${e.event}: error ack of ${bytes} bytes`);
      }
      if (bytes > MAX_ACK_BYTES) problems.push(`${e.event}: ack of ${bytes} bytes`);
    }

    await fc.assert(
      fc.asyncProperty(
        fc.array(emit, { minLength: EVENTS_PER_RUN, maxLength: EVENTS_PER_RUN }),
        async (emits) => {
          let next = 0;
          await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
              while (next < emits.length) {
                const k = next++;
                await fire(emits[k]!, k);
              }
            }),
          );
          expect(problems.slice(0, 5)).toEqual([]);
          expect(disconnects).toBe(0);
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
    // Emits without a callback were answered with error:raised, one each.
    await new Promise<void>((done) => {
      const timer = setTimeout(done, ANSWER_TIMEOUT_MS);
      onRaised = () => {
        if (raisedTotal >= expectedRaised) {
          clearTimeout(timer);
          done();
        }
      };
      onRaised();
    });
    expect(raisedTotal).toBe(expectedRaised);
    // The fuzzer reached the handlers, not only the validator.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(100);
    for (const code of ['VALIDATION', 'NOT_FOUND', 'FORBIDDEN'])
      expect(codes.get(code)).toBeGreaterThan(0);
    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(answered + expectedRaised).toBe(sent);
    for (const node of nodes) expect((await fetch(`${node.url}/healthz`)).status).toBe(200);

    // And a normal conversation still works, across nodes.
    const [alice, bob] = await Promise.all([signUp(nodes[0]!.url), signUp(nodes[2]!.url)]);
    const sa = await pool.open(nodes[0]!.url, alice.accessToken);
    const sb = await pool.open(nodes[2]!.url, bob.accessToken);
    const room = await call(sa, 'room:create', { name: 'after', memberIds: [bob.user.id] });
    const inbox = collect(sb, 'message:created');
    const sentMsg = await call(sa, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'still fine',
    });
    const [got] = await inbox.until((items) => items.length >= 1);
    expect(got).toMatchObject({ id: sentMsg.id, body: 'still fine' });
  }, 240_000);
});
