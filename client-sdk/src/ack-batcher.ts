import { limits } from './errors';

export type DeliveryAck = { roomId: string; seq: number };

export interface AckBatcherOptions {
  /**
   * Longest time a delivery ack waits to be batched with others, in ms.
   * @default 500
   */
  intervalMs?: number;
}

/**
 * Collects the highest released seq per room and sends them in one `delivery:ack` at most
 * every `intervalMs`: the server's delivered cursor only needs the latest position, and one
 * write per room per interval is far cheaper than one per message.
 */
export class AckBatcher {
  private readonly pending = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing = false;

  constructor(
    /** Sends one batch; rejects when it did not reach the server (the batch is kept). */
    private readonly sendBatch: (acks: DeliveryAck[]) => Promise<void>,
    private readonly isConnected: () => boolean,
    private readonly options: AckBatcherOptions = {},
  ) {}

  note(roomId: string, seq: number): void {
    const known = this.pending.get(roomId);
    if (known === undefined || seq > known) this.pending.set(roomId, seq);
    this.schedule();
  }

  /** Called on reconnect: whatever waited while offline goes out now. */
  resume(): void {
    if (this.pending.size > 0) this.schedule();
  }

  async flush(): Promise<void> {
    this.clearTimer();
    if (this.flushing || this.pending.size === 0 || !this.isConnected()) return;
    this.flushing = true;
    const batch = [...this.pending].map(([roomId, seq]) => ({ roomId, seq }));
    this.pending.clear();
    try {
      for (let i = 0; i < batch.length; i += limits.ackBatchMaxRooms) {
        const chunk = batch.slice(i, i + limits.ackBatchMaxRooms);
        try {
          await this.sendBatch(chunk);
        } catch {
          // Put them back unless something newer arrived meanwhile; the next flush retries.
          for (const { roomId, seq } of chunk) {
            const known = this.pending.get(roomId);
            if (known === undefined || seq > known) this.pending.set(roomId, seq);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.pending.size > 0 && this.isConnected()) this.schedule();
  }

  close(): void {
    this.clearTimer();
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.intervalMs ?? 500);
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
