export interface BackoffOptions {
  /**
   * First retry delay, in ms.
   * @default 250
   */
  initialDelayMs?: number;
  /**
   * Longest delay between two attempts, in ms.
   * @default 10000
   */
  maxDelayMs?: number;
  /**
   * Growth factor per attempt.
   * @default 2
   */
  multiplier?: number;
}

/**
 * Exponential backoff with "equal jitter": half the capped delay is fixed, half random.
 * Pure jitter can retry at ~0 ms; a fixed floor keeps a fleet of clients that lost the same
 * node from reconnecting in lockstep without ever hammering it immediately.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const multiplier = options.multiplier ?? 2;
  const capped = Math.min(max, initial * multiplier ** Math.max(0, attempt - 1));
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** A promise that resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
