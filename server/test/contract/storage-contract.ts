import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import { describe, expect, it } from 'vitest';
import type { Stores } from '../../src/storage/types';

/** One suite of cases that every Stores implementation must pass. */
export function describeStorageContract(name: string, getStores: () => Stores) {
  const message = (roomId: string, seq: number, over: Partial<Message> = {}): Message => ({
    roomId,
    seq,
    id: randomUUID(),
    senderId: randomUUID(),
    clientMsgId: randomUUID(),
    body: `message ${seq}`,
    createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
    ...over,
  });

  describe(`${name} storage contract`, () => {
    it('users: usernames are unique case-insensitively and records round-trip', async () => {
      const { users } = getStores();
      const name = `user_${randomUUID().slice(0, 8)}`;
      const user = {
        id: randomUUID(),
        username: name,
        passwordHash: 'h1',
        roles: ['user' as const],
        createdAt: new Date(),
      };
      expect(await users.createUser(user)).toBe('created');
      expect(
        await users.createUser({ ...user, id: randomUUID(), username: name.toUpperCase() }),
      ).toBe('username_taken');
      const found = await users.findUserByUsername(name.toUpperCase());
      expect(found?.id).toBe(user.id);
      await users.updatePasswordHash(user.id, 'h2');
      await users.setUserRoles(user.id, ['user', 'admin']);
      const banned = new Date();
      await users.setUserBanned(user.id, banned);
      const after = await users.findUserById(user.id);
      expect(after).toMatchObject({ passwordHash: 'h2', roles: ['admin', 'user'], username: name });
      expect(after?.bannedAt?.getTime()).toBe(banned.getTime());
      await users.setUserBanned(user.id, undefined);
      expect((await users.findUserById(user.id))?.bannedAt).toBeUndefined();
      expect(await users.findUserById(randomUUID())).toBeUndefined();
    });

    it('users and rooms: a paged scan visits each one exactly once', async () => {
      const { users, rooms } = getStores();
      const userIds = await Promise.all(
        [1, 2, 3].map(async () => {
          const id = randomUUID();
          await users.createUser({
            id,
            username: `scan_${id.slice(0, 8)}`,
            passwordHash: 'h',
            roles: ['user'],
            createdAt: new Date(),
          });
          return id;
        }),
      );
      const roomIds = await Promise.all(
        [1, 2, 3].map(async (n) => {
          const id = randomUUID();
          const createdAt = new Date().toISOString();
          await rooms.createRoom(
            { id, kind: 'group', name: `scan ${n}`, createdBy: id, createdAt },
            [],
          );
          return id;
        }),
      );
      // Other tests share the store: walk everything in pages of 2 and look for ours.
      async function walk(scan: (after: string | undefined) => Promise<{ id: string }[]>) {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await scan(after);
          expect(page.length).toBeLessThanOrEqual(2);
          seen.push(...page.map((x) => x.id));
          if (page.length < 2) return seen;
          after = page[page.length - 1]?.id;
        }
      }
      const seenUsers = await walk((after) => users.scanUsers(after, 2));
      const seenRooms = await walk((after) => rooms.scanRooms(after, 2));
      expect(new Set(seenUsers).size).toBe(seenUsers.length);
      expect(new Set(seenRooms).size).toBe(seenRooms.length);
      for (const id of userIds) expect(seenUsers).toContain(id);
      for (const id of roomIds) expect(seenRooms).toContain(id);
    });

    it('tokens: a refresh token rotates once; families revoke', async () => {
      const { tokens } = getStores();
      const record = {
        tokenHash: randomUUID(),
        familyId: randomUUID(),
        userId: randomUUID(),
        expiresAt: new Date(Date.now() + 60_000),
      };
      await tokens.saveRefreshToken(record);
      expect(await tokens.findRefreshToken(record.tokenHash)).toMatchObject({
        familyId: record.familyId,
        userId: record.userId,
      });
      expect(await tokens.claimRefreshTokenRotation(record.tokenHash, new Date())).toBe(true);
      expect(await tokens.claimRefreshTokenRotation(record.tokenHash, new Date())).toBe(false);
      expect((await tokens.findRefreshToken(record.tokenHash))?.rotatedAt).toBeInstanceOf(Date);
      expect(await tokens.isTokenFamilyRevoked(record.familyId)).toBe(false);
      await tokens.revokeTokenFamily(record.familyId, record.userId, new Date());
      expect(await tokens.isTokenFamilyRevoked(record.familyId)).toBe(true);
    });

    it('rooms: members, their rooms, and one DM room per pair', async () => {
      const { rooms } = getStores();
      const [owner, member] = [randomUUID(), randomUUID()];
      const room = {
        id: randomUUID(),
        kind: 'group' as const,
        name: 'general',
        createdBy: owner,
        createdAt: new Date().toISOString(),
      };
      await rooms.createRoom(room, [
        { userId: owner, role: 'owner' },
        { userId: member, role: 'member' },
      ]);
      expect(await rooms.findRoom(room.id)).toEqual(room);
      expect((await rooms.findMember(room.id, owner))?.role).toBe('owner');
      expect((await rooms.listMembers(room.id)).map((m) => m.userId).sort()).toEqual(
        [owner, member].sort(),
      );
      expect((await rooms.listRoomsOfUser(member)).map((r) => r.roomId)).toEqual([room.id]);
      await rooms.removeMember(room.id, member);
      expect(await rooms.findMember(room.id, member)).toBeUndefined();
      expect(await rooms.listRoomsOfUser(member)).toEqual([]);

      const [a, b] = [randomUUID(), randomUUID()];
      const dm = (id: string) => ({
        id,
        kind: 'dm' as const,
        name: '',
        createdBy: a,
        createdAt: new Date().toISOString(),
      });
      const results = await Promise.all([
        rooms.findOrCreateDirectRoom(dm(randomUUID()), a, b),
        rooms.findOrCreateDirectRoom(dm(randomUUID()), b, a),
      ]);
      expect(results[0].id).toBe(results[1].id);
      expect((await rooms.findOrCreateDirectRoom(dm(randomUUID()), a, b)).id).toBe(results[0].id);
    });

    it('messages: rewriting one binding is idempotent and never undoes an edit or delete', async () => {
      const { messages } = getStores();
      const roomId = randomUUID();
      const [a, b] = [message(roomId, 1), message(roomId, 2)];
      await messages.appendMessage(a);
      await messages.appendMessage(b);
      await messages.editMessage(roomId, 1, 'edited', new Date());
      await messages.markMessageDeleted(roomId, 2, new Date());
      // A retry (or a late batchlog replay) of the same binding writes the same values again.
      await messages.appendMessage(a);
      await messages.appendMessage(b);
      const rows = await messages.listMessagesAfter(roomId, 0, 10);
      expect(rows.map((m) => [m.seq, m.body, m.deleted ?? false])).toEqual([
        [1, 'edited', false],
        [2, b.body, true],
      ]);
      expect(await messages.findMessageAt(roomId, 1, a.id)).toMatchObject({ body: 'edited' });
      expect(await messages.findMessageAt(roomId, 1, randomUUID())).toBeUndefined();
    });

    it('messages: the durable binding is decided once (compare-and-set)', async () => {
      const { messages } = getStores();
      const key = { roomId: randomUUID(), senderId: randomUUID(), clientMsgId: randomUUID() };
      const proposal = (seq: number) => ({
        seq,
        id: randomUUID(),
        createdAt: new Date(1_700_000_000_000 + seq).toISOString(),
        bodyHash: `hash-${seq}`,
      });
      const first = proposal(5);
      expect(await messages.decideSendBinding(key, first)).toEqual(first);
      expect(await messages.decideSendBinding(key, proposal(1_006))).toEqual(first);
      // A binding written by a plain append (the fast path) is found as well.
      const stored = message(key.roomId, 3, { senderId: randomUUID() });
      await messages.appendMessage(stored);
      const found = await messages.decideSendBinding(
        { roomId: stored.roomId, senderId: stored.senderId, clientMsgId: stored.clientMsgId },
        proposal(2_000),
      );
      expect(found).toMatchObject({ seq: 3, id: stored.id, createdAt: stored.createdAt });
      expect(found.bodyHash).not.toBe('');
    });

    it('messages: the tail is the newest messages, newest first, across a bucket boundary', async () => {
      const { messages } = getStores();
      const roomId = randomUUID();
      expect(await messages.listTail(roomId, 5)).toEqual([]);
      // Bucket 0 holds 9_998 and 9_999, bucket 1 holds 10_000 and 10_001.
      const stored = [9_998, 9_999, 10_000, 10_001].map((s) => message(roomId, s));
      for (const m of stored) await messages.appendMessage(m);
      await messages.markMessageDeleted(roomId, 10_000, new Date());
      const tail = await messages.listTail(roomId, 3);
      expect(tail).toEqual([
        { seq: 10_001, senderId: stored[3]!.senderId, deleted: false },
        { seq: 10_000, senderId: stored[2]!.senderId, deleted: true },
        { seq: 9_999, senderId: stored[1]!.senderId, deleted: false },
      ]);
      expect((await messages.listTail(roomId, 10)).map((m) => m.seq)).toEqual([
        10_001, 10_000, 9_999, 9_998,
      ]);
    });

    it('messages: append, dedupe lookup, paging across buckets, latest seq', async () => {
      const { messages } = getStores();
      const roomId = randomUUID();
      expect(await messages.findLatestSeq(roomId)).toBe(0);
      const seqs = [1, 2, 9_998, 9_999, 10_000, 10_001, 25_000];
      const stored = seqs.map((s) => message(roomId, s));
      for (const m of [...stored].reverse()) await messages.appendMessage(m);

      expect(await messages.findLatestSeq(roomId)).toBe(25_000);
      const first = stored[0] as Message;
      expect(
        await messages.findMessageByClientMsgId(roomId, first.senderId, first.clientMsgId),
      ).toEqual(first);
      expect(
        await messages.findMessageByClientMsgId(roomId, first.senderId, randomUUID()),
      ).toBeUndefined();
      expect(await messages.findMessage(roomId, 10_000)).toEqual(stored[4]);

      const newest = await messages.listMessagesBefore(roomId, undefined, 3);
      expect(newest.map((m) => m.seq)).toEqual([25_000, 10_001, 10_000]);
      const older = await messages.listMessagesBefore(roomId, 10_000, 3);
      expect(older.map((m) => m.seq)).toEqual([9_999, 9_998, 2]);
      const after = await messages.listMessagesAfter(roomId, 2, 4);
      expect(after.map((m) => m.seq)).toEqual([9_998, 9_999, 10_000, 10_001]);
      expect((await messages.listMessagesAfter(roomId, 10_001, 10)).map((m) => m.seq)).toEqual([
        25_000,
      ]);
      expect(await messages.listMessagesAfter(roomId, 25_000, 10)).toEqual([]);
    });

    it('messages: two messages with one seq are both kept (no overwrite)', async () => {
      const { messages } = getStores();
      const roomId = randomUUID();
      await messages.appendMessage(message(roomId, 5, { body: 'a' }));
      await messages.appendMessage(message(roomId, 5, { body: 'b' }));
      const all = await messages.listMessagesAfter(roomId, 0, 10);
      expect(all.map((m) => m.body).sort()).toEqual(['a', 'b']);
    });

    it('messages: edit and soft delete keep position and row', async () => {
      const { messages } = getStores();
      const roomId = randomUUID();
      const m = message(roomId, 7);
      await messages.appendMessage(m);
      const edited = await messages.editMessage(roomId, 7, 'edited', new Date());
      expect(edited).toMatchObject({ seq: 7, id: m.id, body: 'edited' });
      expect(edited?.editedAt).toBeDefined();
      const deleted = await messages.markMessageDeleted(roomId, 7, new Date());
      expect(deleted).toMatchObject({ seq: 7, deleted: true });
      expect(await messages.editMessage(roomId, 8, 'x', new Date())).toBeUndefined();
    });

    it('messages of a user: across rooms and months, newest first, pages without gap or repeat, edits and deletes show', async () => {
      const { messages } = getStores();
      const senderId = randomUUID();
      const [roomA, roomB] = [randomUUID(), randomUUID()];
      // Two messages share a millisecond (the id breaks the tie); the times span three months.
      const times = [
        '2024-01-31T23:59:59.999Z',
        '2024-02-01T00:00:00.000Z',
        '2024-02-10T12:00:00.000Z',
        '2024-02-10T12:00:00.000Z',
        '2024-04-02T08:00:00.000Z',
      ];
      const mine = times.map((createdAt, i) =>
        message(i % 2 ? roomA : roomB, i + 1, { senderId, createdAt }),
      );
      await Promise.all(mine.map((m) => messages.appendMessage(m)));
      await messages.appendMessage(message(roomA, 100, { createdAt: times[2] }));

      const walked: Message[] = [];
      let before: { createdAt: string; id: string } | undefined;
      for (let page = 0; page < 10; page++) {
        const rows = await messages.listMessagesOfUser(senderId, before, 2);
        walked.push(...rows);
        if (rows.length < 2) break;
        const last = rows.at(-1) as Message;
        before = { createdAt: last.createdAt, id: last.id };
      }
      expect(walked.map((m) => m.id).sort()).toEqual(mine.map((m) => m.id).sort());
      expect(new Set(walked.map((m) => m.id)).size).toBe(mine.length);
      const stamps = walked.map((m) => Date.parse(m.createdAt));
      expect(stamps).toEqual([...stamps].sort((x, y) => y - x));
      expect(walked.every((m) => m.senderId === senderId)).toBe(true);

      const target = mine[2] as Message;
      await messages.editMessage(target.roomId, target.seq, 'edited', new Date());
      await messages.markMessageDeleted(target.roomId, target.seq, new Date());
      const after = await messages.listMessagesOfUser(senderId, undefined, 10);
      expect(after.find((m) => m.id === target.id)).toMatchObject({
        body: 'edited',
        deleted: true,
        roomId: target.roomId,
        seq: target.seq,
      });
      expect(await messages.listMessagesOfUser(randomUUID(), undefined, 10)).toEqual([]);
    });

    it('cursors: partial writes, lowering allowed, one read per room for receipts', async () => {
      const { cursors } = getStores();
      const [alice, bob, roomId] = [randomUUID(), randomUUID(), randomUUID()];
      await cursors.writeCursors(alice, roomId, { deliveredSeq: 10 });
      await cursors.writeCursors(alice, roomId, { readSeq: 3 });
      expect(await cursors.findCursors(alice, roomId)).toEqual({
        roomId,
        deliveredSeq: 10,
        readSeq: 3,
      });
      // Ordering is the service's job: the store writes what it is given, so a wrong
      // (too high) value can be corrected.
      await cursors.writeCursors(alice, roomId, { deliveredSeq: 7, readSeq: 2 });
      expect(await cursors.findCursors(alice, roomId)).toEqual({
        roomId,
        deliveredSeq: 7,
        readSeq: 2,
      });
      await cursors.writeCursors(bob, roomId, { deliveredSeq: 5, readSeq: 5 });
      const receipts = await cursors.listCursorsOfRoom(roomId, 10);
      expect(receipts.sort((a, b) => a.deliveredSeq - b.deliveredSeq)).toEqual([
        { roomId, userId: bob, deliveredSeq: 5, readSeq: 5 },
        { roomId, userId: alice, deliveredSeq: 7, readSeq: 2 },
      ]);
      expect(await cursors.listCursorsOfRoom(roomId, 1)).toHaveLength(1);
      expect(await cursors.findCursors(alice, randomUUID())).toMatchObject({
        deliveredSeq: 0,
        readSeq: 0,
      });
    });

    it('rooms: a room and all its first members in one write; exclusions; public flag', async () => {
      const { rooms } = getStores();
      const [owner, m1, m2] = [randomUUID(), randomUUID(), randomUUID()];
      const room = {
        id: randomUUID(),
        kind: 'group' as const,
        name: 'open',
        createdBy: owner,
        createdAt: new Date().toISOString(),
        public: true,
      };
      await rooms.createRoom(room, [
        { userId: owner, role: 'owner' },
        { userId: m1, role: 'member' },
      ]);
      expect(await rooms.findRoom(room.id)).toEqual(room);
      expect((await rooms.listMembers(room.id)).map((m) => m.userId).sort()).toEqual(
        [owner, m1].sort(),
      );
      await rooms.addMembers(room.id, [{ userId: m2, role: 'member' }], new Date());
      expect(await rooms.listRoomsOfUser(m2)).toMatchObject([{ roomId: room.id, role: 'member' }]);
      expect(await rooms.findExclusion(room.id, m1)).toBeUndefined();
      const at = new Date('2026-01-02T03:04:05.000Z');
      await rooms.excludeMember(room.id, { userId: m1, reason: 'kicked', at });
      expect(await rooms.findExclusion(room.id, m1)).toEqual({ userId: m1, reason: 'kicked', at });
      await rooms.clearExclusion(room.id, m1);
      expect(await rooms.findExclusion(room.id, m1)).toBeUndefined();
      const closed = { ...room, id: randomUUID(), public: undefined };
      delete closed.public;
      await rooms.createRoom(closed, [{ userId: owner, role: 'owner' }]);
      expect((await rooms.findRoom(closed.id))?.public).toBeUndefined();
    });

    it('audit entries come back newest first', async () => {
      const { audit } = getStores();
      const actorId = randomUUID();
      const base = Date.now();
      for (let i = 0; i < 3; i++) {
        await audit.appendAudit({
          id: randomUUID(),
          actorId,
          action: `act${i}`,
          targetType: 'user',
          targetId: 't',
          at: new Date(base + i),
        });
      }
      const mine = (await audit.listAuditEntries(1000)).filter((e) => e.actorId === actorId);
      expect(mine.map((e) => e.action)).toEqual(['act2', 'act1', 'act0']);
    });
  });
}
