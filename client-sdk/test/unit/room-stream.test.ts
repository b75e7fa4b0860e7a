import type { HistoryPage, Message } from '@parley/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../../src/errors';
import { RoomStream, type RoomStreamOptions } from '../../src/room-stream';
import { ROOM, msg } from './fakes';

/**
 * A stream wired to a fake history. `store` plays the server's message table; history
 * answers from it like the real `history:fetch {after, limit}` (oldest first).
 */
function setup(position: number | undefined, options: RoomStreamOptions = {}) {
  const released: number[] = [];
  const late: number[] = [];
  const positions: number[] = [];
  const fetches: { after: number; limit: number }[] = [];
  const store = new Map<number, Message>();
  let failNext: Error | undefined;
  // What the server reports as settled: by default every written seq (nothing in flight).
  let stable: number | 'highest' | undefined = 'highest';
  const stream = new RoomStream(
    ROOM,
    position,
    {
      fetchAfter: async (_roomId, after, limit): Promise<HistoryPage> => {
        fetches.push({ after, limit });
        if (failNext) {
          const error = failNext;
          failNext = undefined;
          throw error;
        }
        const all = [...store.values()].filter((m) => m.seq > after).sort((a, b) => a.seq - b.seq);
        const highest = Math.max(0, ...store.keys());
        const stableSeq = stable === 'highest' ? highest : stable;
        const page: HistoryPage = { messages: all.slice(0, limit), hasMore: all.length > limit };
        if (stableSeq !== undefined) page.stableSeq = stableSeq;
        return page;
      },
      release: (m) => released.push(m.seq),
      releaseLate: (m) => late.push(m.seq),
      onPosition: (_roomId, seq) => positions.push(seq),
    },
    options,
  );
  const write = (...seqs: number[]) => seqs.forEach((s) => store.set(s, msg(s)));
  return {
    stream,
    released,
    late,
    positions,
    fetches,
    write,
    failOnce: (error: Error) => (failNext = error),
    setStable: (value: number | 'highest' | undefined) => (stable = value),
  };
}

