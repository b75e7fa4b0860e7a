export interface WatchdogOptions {
  /**
   * While a request (a send included) waits for its ack, this long without any packet from
   * the server makes the SDK probe the connection. A node frozen mid-request (SIGSTOP, a
   * stuck event loop, a network path that silently drops packets) keeps its TCP connection
   * open, so without this only Engine.IO's ping timeout (45 s by default) would notice.
   * @default 4000
   */
  silenceMs?: number;
  /**
   * With nothing pending, this long without any packet from the server makes the SDK probe
   * the connection. A live server pings every `pingInterval` (told in the Engine.IO
   * handshake; 25 s unless the server changed it), so the default follows it.
   * @default the server's pingInterval + 5000 (30000 when unknown)
   */
  idleMs?: number;
  /**
   * How long a probe waits for any packet from the server before the connection is dropped
   * and the next URL is tried.
   * @default 2000
   */
  probeTimeoutMs?: number;
}

/** Timer lateness beyond this is our own stall, not the server's silence. */
const OWN_STALL_TOLERANCE_MS = 250;

export interface WatchdogDeps {
  /** Whether any request still waits for its ack. */
  hasPending(): boolean;
  /** Sends a cheap request whose answer (any packet, really) proves the server alive. */
  probe(): void;
  /** The server is silent: drop this connection and fail over. */
  abandon(reason: string): void;
}

/**
 * Decides when a connection is dead although its socket is open. Anything heard from the
 * server (an ack, an event, an Engine.IO ping) proves it alive; silence while we wait for an
 * answer, confirmed by an unanswered probe, proves it frozen. Bounded detection: a node that
 * freezes with requests in flight is abandoned within `silenceMs + probeTimeoutMs` (plus one
 * check interval); an idle one within `idleMs + probeTimeoutMs`.
 */
export class ConnectionWatchdog {
  private lastHeard: number;
  private heardCount = 0;
  /** The first emit since the last packet heard: silence is counted from it, not from later
   * emits, so retries on a dead connection do not push its detection back. */
  private emittedSinceHeard: number | undefined;
  private probe: { at: number; heardCount: number } | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private every = 0;
  private lastCheck = 0;
  private readonly silenceMs: number;
  private idleMs: number;
  private readonly fixedIdleMs: number | undefined;
  private readonly probeTimeoutMs: number;

  constructor(
    private readonly deps: WatchdogDeps,
    options: WatchdogOptions = {},
  ) {
    this.silenceMs = options.silenceMs ?? 4_000;
    this.fixedIdleMs = options.idleMs;
    this.idleMs = options.idleMs ?? 30_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
    this.lastHeard = Date.now();
  }

  /**
   * Starts watching a fresh connection. `pingIntervalMs` is the server's, from the
   * handshake: a live server is never silent for longer, so idle silence is judged by it.
   */
  start(pingIntervalMs?: number): void {
    this.stop();
    this.idleMs = this.fixedIdleMs ?? (pingIntervalMs ? pingIntervalMs + 5_000 : 30_000);
    this.lastHeard = Date.now();
    this.emittedSinceHeard = undefined;
    this.probe = undefined;
    // A quarter of the shortest bound keeps the detection time within 25% of its setting.
    this.every = Math.max(50, Math.min(this.silenceMs, this.probeTimeoutMs) / 4);
    this.lastCheck = Date.now();
    this.timer = setInterval(() => this.check(), this.every);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Call on every packet received from the server. */
  heard(): void {
    this.lastHeard = Date.now();
    this.emittedSinceHeard = undefined;
    this.heardCount++;
  }

  /** Call on every request emitted. */
  sent(): void {
    this.emittedSinceHeard ??= Date.now();
  }

  private check(): void {
    const now = Date.now();
    // A check that comes much later than scheduled means this process was stalled (a busy
    // event loop, a suspended laptop, a debugger). Packets that arrived meanwhile are still
    // unread, so that time must not count as the server's silence: discount it.
    const lag = now - this.lastCheck - this.every;
    this.lastCheck = now;
    if (lag > OWN_STALL_TOLERANCE_MS) {
      this.lastHeard += lag;
      if (this.emittedSinceHeard !== undefined) this.emittedSinceHeard += lag;
      if (this.probe) this.probe.at += lag;
    }
    if (this.probe !== undefined) {
      if (this.heardCount > this.probe.heardCount) {
        this.probe = undefined; // something came back: alive
      } else {
        if (now - this.probe.at >= this.probeTimeoutMs) {
          this.stop();
          this.deps.abandon(
            `no packet from the server for ${now - this.lastHeard} ms, probe unanswered`,
          );
        }
        return;
      }
    }
    const pending = this.deps.hasPending();
    const quietSince = pending ? (this.emittedSinceHeard ?? this.lastHeard) : this.lastHeard;
    const limit = pending ? this.silenceMs : this.idleMs;
    if (now - quietSince >= limit) {
      this.probe = { at: now, heardCount: this.heardCount };
      this.deps.probe();
    }
  }
}
