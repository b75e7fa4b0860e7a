import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RoomSequences, SendBindings, SendTimings } from '../../src/cluster/engine';
import { bodyHash, type SendKey } from '../../src/ports/send-binding';

export interface Ledger {
  sequences: RoomSequences;
  sendBindings: SendBindings;
}

const timings = (over: Partial<SendTimings> = {}): SendTimings => ({
  dedupeWindowSeconds: 600,
  settleTimeoutMs: 60_000,
  reseedQuietMs: 0,
  ...over,
});

const keyIn = (roomId: string): SendKey => ({
  roomId,
  senderId: randomUUID(),
  clientMsgId: randomUUID(),
});
const proposal = (body = 'hello') => ({
  id: randomUUID(),
  createdAt: new Date().toISOString(),
  bodyHash: bodyHash(body),
});
const seedZero = async () => 0;

/**
 * One suite for both send ledgers (Redis and in-process): send bindings and the room
 * counters they hand out. `loseState` (Redis only) wipes the store like a restart.
 */
export function describeSendLedgerContract(
  name: string,
  make: (timings: SendTimings) => Ledger,
  loseState?: () => Promise<void>,
) {
  describe(`${name} send ledger`, () => {
    it('binds once: every later attempt gets the same binding back', async () => {
      const { sendBindings } = make(timings());
      const key = keyIn(randomUUID());
      const first = await sendBindings.bind(key, proposal(), false, seedZero);
      expect(first).toMatchObject({ state: 'new', binding: { seq: 1 } });
      if (first.state !== 'new') return;
      const again = await sendBindings.bind(key, proposal(), true, seedZero);
      expect(again).toEqual({ state: 'existing', binding: first.binding, stored: false });
      await sendBindings.markStored(key, first.binding);
      expect(await sendBindings.bind(key, proposal(), true, seedZero)).toEqual({
        state: 'existing',
        binding: first.binding,
        stored: true,
      });
    });

    it('seeds the counter from storage once, then counts up across keys', async () => {
      const { sendBindings } = make(timings());
      const room = randomUUID();
      let seeds = 0;
      const seed = async () => {
        seeds++;
        return 0;
      };
      const outcomes = await Promise.all(
        [1, 2, 3].map(() => sendBindings.bind(keyIn(room), proposal(), false, seed)),
      );
      const seqs = outcomes.map((o) => (o.state === 'new' ? o.binding.seq : -1));
      expect(seqs.sort()).toEqual([1, 2, 3]);
      expect(seeds).toBeGreaterThanOrEqual(1);
    });

    it('keeps a binding whose write is uncertain unsettled, and settles it when stored', async () => {
      const { sendBindings, sequences } = make(timings());
      const room = randomUUID();
      const [a, b] = [keyIn(room), keyIn(room)];
      const ba = await sendBindings.bind(a, proposal(), false, seedZero);
      const bb = await sendBindings.bind(b, proposal(), false, seedZero);
      if (ba.state !== 'new' || bb.state !== 'new') throw new Error('expected new bindings');
      await sendBindings.markStored(b, bb.binding);
      expect(await sequences.stableSeq(room)).toBe(0); // seq 1 is still on its way
      expect(await sendBindings.markStored(a, ba.binding)).toEqual({ late: false });
      expect(await sequences.stableSeq(room)).toBe(2);
    });

    it('releases a binding that certainly was not written: its seq is a hole at once', async () => {
      const { sendBindings, sequences } = make(timings());
      const room = randomUUID();
      const key = keyIn(room);
      const first = await sendBindings.bind(key, proposal(), false, seedZero);
      if (first.state !== 'new') throw new Error('expected a new binding');
      await sendBindings.release(key, first.binding);
      expect(await sequences.stableSeq(room)).toBe(1);
      const second = await sendBindings.bind(key, proposal(), true, seedZero);
      expect(second).toMatchObject({ state: 'new', binding: { seq: 2 } });
    });

    it('never releases a binding another attempt has stored meanwhile', async () => {
      const { sendBindings } = make(timings());
      const key = keyIn(randomUUID());
      const first = await sendBindings.bind(key, proposal(), false, seedZero);
      if (first.state !== 'new') throw new Error('expected a new binding');
      await sendBindings.markStored(key, first.binding);
      await sendBindings.release(key, first.binding);
      expect(await sendBindings.bind(key, proposal(), true, seedZero)).toMatchObject({
        state: 'existing',
        binding: first.binding,
        stored: true,
      });
    });

    it('settles a seq unsettled past the timeout; landing after that is late', async () => {
      const { sendBindings, sequences } = make(timings({ settleTimeoutMs: 50 }));
      const room = randomUUID();
      const key = keyIn(room);
      const first = await sendBindings.bind(key, proposal(), false, seedZero);
      if (first.state !== 'new') throw new Error('expected a new binding');
      expect(await sequences.stableSeq(room)).toBe(0);
      await new Promise((r) => setTimeout(r, 80)); // the timeout is time itself
      expect(await sequences.stableSeq(room)).toBe(1);
      expect(await sendBindings.markStored(key, first.binding)).toEqual({ late: true });
    });

    it('adopts a binding decided durably elsewhere and turns its own seq into a hole', async () => {
      const { sendBindings, sequences } = make(timings());
      const room = randomUUID();
      const key = keyIn(room);
      const ours = await sendBindings.bind(key, proposal(), true, seedZero);
      if (ours.state !== 'new') throw new Error('expected a new binding');
      const decided = { seq: 7, ...proposal() };
      await sendBindings.adopt(key, ours.binding, decided, false);
      expect(await sequences.stableSeq(room)).toBe(1);
      expect(await sendBindings.bind(key, proposal(), true, seedZero)).toEqual({
        state: 'existing',
        binding: decided,
        stored: false,
      });
      // Adopted with its message already readable: later retries answer from the row.
      const other = keyIn(room);
      const fresh = await sendBindings.bind(other, proposal(), true, seedZero);
      if (fresh.state !== 'new') throw new Error('expected a new binding');
      await sendBindings.adopt(other, fresh.binding, decided, true);
      expect(await sendBindings.bind(other, proposal(), true, seedZero)).toMatchObject({
        state: 'existing',
        stored: true,
      });
    });

    if (loseState) {
      it('after losing its state, re-seeds above storage and holds retries for the quiet period', async () => {
        const { sendBindings } = make(timings({ reseedQuietMs: 60_000 }));
        const room = randomUUID();
        const first = await sendBindings.bind(keyIn(room), proposal(), false, seedZero);
        expect(first.state).toBe('new');
        await loseState();
        const seed = async () => 1;
        const retry = await sendBindings.bind(keyIn(room), proposal(), true, seed);
        expect(retry.state).toBe('reseeded-recently');
        if (retry.state === 'reseeded-recently') expect(retry.retryAfterMs).toBeGreaterThan(50_000);
        // A first attempt cannot have been stored before: it goes through, above the gap.
        const fresh = await sendBindings.bind(keyIn(room), proposal(), false, seed);
        expect(fresh).toMatchObject({ state: 'new', binding: { seq: 1 + 1_000 + 1 } });
      });
    }
  });
}
