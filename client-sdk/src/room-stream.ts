import type { HistoryPage, Message } from '@parley/contract';
import { limits } from './errors';
import { sleep } from './backoff';
import { toParleyError } from './errors';

export interface RoomStreamOptions {
  /**
   * How long an out-of-order message waits for the missing ones to arrive live before the
   * SDK asks history. Messages from different senders go through different nodes, so small
   * reorderings are normal; a short wait saves a history read for each one.
   * @default 50
   */
  gapWaitMs?: number;
  /**
   * When history does not have a missing seq yet (its write may still be in flight), wait
   * this long before each refetch; after the last one the seq counts as a permanent hole.
   * @default [150, 300, 600]
   */
  holeRetryDelaysMs?: number[];
  /**
   * Page size for catch-up reads.
   * @default 100
   */
  historyPageSize?: number;
  /**
   * Ids and seqs remembered per room for dedupe. Duplicates older than this window could
   * be delivered twice; the window only bounds memory on very long sessions.
   * @default 10000
   */
  dedupeWindow?: number;
  /**
   * How long a catch-up waits for writes the server still reports in flight before it
   * counts their seqs as holes. The server declares a dead node's writes settled after
   * 15 s, so the default covers that.
   * @default 20000
   */
  maxSettleWaitMs?: number;
}

export interface RoomStreamDeps {
  fetchAfter(roomId: string, after: number, limit: number): Promise<HistoryPage>;
  /** Hands one message to the app. Called exactly once per message, in seq order. */
  release(message: Message): void;
  /**
   * Hands the app a message that arrived below the position (after later ones were already
   * released) and was never released before: once per message, never in the ordered feed.
   */
  releaseLate(message: Message): void;
  /** The highest seq released so far moved: worth a delivery ack. */
  onPosition?(roomId: string, seq: number): void;
  /** A catch-up failed; the stream retries on its own (or at the next reconnect). */
  onError?(error: Error): void;
}

/**
 * Turns one room's at-most-once, possibly reordered live feed plus its history into an
 * exactly-once, in-order feed for the app.
 *
 * `position` is the highest seq released. Seqs are strictly increasing but may have holes
 * (a seq allocated and never stored; a counter that jumped after a Redis restart), so a
 * missing seq is first awaited, then asked of history, and whatever history returns is the
 * truth: seqs it skipped below its highest returned seq are holes. A message below `position`
 * that was never seen is a late arrival: dropping it would lose it, and releasing it into the
 * ordered feed would break the order, so it goes to `releaseLate` instead, once.
 *
 * Dedupe is by message id and by (senderId, clientMsgId): a send stored twice (an uncertain
 * write retried) has two ids but is one message to the app, and the first copy seen wins.
 */
export class RoomStream {
  private pos: number | undefined;
  /** Held-back messages by seq. Normally one per seq; a list, because a Redis failover to a
   * lagging replica can hand out one seq twice, and both messages are real. */
  private readonly buffer = new Map<number, Message[]>();
  private readonly seenIds = new Set<string>();
  private readonly seenSends = new Set<string>();
  private readonly seenOrder: { id: string; send: string }[] = [];
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  /** The position came from a first live message, not from the server's lastSeq. */
  private guessedFrom: number | undefined;
  /** Seqs in (after, upTo] that a guessed position skipped: fetched for the late path. */
  private backfill: { after: number; upTo: number } | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private retryAttempt = 0;
  private readonly abort = new AbortController();
  /** Counters for observability: what arrived live, what was dropped as a duplicate. */
  readonly stats = { live: 0, fromHistory: 0, duplicatesDropped: 0, released: 0, late: 0 };

  constructor(
    readonly roomId: string,
    position: number | undefined,
    private readonly deps: RoomStreamDeps,
    private readonly options: RoomStreamOptions = {},
  ) {
    this.pos = position;
  }

  /** Highest seq released to the app; undefined until the room's position is known. */
  get position(): number | undefined {
    return this.pos;
  }

  /** A seed() found messages skipped by a guessed start: the next catchUp() fetches them. */
  get needsBackfill(): boolean {
    return this.backfill !== undefined;
  }

  /** Whether history after our position could hold anything, given the room's newest seq. */
  isBehind(lastSeq: number): boolean {
    return (
      this.pos === undefined ||
      lastSeq > this.pos ||
      this.buffer.size > 0 ||
      this.backfill !== undefined ||
      this.running !== undefined
    );
  }

  /** Messages held back until the ones before them arrive. */
  get buffered(): number {
    return this.buffer.size;
  }

