import type { SendBinding, SendKey } from '../ports/send-binding';
import type { BindOutcome, RoomSequences, SendBindings, SendTimings } from './engine';
import { SEND_TIMING_DEFAULTS } from './engine';

interface RoomState {
  counter: number;
  /** seq -> when it was handed out (ms). */
  unsettled: Map<number, number>;
}

interface Entry {
  binding: SendBinding;
  stored: boolean;
  expiresAt: number;
}

/**
 * The embedded engine's bindings and counters: the Redis ledger's contract, in process.
 * One process cannot lose its counters without losing its bindings too (and the memory
 * stores with them), so there is no re-seed quiet period here.
 */
export function createMemorySendLedger(timings: SendTimings = SEND_TIMING_DEFAULTS): {
  sequences: RoomSequences;
  sendBindings: SendBindings;
} {
  const rooms = new Map<string, RoomState>();
  const bindings = new Map<string, Entry>();
  const keyOf = (k: SendKey) => `${k.roomId}:${k.senderId}:${k.clientMsgId}`;
  const same = (a: SendBinding, b: SendBinding) =>
    a.seq === b.seq && a.id === b.id && a.createdAt === b.createdAt && a.bodyHash === b.bodyHash;

  function live(key: string): Entry | undefined {
    const entry = bindings.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      bindings.delete(key);
      return undefined;
    }
    return entry;
  }

  function put(key: string, binding: SendBinding, stored: boolean) {
    bindings.set(key, {
      binding,
      stored,
      expiresAt: Date.now() + timings.dedupeWindowSeconds * 1000,
    });
    sweep();
  }

  /** Keeps the binding map bounded without a timer. */
  function sweep() {
    if (bindings.size < 10_000) return;
    const now = Date.now();
    for (const [key, entry] of bindings) if (entry.expiresAt <= now) bindings.delete(key);
  }

  const sendBindings: SendBindings = {
    async bind(key, proposal, _retry, seed): Promise<BindOutcome> {
      const k = keyOf(key);
      const existing = live(k);
      if (existing)
        return { state: 'existing', binding: { ...existing.binding }, stored: existing.stored };
      if (!rooms.has(key.roomId)) {
        const latest = await seed();
        // Re-check after the await: another send may have seeded or bound meanwhile.
        if (!rooms.has(key.roomId))
          rooms.set(key.roomId, { counter: latest, unsettled: new Map() });
        const raced = live(k);
        if (raced)
          return { state: 'existing', binding: { ...raced.binding }, stored: raced.stored };
      }
      const room = rooms.get(key.roomId)!;
      room.counter += 1;
      room.unsettled.set(room.counter, Date.now());
      const binding = { ...proposal, seq: room.counter };
      put(k, binding, false);
      return { state: 'new', binding: { ...binding } };
    },
    async markStored(key, binding) {
      const k = keyOf(key);
      const entry = live(k);
      let wasStored = false;
      if (!entry) put(k, binding, true);
      else if (same(entry.binding, binding)) {
        wasStored = entry.stored;
        entry.stored = true;
      }
      const removed = rooms.get(key.roomId)?.unsettled.delete(binding.seq) ?? false;
      return { late: !removed && !wasStored };
    },
    async release(key, binding) {
      const k = keyOf(key);
      const entry = live(k);
      if (entry && !entry.stored && same(entry.binding, binding)) bindings.delete(k);
      rooms.get(key.roomId)?.unsettled.delete(binding.seq);
    },
    async adopt(key, ours, decided, stored) {
      rooms.get(key.roomId)?.unsettled.delete(ours.seq);
      put(keyOf(key), decided, stored);
    },
  };

  const sequences: RoomSequences = {
    async stableSeq(roomId) {
      const room = rooms.get(roomId);
      if (!room) return undefined;
      const now = Date.now();
      let lowest: number | undefined;
      for (const [seq, at] of room.unsettled) {
        if (now - at > timings.settleTimeoutMs) room.unsettled.delete(seq);
        else if (lowest === undefined || seq < lowest) lowest = seq;
      }
      return lowest === undefined ? room.counter : lowest - 1;
    },
  };

  return { sequences, sendBindings };
}
