import type {
  HistoryPage,
  Message,
  Presence,
  Room,
  RoomMember,
  RoomSummary,
} from '@parley/contract';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type ConnectionStatus,
  type SentMessage,
  createParleyClient,
  type ParleyError,
  type ParleyErrorCode,
  type RequestPayload,
  type ResponseData,
} from '../../src/index';

const client = createParleyClient({
  url: 'http://localhost:3000',
  token: 'jwt',
  autoConnect: false,
});
const roomId = '00000000-0000-4000-8000-000000000001';

describe('client.on', () => {
  it('types handler payloads from ServerToClientEvents', () => {
    client.on('message:created', (message) => {
      expectTypeOf(message).toEqualTypeOf<Message>();
    });
    client.on('typing:changed', (typing) => {
      expectTypeOf(typing).toEqualTypeOf<{ roomId: string; userId: string; typing: boolean }>();
    });
    client.on('auth:expired', (info) => {
      expectTypeOf(info.graceMs).toBeNumber();
    });
    client.on('outbox:failed', (error, entry) => {
      expectTypeOf(error).toEqualTypeOf<ParleyError>();
      expectTypeOf(entry.clientMsgId).toBeString();
      expectTypeOf(error.maybeStored).toEqualTypeOf<boolean | undefined>();
      expectTypeOf(error.attempts).toEqualTypeOf<number | undefined>();
    });
    client.on('message:late', (message) => expectTypeOf(message).toEqualTypeOf<Message>());
    client.on('room:added', (summary) => expectTypeOf(summary).toEqualTypeOf<RoomSummary>());
    client.on('room:removed', (info) =>
      expectTypeOf(info.reason).toEqualTypeOf<'left' | 'kicked' | 'banned'>(),
    );
    expectTypeOf(client.on('presence:changed', () => undefined)).toEqualTypeOf<() => void>();
  });

  it('rejects unknown event names and wrong payload types', () => {
    // @ts-expect-error: not an event (the server says message:created)
    client.on('message:create', () => undefined);
    // @ts-expect-error: requests are not events you can listen to
    client.on('message:send', () => undefined);
    // @ts-expect-error: message:created carries a Message, not a string
    client.on('message:created', (message: string) => message);
    // @ts-expect-error: presence has no body
    client.on('presence:changed', (presence) => presence.body);
  });

  it('room(id).on only accepts events that belong to a room', () => {
    client.room(roomId).on('message:updated', (m) => expectTypeOf(m).toEqualTypeOf<Message>());
    client.room(roomId).on('member:left', (m) => expectTypeOf(m.userId).toBeString());
    client.room(roomId).on('message:late', (m) => expectTypeOf(m).toEqualTypeOf<Message>());
    // @ts-expect-error: room:added is about the user, and its summary has no roomId
    client.room(roomId).on('room:added', () => undefined);
    // @ts-expect-error: presence is per user, not per room
    client.room(roomId).on('presence:changed', () => undefined);
    // @ts-expect-error: sync:required is connection-wide
    client.room(roomId).on('sync:required', () => undefined);
  });
});

describe('requests', () => {
  it('resolve to the ack data type of their event', () => {
    expectTypeOf(client.rooms.create({ name: 'x' })).resolves.toEqualTypeOf<Room>();
    expectTypeOf(client.rooms.join(roomId)).resolves.toEqualTypeOf<RoomSummary>();
    expectTypeOf(client.rooms.list()).resolves.toEqualTypeOf<RoomSummary[]>();
    expectTypeOf(client.rooms.members(roomId)).resolves.toEqualTypeOf<RoomMember[]>();
    expectTypeOf(client.rooms.openDm(roomId)).resolves.toEqualTypeOf<Room>();
    expectTypeOf(client.room(roomId).send('hi')).resolves.toEqualTypeOf<SentMessage>();
    expectTypeOf(client.room(roomId).send('hi')).resolves.toMatchTypeOf<Message>();
    expectTypeOf(client.room(roomId).history({ after: 3 })).resolves.toEqualTypeOf<HistoryPage>();
    expectTypeOf(client.room(roomId).markRead(3)).resolves.toEqualTypeOf<{
      roomId: string;
      readSeq: number;
    }>();
    expectTypeOf(client.presence.query({ roomId })).resolves.toEqualTypeOf<Presence[]>();
    expectTypeOf<ResponseData<'message:send'>>().toEqualTypeOf<Message>();
    expectTypeOf<RequestPayload<'room:join'>>().toEqualTypeOf<{ roomId: string }>();
  });

  it('check event names and payloads of the generic request()', () => {
    expectTypeOf(client.request('room:join', { roomId })).resolves.toEqualTypeOf<RoomSummary>();
    // @ts-expect-error: unknown request
    void client.request('room:destroy', { roomId });
    // @ts-expect-error: wrong payload field
    void client.request('room:join', { room: roomId });
    // @ts-expect-error: body must be a string
    void client.request('message:send', { roomId, clientMsgId: 'x', body: 42 });
    // @ts-expect-error: send takes a string body
    void client.room(roomId).send({ body: 'hi' });
    // @ts-expect-error: give userIds or roomId
    void client.presence.query({});
  });
});

describe('options, status and errors', () => {
  it('accepts credentials or a token provider, not neither or both', () => {
    createParleyClient({
      url: ['http://a', 'http://b'],
      credentials: { username: 'u', password: 'p' },
    });
    createParleyClient({ url: () => 'http://a', token: async () => 'jwt' });
    // @ts-expect-error: needs credentials or a token
    createParleyClient({ url: 'http://a' });
    // @ts-expect-error: not both
    createParleyClient({
      url: 'http://a',
      token: 'jwt',
      credentials: { username: 'u', password: 'p' },
    });
  });

  it('exposes a typed status and error code', () => {
    expectTypeOf(client.status.value).toEqualTypeOf<ConnectionStatus>();
    expectTypeOf<'auth-failed'>().toExtend<ConnectionStatus>();
    expectTypeOf<ParleyError['code']>().toEqualTypeOf<ParleyErrorCode>();
    expectTypeOf<'RATE_LIMITED' | 'TIMEOUT'>().toExtend<ParleyErrorCode>();
    // @ts-expect-error: not a code
    const bad: ParleyErrorCode = 'RATE_LIMIT';
    void bad;
  });
});
