import type { SequenceAllocator } from './engine';
import { IN_FLIGHT_SEQ_MAX_AGE_MS } from './engine';

/** The embedded engine's counters: same contract as Redis, in process. */
export function createMemorySequences(
  maxInFlightAgeMs = IN_FLIGHT_SEQ_MAX_AGE_MS,
): SequenceAllocator {
  const rooms = new Map<string, { counter: number; inFlight: Map<number, number> }>();

  return {
    async next(roomId, seed) {
      if (!rooms.has(roomId)) {
        const latest = await seed();
        // Re-check after the await: another send may have seeded meanwhile.
        if (!rooms.has(roomId)) rooms.set(roomId, { counter: latest, inFlight: new Map() });
      }
      const room = rooms.get(roomId)!;
      room.counter += 1;
      room.inFlight.set(room.counter, Date.now());
      return room.counter;
    },
    async settle(roomId, seq) {
      rooms.get(roomId)?.inFlight.delete(seq);
    },
    async stableSeq(roomId) {
      const room = rooms.get(roomId);
      if (!room) return undefined;
      const now = Date.now();
      let lowest: number | undefined;
      for (const [seq, at] of room.inFlight) {
        if (now - at > maxInFlightAgeMs) room.inFlight.delete(seq);
        else if (lowest === undefined || seq < lowest) lowest = seq;
      }
      return lowest === undefined ? room.counter : lowest - 1;
    },
  };
}