describe('RoomStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('releases in-order messages at once and reports the position', () => {
    const { stream, released, positions } = setup(0);
    [1, 2, 3].forEach((s) => stream.push(msg(s)));
    expect(released).toEqual([1, 2, 3]);
    expect(positions).toEqual([1, 2, 3]);
    expect(stream.position).toBe(3);
  });

  it('reorders out-of-order arrival without asking history when the gap fills in time', async () => {
    const { stream, released, fetches } = setup(0, { gapWaitMs: 50 });
    stream.push(msg(3));
    stream.push(msg(2));
    expect(released).toEqual([]);
    expect(stream.buffered).toBe(2);
    stream.push(msg(1));
    expect(released).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fetches).toEqual([]);
  });

  it('drops duplicates by message id', () => {
    const { stream, released } = setup(0);
    stream.push(msg(1));
    stream.push(msg(1));
    stream.push({ ...msg(2), id: msg(1).id }); // a replayed id under another seq
    stream.push(msg(2, ROOM, 'm-2'));
    stream.push(msg(2, ROOM, 'm-2'));
    expect(released).toEqual([1, 2]);
  });

  it('delivers two different messages that share a seq (a counter repeated after a Redis failover)', async () => {
    const { stream, released, late, write } = setup(0, { gapWaitMs: 0 });
    const twin = { ...msg(2), id: 'twin-of-2', clientMsgId: 'c-twin-2' };
    stream.push(msg(1));
    // below the position: a late arrival, not a duplicate
    stream.push({ ...msg(1), id: 'twin-of-1', clientMsgId: 'c-twin-1' });
    write(3);
    stream.push(msg(3)); // held: 2 is missing
    stream.push(twin);
    stream.push(msg(2));
    stream.push(msg(2));
    await vi.advanceTimersByTimeAsync(0);
    // Each exactly once. The twin filled the gap first, so the original 2 comes after 3 as
    // a late arrival: order between same-seq messages is not defined, loss is not allowed,
    // and the ordered feed never goes backwards.
    expect(released).toEqual([1, 2, 3]);
    expect(late).toEqual([1, 2]);
    expect(stream.stats).toMatchObject({ released: 3, late: 2 });
  });

  it('hides a second stored copy of one send (same sender and clientMsgId, new id and seq)', async () => {
    const { stream, released, late } = setup(0, { gapWaitMs: 0 });
    const copy = { ...msg(3), clientMsgId: msg(1).clientMsgId }; // an uncertain write retried
    stream.push(msg(1));
    stream.push(msg(2));
    stream.push(copy);
    expect(released).toEqual([1, 2]);
    // A late copy of something already released is hidden too, not sent down the late path.
    stream.push({ ...msg(0), id: 'old-copy', clientMsgId: msg(2).clientMsgId });
    await vi.advanceTimersByTimeAsync(0);
    expect(late).toEqual([]);
    expect(stream.position).toBe(3); // the copy's seq is passed, not a gap forever
    expect(stream.stats.duplicatesDropped).toBe(2);
  });

  it('tells copies from different senders apart: the same clientMsgId is not a duplicate', () => {
    const { stream, released } = setup(0);
    stream.push(msg(1));
    stream.push({ ...msg(2), senderId: 'user-2', clientMsgId: msg(1).clientMsgId });
    expect(released).toEqual([1, 2]);
  });

  it('drops a buffered duplicate too', () => {
    const { stream, released } = setup(0);
    stream.push(msg(3));
    stream.push(msg(3));
    stream.push(msg(2));
    stream.push(msg(1));
    expect(released).toEqual([1, 2, 3]);
  });

  it('fills a gap from history after the gap wait', async () => {
    const { stream, released, fetches, write } = setup(0, { gapWaitMs: 50 });
    write(1, 2, 3);
    stream.push(msg(1));
    stream.push(msg(3)); // 2 was lost by pub/sub
    await vi.advanceTimersByTimeAsync(49);
    expect(fetches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetches).toEqual([{ after: 1, limit: 100 }]);
    expect(released).toEqual([1, 2, 3]);
    expect(stream.position).toBe(3);
  });

  it('treats seqs history skipped as permanent holes', async () => {
    const { stream, released, fetches, write } = setup(0, { gapWaitMs: 0 });
    write(1, 3, 4); // seq 2 was allocated and never stored
    stream.push(msg(1));
    stream.push(msg(4));
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([1, 3, 4]);
    expect(fetches).toHaveLength(1); // history is the truth below its highest seq: no retries
    stream.push(msg(5));
    expect(released).toEqual([1, 3, 4, 5]);
  });

  it('handles the counter jumping ahead by 1000 after a Redis restart', async () => {
    const { stream, released, write } = setup(0, { gapWaitMs: 0 });
    write(1, 2, 1003);
    stream.push(msg(1));
    stream.push(msg(2));
    stream.push(msg(1003));
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([1, 2, 1003]);
    stream.push(msg(1004));
    expect(released).toEqual([1, 2, 1003, 1004]);
  });

  it('refetches while a missing message is still being written, then releases it in order', async () => {
    const { stream, released, fetches, write } = setup(5, {
      gapWaitMs: 0,
      holeRetryDelaysMs: [100, 200, 400],
    });
    stream.push(msg(7)); // 6 is still being written; history has neither yet
    await vi.advanceTimersByTimeAsync(0);
    expect(fetches).toHaveLength(1);
    expect(released).toEqual([]);
    write(6, 7);
    await vi.advanceTimersByTimeAsync(100);
    expect(fetches).toHaveLength(2);
    expect(released).toEqual([6, 7]);
  });

  it('without a stable point from the server, skips a hole after the bounded retries', async () => {
    const { stream, released, fetches, setStable } = setup(5, {
      gapWaitMs: 0,
      holeRetryDelaysMs: [100, 200, 400],
    });
    setStable(undefined);
    stream.push(msg(7));
    stream.push(msg(8));
    await vi.advanceTimersByTimeAsync(699);
    expect(released).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetches).toHaveLength(4); // first try + 3 refetches over ~0.7 s
    expect(released).toEqual([7, 8]);
    expect(stream.position).toBe(8);
  });

  it('hands a late arrival below the release point to the late path, exactly once', async () => {
    const { stream, released, late, setStable } = setup(5, {
      gapWaitMs: 0,
      holeRetryDelaysMs: [10],
    });
    setStable(undefined);
    stream.push(msg(7));
    await vi.advanceTimersByTimeAsync(100); // 6 written nowhere yet: skipped as a hole
    expect(released).toEqual([7]);
    stream.push(msg(6)); // ...and then it shows up after all
    stream.push(msg(6));
    stream.push(msg(4)); // older than where the room's feed started
    expect(released).toEqual([7]); // the ordered feed never goes backwards
    expect(late).toEqual([6, 4]);
    expect(stream.position).toBe(7);
    expect(stream.stats).toMatchObject({ released: 1, late: 2, duplicatesDropped: 1 });
  });

  it('after skipping a hole, fills later gaps from history as usual', async () => {
    const { stream, released, write, setStable } = setup(5, {
      gapWaitMs: 0,
      holeRetryDelaysMs: [10],
    });
    setStable(undefined);
    stream.push(msg(7));
    await vi.advanceTimersByTimeAsync(100);
    expect(released).toEqual([7]);
    write(6, 7, 8);
    stream.push(msg(9));
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([7, 8, 9]);
  });

  it('waits past the hole retries while the server reports an earlier seq still in flight', async () => {
    const { stream, released, write, setStable } = setup(0, {
      gapWaitMs: 0,
      holeRetryDelaysMs: [100, 200, 400],
    });
    // Seq 2 was allocated before 3 but its write finishes later: history's highest seq
    // (3) proves nothing about 2; the server's stable point (1) says 2 is still coming.
    write(1, 3);
    setStable(1);
    stream.push(msg(1));
    stream.push(msg(3));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(released).toEqual([1]);
    write(2);
    setStable('highest');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(released).toEqual([1, 2, 3]);
  });

  it('gives up on an unsettled seq after maxSettleWaitMs and treats it as a hole', async () => {
    const { stream, released, write, setStable } = setup(0, {
      gapWaitMs: 0,
      holeRetryDelaysMs: [100, 200, 400],
      maxSettleWaitMs: 2_000,
    });
    write(1, 3);
    setStable(1);
    stream.push(msg(1));
    stream.push(msg(3));
    await vi.advanceTimersByTimeAsync(1_500);
    expect(released).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(released).toEqual([1, 3]);
  });

  it('pages through history until hasMore is false', async () => {
    const { stream, released, fetches, write } = setup(0, { historyPageSize: 2 });
    write(1, 2, 3, 4, 5);
    await stream.catchUp();
    expect(fetches.map((f) => f.after)).toEqual([0, 2, 4]);
    expect(released).toEqual([1, 2, 3, 4, 5]);
  });

  it('catches up after a reconnect and merges live messages that raced it', async () => {
    const { stream, released, write } = setup(2);
    write(3, 4, 5);
    const catchingUp = stream.catchUp();
    stream.push(msg(5)); // arrives live while history is on its way
    await catchingUp;
    expect(released).toEqual([3, 4, 5]);
  });

  it('does nothing on catch-up before any position is known', async () => {
    const { stream, fetches } = setup(undefined);
    await stream.catchUp();
    expect(fetches).toEqual([]);
  });

  it('starts at the first live message when the room position is unknown, then seeds no more', () => {
    const { stream, released } = setup(undefined);
    stream.push(msg(41));
    stream.seed(10);
    stream.push(msg(42));
    expect(released).toEqual([41, 42]);
  });

  it('a lower lastSeq seeded after a guessed start fetches the skipped messages for the late path', async () => {
    // room:added lost the race against the room's first live message.
    const { stream, released, late, write } = setup(undefined);
    write(3, 4, 5, 6);
    stream.push(msg(5));
    expect(released).toEqual([5]);
    stream.seed(2);
    await stream.catchUp();
    expect(late).toEqual([3, 4]); // never silently lost, never in the ordered feed
    expect(released).toEqual([5, 6]);
    expect(stream.position).toBe(6);
    stream.seed(0); // only the first seed after a guess counts
    await stream.catchUp();
    expect(late).toEqual([3, 4]);
  });

  it('retries a failed gap catch-up by itself', async () => {
    const { stream, released, write, failOnce } = setup(0, { gapWaitMs: 0 });
    write(1, 2, 3);
    failOnce(new ParleyError('UNAVAILABLE', 'down'));
    stream.push(msg(1));
    stream.push(msg(3));
    await vi.advanceTimersByTimeAsync(0);
    expect(released).toEqual([1]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(released).toEqual([1, 2, 3]);
  });

  it('leaves a catch-up that failed because we went offline to the reconnect', async () => {
    const { stream, fetches, failOnce } = setup(0, { gapWaitMs: 0 });
    failOnce(new ParleyError('DISCONNECTED', 'offline'));
    stream.push(msg(2));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fetches).toHaveLength(1);
  });
});
