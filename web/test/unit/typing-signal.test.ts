import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  TYPING_IDLE_MS,
  TYPING_MIN_GAP_MS,
  TYPING_REPEAT_MS,
  TypingSignal,
} from '../../src/chat/typing-signal';

describe('TypingSignal (the composer’s typing:set calls)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    const sent: { typing: boolean; at: number }[] = [];
    let connected = true;
    const start = Date.now();
    const signal = new TypingSignal(
      (typing) => sent.push({ typing, at: Date.now() - start }),
      () => connected,
    );
    return { signal, sent, setConnected: (v: boolean) => (connected = v) };
  }

  it('says "typing" on the first keystroke and "stopped" once idle', async () => {
    const { signal, sent } = setup();
    signal.input();
    expect(sent).toEqual([{ typing: true, at: 0 }]);
    await vi.advanceTimersByTimeAsync(TYPING_IDLE_MS);
    expect(sent).toEqual([
      { typing: true, at: 0 },
      { typing: false, at: TYPING_IDLE_MS },
    ]);
  });

  // The web-app browser test's flake: send a message, start the next one within the
  // server's one-per-second window. The start must be delayed to the window's end, not lost
  // (the other member would see nothing until a keystroke more than a second later).
  it('a start right after a sent message is delayed past the server limit, not dropped', async () => {
    const { signal, sent } = setup();
    signal.input();
    signal.sent();
    await vi.advanceTimersByTimeAsync(300);
    signal.input(); // one keystroke only (a paste, or a short word)
    await vi.advanceTimersByTimeAsync(TYPING_MIN_GAP_MS);
    expect(sent).toEqual([
      { typing: true, at: 0 },
      { typing: true, at: TYPING_MIN_GAP_MS },
    ]);
  });

  it('repeats "typing" while keys keep coming, at most once per repeat interval', async () => {
    const { signal, sent } = setup();
    for (let t = 0; t <= 2 * TYPING_REPEAT_MS + 500; t += 250) {
      signal.input();
      await vi.advanceTimersByTimeAsync(250);
    }
    const starts = sent.filter((s) => s.typing).map((s) => s.at);
    expect(starts.length).toBe(3);
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(TYPING_MIN_GAP_MS);
    expect(sent.some((s) => !s.typing)).toBe(false);
  });

  it('a sent message cancels a delayed start and the idle "stopped"', async () => {
    const { signal, sent } = setup();
    signal.input();
    signal.sent();
    signal.input(); // delayed: inside the window
    signal.sent(); // ...and the message went before the window ended
    await vi.advanceTimersByTimeAsync(TYPING_IDLE_MS + TYPING_MIN_GAP_MS);
    expect(sent).toEqual([{ typing: true, at: 0 }]);
  });

  it('sends nothing while offline (typing is never queued)', async () => {
    const { signal, sent, setConnected } = setup();
    setConnected(false);
    signal.input();
    await vi.advanceTimersByTimeAsync(TYPING_IDLE_MS + TYPING_MIN_GAP_MS);
    expect(sent).toEqual([]);
  });

  it('closing the room view takes a shown indicator back and leaves no timer behind', async () => {
    const { signal, sent } = setup();
    signal.input();
    signal.dispose();
    await vi.advanceTimersByTimeAsync(TYPING_IDLE_MS + TYPING_MIN_GAP_MS);
    expect(sent).toEqual([
      { typing: true, at: 0 },
      { typing: false, at: 0 },
    ]);
  });
});
