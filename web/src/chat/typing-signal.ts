/** While keys keep coming, "typing" is said again this often (receivers expire it after 6 s). */
export const TYPING_REPEAT_MS = 3_000;
/** No key for this long: "stopped typing". */
export const TYPING_IDLE_MS = 4_000;
/**
 * The server takes one typing update per second per user, room and value (true / false)
 * and refuses a faster one of the same value, so updates of one value keep this gap.
 */
export const TYPING_MIN_GAP_MS = 1_100;

/**
 * Turns the composer's keystrokes into `typing:set` updates the server accepts.
 *
 * An update that falls inside the server's one-per-second window is delayed to the end of
 * the window, never dropped. Dropping it lost the indicator whenever someone sent a message
 * and started the next one within a second with a single input (a paste, a short word):
 * the "typing" of the first message had just used the window, and nothing else came to
 * retry, so the other members saw nothing (the web-app browser test's intermittent failure).
 */
export class TypingSignal {
  /** Whether the others see us typing now: the last update said so and no message followed. */
  private shown = false;
  private lastEmit = { true: -Infinity, false: -Infinity };
  private idle: ReturnType<typeof setTimeout> | undefined;
  private delayed: { typing: boolean; timer: ReturnType<typeof setTimeout> } | undefined;

  constructor(
    private readonly emit: (typing: boolean) => void,
    /** Typing is ephemeral: while offline nothing is sent, and nothing is queued. */
    private readonly canSend: () => boolean,
  ) {}

  /** A keystroke (any change of the text). */
  input(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.want(false), TYPING_IDLE_MS);
    if (this.delayed && !this.delayed.typing) this.cancelDelayed(); // typing again: no "stopped"
    if (this.delayed) return; // a "typing" is already on its way
    if (!this.shown || Date.now() - this.lastEmit.true > TYPING_REPEAT_MS) this.want(true);
  }

  /** The message went out: it clears the indicator for everyone, so no "stopped" follows. */
  sent(): void {
    this.cancel();
    this.shown = false;
  }

  /** The room view closes: take the indicator back now if the window allows (else it expires). */
  dispose(): void {
    this.cancel();
    if (this.shown && Date.now() - this.lastEmit.false >= TYPING_MIN_GAP_MS) this.send(false);
  }

  private want(typing: boolean): void {
    this.cancelDelayed();
    if (!typing && !this.shown) return; // nothing to take back
    const wait = this.lastEmit[`${typing}`] + TYPING_MIN_GAP_MS - Date.now();
    if (wait <= 0) return this.send(typing);
    this.delayed = { typing, timer: setTimeout(() => this.send(typing), wait) };
  }

  private send(typing: boolean): void {
    this.delayed = undefined;
    if (!this.canSend()) return;
    this.lastEmit[`${typing}`] = Date.now();
    this.shown = typing;
    this.emit(typing);
  }

  private cancel(): void {
    clearTimeout(this.idle);
    this.cancelDelayed();
  }

  private cancelDelayed(): void {
    if (this.delayed) clearTimeout(this.delayed.timer);
    this.delayed = undefined;
  }
}
