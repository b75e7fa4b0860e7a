import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionWatchdog, type WatchdogOptions } from '../../src/connection-watchdog';

/** A watchdog over a scripted connection: `pendingSince` plays the oldest unacked request. */
function setup(options: WatchdogOptions = { silenceMs: 4_000, probeTimeoutMs: 2_000 }) {
  let pending = false;
  const probes: number[] = [];
  const abandoned: { at: number; reason: string }[] = [];
  const start = Date.now();
  const watchdog = new ConnectionWatchdog(
    {
      hasPending: () => pending,
      probe: () => probes.push(Date.now() - start),
      abandon: (reason) => abandoned.push({ at: Date.now() - start, reason }),
    },
    options,
  );
  watchdog.start();
  return {
    watchdog,
    probes,
    abandoned,
    request: () => {
      pending = true;
      watchdog.sent();
    },
    answered: () => (pending = false),
  };
}

describe('ConnectionWatchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('abandons a node that goes silent with a request in flight, within silence + probe time', async () => {
    const { probes, abandoned, request } = setup();
    request(); // e.g. a send, emitted to a node that has just been frozen
    await vi.advanceTimersByTimeAsync(3_999);
    expect(probes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toEqual([4_000]);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(abandoned).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]!.at).toBe(6_000);
    expect(abandoned[0]!.reason).toMatch(/probe unanswered/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(abandoned).toHaveLength(1); // stopped itself
  });

  it('keeps a slow but live node: any packet after the probe clears it', async () => {
    const { watchdog, probes, abandoned, request } = setup();
    request(); // a write stuck on a storage stall; the node itself is fine
    await vi.advanceTimersByTimeAsync(4_000);
    expect(probes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(300);
    watchdog.heard(); // the probe's answer
    await vi.advanceTimersByTimeAsync(4_200);
    expect(abandoned).toEqual([]);
    // Still silent about the request: probed again one silence period after the last packet.
    expect(probes).toEqual([4_000, 8_500]);
  });

  it('counts silence from the last packet: a node that keeps talking is never probed', async () => {
    const { watchdog, probes, request } = setup();
    request();
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(3_000);
      watchdog.heard(); // events, acks of other requests, Engine.IO pings
    }
    expect(probes).toEqual([]);
  });

  it('probes an idle connection only after idleMs of total silence', async () => {
    const { probes, abandoned } = setup({ idleMs: 30_000, probeTimeoutMs: 2_000 });
    await vi.advanceTimersByTimeAsync(29_999);
    expect(probes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toEqual([30_000]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(abandoned).toHaveLength(1);
  });

  it('counts silence from the first unanswered emit: retries on a dead connection do not push it back', async () => {
    const { probes, abandoned, request } = setup();
    request();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      request(); // a per-attempt timeout fired and the send was retried on the same socket
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toEqual([4_000]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(abandoned.map((a) => a.at)).toEqual([6_000]);
  });

  it('judges idle silence by the server ping interval from the handshake', async () => {
    const { watchdog, probes } = setup({ probeTimeoutMs: 2_000 });
    watchdog.start(10_000); // the server pings every 10 s
    await vi.advanceTimersByTimeAsync(14_999);
    expect(probes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(probes).toEqual([15_000]);
  });

  it('does not blame the server for time this process itself was stalled', async () => {
    const { probes, abandoned, request } = setup();
    request();
    await vi.advanceTimersByTimeAsync(1_000);
    vi.setSystemTime(Date.now() + 20_000); // the event loop was blocked for 20 s
    await vi.advanceTimersByTimeAsync(500);
    expect(probes).toEqual([]); // only ~1.5 s of silence actually observed
    await vi.advanceTimersByTimeAsync(2_500);
    expect(probes).toHaveLength(1); // 4 s of observed silence
    await vi.advanceTimersByTimeAsync(2_000);
    expect(abandoned).toHaveLength(1);
  });

  it('does nothing once stopped (the connection ended)', async () => {
    const { watchdog, probes, request } = setup();
    request();
    watchdog.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(probes).toEqual([]);
  });

  it('starts fresh on a new connection', async () => {
    const { watchdog, probes, abandoned, request, answered } = setup();
    request();
    await vi.advanceTimersByTimeAsync(5_000); // probe out, unanswered
    answered();
    watchdog.start(); // reconnected elsewhere before the probe timed out
    await vi.advanceTimersByTimeAsync(10_000);
    expect(abandoned).toEqual([]);
    expect(probes).toHaveLength(1);
  });
});
