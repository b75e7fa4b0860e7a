import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SequenceAllocator } from '../../src/cluster/engine';

/** One suite for both sequence allocators (Redis and in-process). `make(ageMs)` builds one. */
export function describeSequencesContract(
  name: string,
  make: (maxInFlightAgeMs: number) => SequenceAllocator,
) {
  describe(`${name} sequences`, () => {
    it('seeds from storage once, then counts up', async () => {
      const seq = make(60_000);
      const room = randomUUID();
      let seeds = 0;
      const seed = async () => {
        seeds++;
        return 0;
      };
      expect(
        await Promise.all([seq.next(room, seed), seq.next(room, seed), seq.next(room, seed)]),
      ).toHaveLength(3);
      expect(await seq.next(room, seed)).toBe(4);
      expect(seeds).toBeGreaterThanOrEqual(1);
    });

    it('reports the stable point below the lowest unsettled seq', async () => {
      const seq = make(60_000);
      const room = randomUUID();
      expect(await seq.stableSeq(room)).toBeUndefined();
      const seed = async () => 0;
      const [a, b, c] = [
        await seq.next(room, seed),
        await seq.next(room, seed),
        await seq.next(room, seed),
      ];
      expect(await seq.stableSeq(room)).toBe(0);
      await seq.settle(room, a);
      await seq.settle(room, c);
      expect(await seq.stableSeq(room)).toBe(a); // b is still being written
      await seq.settle(room, b);
      expect(await seq.stableSeq(room)).toBe(c);
    });

    it('counts a seq unsettled for too long as abandoned (its node died mid-write)', async () => {
      const seq = make(50);
      const room = randomUUID();
      const first = await seq.next(room, async () => 0);
      expect(await seq.stableSeq(room)).toBe(first - 1);
      await new Promise((r) => setTimeout(r, 80)); // the age threshold is time itself
      expect(await seq.stableSeq(room)).toBe(first);
    });
  });
}