  /**
   * Sets the starting position if none is known yet (from room:join / room:list / room:added
   * lastSeq). When the position was only guessed from a first live message, a lower lastSeq
   * means messages between the two were never seen: the next catch-up fetches them and hands
   * them to the late path (the feed is already past them).
   */
  seed(lastSeq: number): void {
    if (this.pos === undefined) {
      this.pos = lastSeq;
      this.settleBuffer();
      return;
    }
    const guessed = this.guessedFrom;
    this.guessedFrom = undefined;
    if (guessed !== undefined && lastSeq < guessed)
      this.backfill = { after: lastSeq, upTo: guessed };
  }

  /** A live message (message:created, or our own send's ack). */
  push(message: Message): void {
    if (this.closed) return;
    this.stats.live++;
    if (this.seenIds.has(message.id)) {
      this.stats.duplicatesDropped++;
      return;
    }
    if (this.pos === undefined) {
      // Nothing known about this room yet: start here; older messages are history's business,
      // unless a seed() says where the room really starts (see there).
      this.pos = message.seq - 1;
      this.guessedFrom = this.pos;
    }
    this.admit(message);
    this.settleBuffer();
    if (this.buffer.size > 0) this.scheduleCatchUp(this.options.gapWaitMs ?? 50);
  }

  /**
   * Fetches everything after `position` from history, paging until done. Runs once at a time;
   * a call during a run makes the run go round again so nothing that arrived meanwhile is missed.
   */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.clearGapTimer();
    const run = (async () => {
      try {
        do {
          this.again = false;
          await this.catchUpOnce();
        } while (this.again && !this.closed);
        this.retryAttempt = 0;
      } finally {
        this.running = undefined;
      }
    })();
    this.running = run;
    return run;
  }

  close(): void {
    this.closed = true;
    this.clearGapTimer();
    this.abort.abort();
  }

  private async catchUpOnce(): Promise<void> {
    if (this.backfill) await this.runBackfill(this.backfill);
    let holeTries = 0;
    let waitedMs = 0;
    const holeDelays = this.options.holeRetryDelaysMs ?? [150, 300, 600];
    const pageSize = this.options.historyPageSize ?? limits.historyPageMax;
    while (!this.closed && this.pos !== undefined) {
      let cursor = this.pos;
      let serverKnowsStable = false;
      for (;;) {
        const page = await this.deps.fetchAfter(this.roomId, cursor, pageSize);
        if (this.closed) return;
        const fresh = page.messages.filter((m) => m.seq > cursor).sort((a, b) => a.seq - b.seq);
        const last = fresh.at(-1);
        serverKnowsStable = page.stableSeq !== undefined;
        // Missing seqs are holes only where the server says every write has settled.
        const settledUpTo =
          page.stableSeq === undefined
            ? undefined
            : page.hasMore && last
              ? Math.min(page.stableSeq, last.seq)
              : page.stableSeq;
        this.applyHistory(fresh, settledUpTo);
        if (!page.hasMore || !last) break;
        cursor = last.seq;
      }
      if (this.buffer.size === 0) return;
      // Live messages beyond the settled point: the seqs before them are still being
      // written. Ask again shortly. When the server reports a stable point it will pass
      // them (a write settles, or its node is declared dead) — wait for that, bounded;
      // without one, give them a short while and then count them as holes.
      const delay = holeDelays[Math.min(holeTries++, holeDelays.length - 1)];
      const patience = serverKnowsStable
        ? (this.options.maxSettleWaitMs ?? 20_000)
        : sum(holeDelays);
      if (delay !== undefined && waitedMs + delay <= patience) {
        waitedMs += delay;
        await sleep(delay, this.abort.signal);
        continue;
      }
      this.skipHoles();
      return;
    }
  }

  private async runBackfill(range: { after: number; upTo: number }): Promise<void> {
    const pageSize = this.options.historyPageSize ?? limits.historyPageMax;
    let cursor = range.after;
    while (!this.closed) {
      const page = await this.deps.fetchAfter(this.roomId, cursor, pageSize);
      const fresh = page.messages.filter((m) => m.seq > cursor).sort((a, b) => a.seq - b.seq);
      for (const m of fresh) {
        if (m.seq > range.upTo) break;
        this.stats.fromHistory++;
        if (this.seenIds.has(m.id)) this.stats.duplicatesDropped++;
        else this.admit(m);
      }
      const last = fresh.at(-1);
      if (!page.hasMore || !last || last.seq >= range.upTo) break;
      cursor = last.seq;
    }
    if (this.backfill === range) this.backfill = undefined;
  }

  /**
   * History merged with the buffered live messages. Up to `settledUpTo` history is the
   * whole truth, so the seqs it lacks there are holes and are skipped.
   */
  private applyHistory(messages: Message[], settledUpTo: number | undefined): void {
    if (this.pos === undefined) return;
    for (const m of messages) {
      this.stats.fromHistory++;
      if (this.seenIds.has(m.id)) this.stats.duplicatesDropped++;
      else this.admit(m);
    }
    if (settledUpTo !== undefined && settledUpTo > this.pos) this.releaseBufferedUpTo(settledUpTo);
    this.settleBuffer();
  }

  /** The missing seqs never showed up: treat them as holes and release what we hold. */
  private skipHoles(): void {
    const highest = Math.max(...this.buffer.keys());
    this.releaseBufferedUpTo(highest);
  }

  private releaseBufferedUpTo(seq: number): void {
    const ready = [...this.buffer.keys()].filter((s) => s <= seq).sort((a, b) => a - b);
    for (const s of ready) this.releaseSeq(s);
    this.advanceTo(seq);
  }

  /** Releases buffered messages that now follow `position` without a gap. */
  private settleBuffer(): void {
    if (this.pos === undefined) return;
    const start = this.pos;
    for (const s of [...this.buffer.keys()]) if (s <= this.pos) this.releaseSeq(s, true);
    while (this.buffer.has(this.pos + 1)) {
      this.pos += 1;
      this.releaseSeq(this.pos);
    }
    if (this.pos > start) this.deps.onPosition?.(this.roomId, this.pos);
    if (this.buffer.size === 0) this.clearGapTimer();
  }

  private advanceTo(seq: number): void {
    if (this.pos !== undefined && seq <= this.pos) return;
    this.pos = seq;
    this.deps.onPosition?.(this.roomId, seq);
  }

  /**
   * Below the position: the late path, or dropped as a copy. Above it: held until its turn,
   * even a copy of a send already released, so that its seq is passed rather than awaited
   * as a gap; releaseSeq drops it then.
   */
  private admit(message: Message): void {
    if (this.pos === undefined || message.seq > this.pos) this.hold(message);
    else if (this.isSeen(message)) this.stats.duplicatesDropped++;
    else this.deliverLate(message);
  }

  private deliver(message: Message): void {
    this.stats.released++;
    this.remember(message);
    this.deps.release(message);
  }

  private deliverLate(message: Message): void {
    this.stats.late++;
    this.remember(message);
    this.deps.releaseLate(message);
  }

  private hold(message: Message): void {
    const held = this.buffer.get(message.seq) ?? [];
    if (!held.some((m) => m.id === message.id)) held.push(message);
    this.buffer.set(message.seq, held);
  }

  /** Releases everything held at one seq; same-seq twins in a stable order (by id). */
  private releaseSeq(seq: number, late = false): void {
    const held = this.buffer.get(seq) ?? [];
    this.buffer.delete(seq);
    for (const m of held.sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (this.isSeen(m)) this.stats.duplicatesDropped++;
      else if (late) this.deliverLate(m);
      else this.deliver(m);
    }
  }

  /**
   * Not by seq: a seq is unique only while Redis keeps its counter. By id, and by the send's
   * identity, because one send stored twice has two ids.
   */
  private isSeen(message: Message): boolean {
    return this.seenIds.has(message.id) || this.seenSends.has(sendKey(message));
  }

  private remember(message: Message): void {
    const send = sendKey(message);
    this.seenIds.add(message.id);
    this.seenSends.add(send);
    this.seenOrder.push({ id: message.id, send });
    const window = this.options.dedupeWindow ?? 10_000;
    while (this.seenOrder.length > window) {
      const old = this.seenOrder.shift()!;
      this.seenIds.delete(old.id);
      this.seenSends.delete(old.send);
    }
  }

  private scheduleCatchUp(delayMs: number): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.gapTimer !== undefined || this.closed) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.catchUp().catch((err: unknown) => this.onCatchUpFailed(err));
    }, delayMs);
  }

  private onCatchUpFailed(err: unknown): void {
    const error = toParleyError(err);
    this.deps.onError?.(error);
    // Offline: the reconnect catch-up will do it. Otherwise try again, slower each time.
    if (error.code === 'DISCONNECTED' || error.code === 'CLOSED' || this.buffer.size === 0) return;
    this.retryAttempt++;
    this.scheduleCatchUp(Math.min(30_000, 500 * 2 ** this.retryAttempt));
  }

  private clearGapTimer(): void {
    clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
  }
}

function sendKey(message: Message): string {
  return `${message.senderId}\u0000${message.clientMsgId}`;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
