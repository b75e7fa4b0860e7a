import { randomUUID } from 'node:crypto';
import type { Message, Room } from '@parley/contract';
import { describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/types';

/** E2EE storage cases (rooms' flag, MLS kinds, key directory) every Stores must pass. */
export function describeE2eeStorageContract(name: string, getStores: () => Stores) {
  describe(`${name} e2ee storage contract`, () => {
    it('rooms keep their e2ee flag; a pair has a plain and an E2EE DM apart', async () => {
      const { rooms } = getStores();
      const [a, b] = [randomUUID(), randomUUID()];
      const base = {
        kind: 'group' as const,
        name: 'g',
        createdBy: a,
        createdAt: new Date().toISOString(),
      };
      const secret: Room = { ...base, id: randomUUID(), e2ee: true };
      const plain: Room = { ...base, id: randomUUID() };
      await rooms.createRoom(secret, [{ userId: a, role: 'owner' }]);
      await rooms.createRoom(plain, [{ userId: a, role: 'owner' }]);
      expect((await rooms.findRoom(secret.id))?.e2ee).toBe(true);
      expect((await rooms.findRoom(plain.id))?.e2ee).toBeUndefined();

      const dm = (e2ee: boolean): Room => ({
        ...base,
        kind: 'dm',
        name: '',
        id: randomUUID(),
        ...(e2ee ? { e2ee: true } : {}),
      });
      const plainDm = await rooms.findOrCreateDirectRoom(dm(false), a, b);
      const e2eeDm = await rooms.findOrCreateDirectRoom(dm(true), b, a);
      expect(e2eeDm.id).not.toBe(plainDm.id);
      expect(e2eeDm.e2ee).toBe(true);
      expect((await rooms.findOrCreateDirectRoom(dm(true), a, b)).id).toBe(e2eeDm.id);
      expect((await rooms.findOrCreateDirectRoom(dm(false), b, a)).id).toBe(plainDm.id);
    });

    it('messages keep their MLS kind; plaintext ones have none', async () => {
      const { messages } = getStores();
      const roomId = randomUUID();
      const base = (seq: number): Message => ({
        roomId,
        seq,
        id: randomUUID(),
        senderId: randomUUID(),
        clientMsgId: randomUUID(),
        body: 'AAAA',
        createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
      });
      await messages.appendMessage({ ...base(1), kind: 'mls-commit' });
      await messages.appendMessage({ ...base(2), kind: 'mls-welcome' });
      await messages.appendMessage({ ...base(3), kind: 'mls-app' });
      await messages.appendMessage(base(4));
      const rows = await messages.listMessagesAfter(roomId, 0, 10);
      expect(rows.map((m) => m.kind)).toEqual(['mls-commit', 'mls-welcome', 'mls-app', undefined]);
      const [byUser] = await messages.listMessagesOfUser(rows[2]!.senderId, undefined, 5);
      expect(byUser?.kind).toBe('mls-app');
    });

    it('key directory: upload, count, claim each package once', async () => {
      const { keys } = getStores();
      const user = randomUUID();
      expect(await keys.listDevices(user)).toEqual([]);
      await keys.addKeyPackages(user, 'phone', ['p1', 'p2']);
      await keys.addKeyPackages(user, 'phone', ['p3']);
      await keys.addKeyPackages(user, 'laptop', ['l1']);
      expect(await keys.countKeyPackages(user, 'phone')).toBe(3);
      const devices = await keys.listDevices(user);
      expect(devices.sort((x, y) => x.deviceId.localeCompare(y.deviceId))).toEqual([
        { deviceId: 'laptop', remaining: 1 },
        { deviceId: 'phone', remaining: 3 },
      ]);
      expect(['p1', 'p2', 'p3']).toContain(await keys.claimKeyPackage(user, 'phone'));
      expect(await keys.claimKeyPackage(user, 'laptop')).toBe('l1');
      expect(await keys.claimKeyPackage(user, 'laptop')).toBeUndefined();
      // An exhausted device is still listed, with nothing left: claimers learn it exists.
      expect((await keys.listDevices(user)).find((d) => d.deviceId === 'laptop')).toEqual({
        deviceId: 'laptop',
        remaining: 0,
      });
      expect(await keys.countKeyPackages(user, 'phone')).toBe(2);
    });

    it('key directory: concurrent claims never hand one package out twice', async () => {
      const { keys } = getStores();
      const user = randomUUID();
      const uploaded = Array.from({ length: 6 }, (_, i) => `pkg-${i}`);
      await keys.addKeyPackages(user, 'd1', uploaded);
      // Twelve claimers race for six packages.
      const got = await Promise.all(
        Array.from({ length: 12 }, () => keys.claimKeyPackage(user, 'd1')),
      );
      const handed = got.filter((p): p is string => p !== undefined);
      expect(new Set(handed).size).toBe(handed.length);
      expect(handed.every((p) => uploaded.includes(p))).toBe(true);
      // Contention may make a claimer give up, or (Cassandra: a Paxos round that timed out)
      // lose a package to nobody, but never hand one out twice.
      const rest = await keys.countKeyPackages(user, 'd1');
      expect(handed.length + rest).toBeLessThanOrEqual(uploaded.length);
      expect(handed.length).toBeGreaterThan(0);
    });
  });
}
