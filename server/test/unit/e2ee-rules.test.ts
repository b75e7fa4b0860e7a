import { randomUUID } from 'node:crypto';
import { limits } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { call, connect, request, type TestSocket } from '../helpers/socket-client';
import { startEmbeddedNode, type TestNode } from '../helpers/start-node';

const cipher = Buffer.from('opaque ciphertext bytes').toString('base64');

/** What the server enforces for E2EE rooms and the key directory (embedded engine). */
describe('e2ee rules', () => {
  let node: TestNode;
  const sockets: TestSocket[] = [];
  beforeAll(async () => {
    node = await startEmbeddedNode();
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await node.stop();
  });

  async function pair() {
    const [ann, ben] = await Promise.all([signUp(node.url), signUp(node.url)]);
    const sa = await connect(node.url, ann.accessToken);
    const sb = await connect(node.url, ben.accessToken);
    sockets.push(sa, sb);
    return { ann, ben, sa, sb };
  }

  it('an E2EE room takes only MLS kinds with base64 bodies; a plain room refuses them', async () => {
    const { ben, sa } = await pair();
    const secret = await call(sa, 'room:create', {
      name: 's',
      memberIds: [ben.user.id],
      e2ee: true,
    });
    expect(secret.e2ee).toBe(true);
    const plain = await call(sa, 'room:create', { name: 'p' });
    expect(plain.e2ee).toBeUndefined();
    const send = (roomId: string, body: string, kind?: 'mls-app' | 'mls-commit' | 'mls-welcome') =>
      request(sa, 'message:send', {
        roomId,
        clientMsgId: randomUUID(),
        body,
        ...(kind ? { kind } : {}),
      });

    const plaintext = await send(secret.id, 'hello');
    expect(plaintext.ok || plaintext.error.code).toBe('ROOM_IS_E2EE');
    const mlsInPlain = await send(plain.id, cipher, 'mls-app');
    expect(mlsInPlain.ok || mlsInPlain.error.code).toBe('ROOM_NOT_E2EE');
    const notBase64 = await send(secret.id, 'not base64!', 'mls-app');
    expect(notBase64.ok || notBase64.error.code).toBe('VALIDATION');
    const tooBig = await send(secret.id, 'A'.repeat(limits.e2eeBodyMaxChars + 4), 'mls-app');
    expect(tooBig.ok || tooBig.error.code).toBe('VALIDATION');
    // A plaintext body keeps its own, smaller cap.
    const longPlain = await send(plain.id, 'x'.repeat(limits.messageBodyMaxChars + 1));
    expect(longPlain.ok || longPlain.error.code).toBe('VALIDATION');

    for (const kind of ['mls-commit', 'mls-welcome', 'mls-app'] as const) {
      const ack = await send(secret.id, cipher, kind);
      expect(ack.ok && ack.data.kind).toBe(kind);
    }
    const page = await call(sa, 'history:fetch', { roomId: secret.id, after: 0 });
    expect(page.messages.map((m) => [m.kind, m.body])).toEqual([
      ['mls-commit', cipher],
      ['mls-welcome', cipher],
      ['mls-app', cipher],
    ]);
    const edit = await request(sa, 'message:edit', { roomId: secret.id, seq: 3, body: 'plain' });
    expect(edit.ok || edit.error.code).toBe('ROOM_IS_E2EE');
    // Moderation by message id still works on ciphertext.
    expect((await call(sa, 'message:delete', { roomId: secret.id, seq: 3 })).deleted).toBe(true);
  });

  it('an E2EE room cannot be public; E2EE and plain DMs of a pair are apart', async () => {
    const { ben, sa } = await pair();
    const pub = await request(sa, 'room:create', { name: 'x', e2ee: true, public: true });
    expect(pub.ok || pub.error.code).toBe('VALIDATION');
    const plainDm = await call(sa, 'dm:open', { userId: ben.user.id });
    const e2eeDm = await call(sa, 'dm:open', { userId: ben.user.id, e2ee: true });
    expect(e2eeDm.id).not.toBe(plainDm.id);
    expect(e2eeDm.e2ee).toBe(true);
    expect((await call(sa, 'dm:open', { userId: ben.user.id, e2ee: true })).id).toBe(e2eeDm.id);
  });

  it('key directory: bounded upload, count, claim-once for members of an E2EE room', async () => {
    const { ann, ben, sa, sb } = await pair();
    const kps = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        Buffer.from(`kp-${i}-${randomUUID()}`).toString('base64'),
      );
    const uploaded = kps(3);
    expect(await call(sb, 'keys:upload', { deviceId: 'ben-phone', keyPackages: uploaded })).toEqual(
      {
        deviceId: 'ben-phone',
        remaining: 3,
      },
    );
    const bad = await request(sb, 'keys:upload', { deviceId: 'ben phone', keyPackages: kps(1) });
    expect(bad.ok || bad.error.code).toBe('VALIDATION');
    const notB64 = await request(sb, 'keys:upload', { deviceId: 'd', keyPackages: ['%%%%'] });
    expect(notB64.ok || notB64.error.code).toBe('VALIDATION');
    // Bounded per device: 3 + 98 > keyPackagesPerDeviceMax.
    let full = await request(sb, 'keys:upload', { deviceId: 'ben-phone', keyPackages: kps(50) });
    expect(full.ok).toBe(true);
    full = await request(sb, 'keys:upload', { deviceId: 'ben-phone', keyPackages: kps(48) });
    expect(full.ok || full.error.code).toBe('CONFLICT');
    expect(await call(sb, 'keys:count', { deviceId: 'ben-phone' })).toEqual({
      deviceId: 'ben-phone',
      remaining: 53,
    });

    const plain = await call(sa, 'room:create', { name: 'p' });
    const wrongRoom = await request(sa, 'keys:claim', { roomId: plain.id, userIds: [ben.user.id] });
    expect(wrongRoom.ok || wrongRoom.error.code).toBe('ROOM_NOT_E2EE');
    const secret = await call(sa, 'room:create', { name: 's', e2ee: true });
    const outsider = await request(sb, 'keys:claim', { roomId: secret.id, userIds: [ann.user.id] });
    expect(outsider.ok || outsider.error.code).toBe('FORBIDDEN');
    // Only users in the room: invite first, then claim.
    const notInvited = await request(sa, 'keys:claim', {
      roomId: secret.id,
      userIds: [ben.user.id],
    });
    expect(notInvited.ok || notInvited.error.code).toBe('FORBIDDEN');
    await call(sa, 'room:invite', { roomId: secret.id, userIds: [ben.user.id] });

    const seen = new Set<string>();
    for (let i = 0; i < 53; i++) {
      const { packages, exhausted } = await call(sa, 'keys:claim', {
        roomId: secret.id,
        userIds: [ben.user.id],
      });
      expect(exhausted).toEqual([]);
      expect(packages).toHaveLength(1);
      seen.add(packages[0]!.keyPackage);
    }
    expect(seen.size).toBe(53);
    const empty = await call(sa, 'keys:claim', { roomId: secret.id, userIds: [ben.user.id] });
    expect(empty).toEqual({
      packages: [],
      exhausted: [{ userId: ben.user.id, deviceId: 'ben-phone' }],
    });
    expect(await call(sb, 'keys:count', { deviceId: 'ben-phone' })).toEqual({
      deviceId: 'ben-phone',
      remaining: 0,
    });
  });
});
