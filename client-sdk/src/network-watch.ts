/**
 * The browser's own view of the network. When it says offline, an open WebSocket may
 * linger for many seconds before its heartbeat notices; a chat should show "offline" and
 * queue sends at once, then reconnect the moment the network is back instead of waiting
 * out a reconnect backoff. Outside browsers this does nothing.
 */
export class NetworkWatch {
  private wake = new AbortController();
  private readonly target: EventTarget | undefined;
  private readonly onOffline = () => this.handlers.offline();
  private readonly onOnline = () => {
    this.wake.abort();
    this.wake = new AbortController();
    this.handlers.online();
  };

  constructor(
    private readonly handlers: { offline: () => void; online: () => void },
    enabled = true,
  ) {
    const g = globalThis as { addEventListener?: unknown; navigator?: { onLine?: unknown } };
    this.target =
      enabled &&
      typeof g.addEventListener === 'function' &&
      typeof g.navigator?.onLine === 'boolean'
        ? (globalThis as unknown as EventTarget)
        : undefined;
    this.target?.addEventListener('offline', this.onOffline);
    this.target?.addEventListener('online', this.onOnline);
  }

  /** False only when a browser says it has no network. */
  get online(): boolean {
    if (!this.target) return true;
    return (globalThis as unknown as { navigator: { onLine: boolean } }).navigator.onLine;
  }

  /** Aborts when the network comes back: cuts a reconnect backoff short. */
  get wakeSignal(): AbortSignal {
    return this.wake.signal;
  }

  close(): void {
    this.target?.removeEventListener('offline', this.onOffline);
    this.target?.removeEventListener('online', this.onOnline);
    this.wake.abort();
  }
}
