import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AckBatcher, type DeliveryAck } from '../../src/ack-batcher';

describe('AckBatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const batches: DeliveryAck[][] = [];
    let connected = true;
    let fail = false;
    const batcher = new AckBatcher(
      async (acks) => {
        if (fail) throw new Error('lost');
        batches.push(acks);
      },
      () => connected,
      { intervalMs: 500 },
    );
    return {
      batcher,
      batches,
      setConnected: (v: boolean) => (connected = v),
      setFail: (v: boolean) => (fail = v),
    };
  }

  it('sends the highest seq per room at most every interval', async () => {
    const { batcher, batches } = setup();
    batcher.note('a', 1);
    batcher.note('a', 3);
    batcher.note('a', 2);
    batcher.note('b', 9);
    await vi.advanceTimersByTimeAsync(499);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([
      [
        { roomId: 'a', seq: 3 },
        { roomId: 'b', seq: 9 },
      ],
    ]);
    batcher.note('a', 4);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toHaveLength(2);
  });

  it('splits more rooms than one delivery:ack may carry', async () => {
    const { batcher, batches } = setup();
    for (let i = 0; i < 150; i++) batcher.note(`room-${i}`, i + 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(batches.map((b) => b.length)).toEqual([100, 50]);
  });

  it('keeps acks while offline and on failure, and sends them later', async () => {
    const { batcher, batches, setConnected, setFail } = setup();
    setConnected(false);
    batcher.note('a', 5);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(batches).toEqual([]);
    setConnected(true);
    setFail(true);
    batcher.resume();
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([]);
    setFail(false);
    batcher.note('a', 4); // older than what is pending: must not win
    await vi.advanceTimersByTimeAsync(500);
    expect(batches).toEqual([[{ roomId: 'a', seq: 5 }]]);
  });
});
