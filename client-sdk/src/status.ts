/**
 * connecting: first connection attempt. connected: live and authenticated.
 * reconnecting: lost the connection, trying again (sends wait in the outbox).
 * disconnected: closed by the app; nothing more happens. auth-failed: the server refused
 * our credentials or token for good; the app must sign in again.
 */
export type ConnectionStatus =
  'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'auth-failed';

export type StatusListener = (status: ConnectionStatus, error?: Error) => void;

/** A tiny behaviour-subject: subscribers get the current status at once, then every change. */
export class StatusStream {
  private current: ConnectionStatus = 'disconnected';
  private lastError: Error | undefined;
  private readonly listeners = new Set<StatusListener>();

  get value(): ConnectionStatus {
    return this.current;
  }

  /** The error behind the latest `reconnecting` or `auth-failed`, if any. */
  get error(): Error | undefined {
    return this.lastError;
  }

  subscribe(listener: StatusListener): () => void {
    this.listeners.add(listener);
    listener(this.current, this.lastError);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the status becomes one of `wanted` (at once if it already is). */
  waitFor(wanted: ConnectionStatus | ConnectionStatus[], timeoutMs?: number): Promise<void> {
    const set = new Set(Array.isArray(wanted) ? wanted : [wanted]);
    if (set.has(this.current)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const unsubscribe = this.subscribe((status) => {
        if (!set.has(status)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          unsubscribe();
          reject(new Error(`status did not become ${[...set].join('|')} in ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  /** @internal */
  set(status: ConnectionStatus, error?: Error): void {
    if (status === this.current && error === this.lastError) return;
    this.current = status;
    this.lastError = error;
    for (const listener of [...this.listeners]) listener(status, error);
  }
}
