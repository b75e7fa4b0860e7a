import type { Message } from '@parley/contract';
import { randomUUID } from 'node:crypto';
import {
  createParleyClient,
  E2eeSession,
  type E2eeMessage,
  MemoryKeyStore,
  type ParleyClient,
} from '../../../client-sdk/src/index';
import { sleep } from './processes';

/** One `send()` the application made, and what the SDK told it. */
export interface SendRecord {
  client: number;
  roomId: string;
  /** Unique per send() call, so every stored row can be traced back to one call. */
  body: string;
  state: 'pending' | 'acked' | 'failed';
  /** Epoch ms of the send() call and of its outcome. */
  startedAt: number;
  settledAt?: number;
  message?: Message;
  error?: string;
}

/** What one client's application saw on a room's ordered feed, in order. */
export interface Delivery {
  id: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  /** Came through the SDK's documented `message:late` path (below the room's position). */
  late: boolean;
  /** E2EE rooms: this member could not read it (a current member always must). */
  undecryptable?: string;
}

export interface WorkloadOptions {
  lbUrl: string;
  clients: number;
  rooms: number;
  membersPerRoom: number;
  /** Messages per second, all clients together. */
  rate: number;
  /** The first this-many rooms are end-to-end encrypted: sends and reads go through MLS. */
  e2eeRooms: number;
}

async function register(lbUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${lbUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { id?: string };
  if (res.status !== 201 || !body.id) throw new Error(`register failed: ${res.status}`);
  return body.id;
}

/**
 * SDK clients behind the load balancer, in overlapping rooms (each room has
 * `membersPerRoom` members, consecutive clients modulo the client count), sending at a
 * steady total rate with the SDK's own retries, while recording every feed.
 */
export class Workload {
  readonly clients: ParleyClient[] = [];
  readonly userIds: string[] = [];
  readonly rooms: { id: string; members: number[]; e2ee: boolean }[] = [];
  /** Each client's MLS session (clients in an E2EE room only). */
  readonly sessions: (E2eeSession | undefined)[] = [];
  readonly sends: SendRecord[] = [];
  /** feeds[client].get(roomId) = deliveries in the order the app got them. */
  readonly feeds: Map<string, Delivery[]>[] = [];
  readonly sdkErrors = new Map<string, number>();
  private sending = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  async start(): Promise<void> {
    const { lbUrl, clients, rooms, membersPerRoom } = this.options;
    const password = 'chaos checker password';
    for (let i = 0; i < clients; i++) {
      const username = `chaos_${randomUUID().slice(0, 12)}`;
      this.userIds.push(await register(lbUrl, username, password));
      const client = createParleyClient({
        url: lbUrl,
        credentials: { username, password },
        reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
        outbox: { ackTimeoutMs: 5_000, backoff: { initialDelayMs: 100, maxDelayMs: 1_000 } },
        requestTimeoutMs: 10_000,
      });
      client.on('client:error', (err) =>
        this.sdkErrors.set(err.code, (this.sdkErrors.get(err.code) ?? 0) + 1),
      );
      this.clients.push(client);
      this.feeds.push(new Map());
    }
    await Promise.all(this.clients.map((c) => c.status.waitFor('connected', 30_000)));

    for (let r = 0; r < rooms; r++) {
      const step = Math.max(1, Math.floor(clients / rooms));
      const members = Array.from({ length: membersPerRoom }, (_, j) => (r * step + j) % clients);
      if (r < this.options.e2eeRooms) {
        await this.startE2eeRoom(r, members);
        continue;
      }
      const [owner, ...others] = members;
      const room = await this.clients[owner!]!.rooms.create({
        name: `chaos-${r}`,
        memberIds: others.map((m) => this.userIds[m]!),
      });
      this.rooms.push({ id: room.id, members, e2ee: false });
      for (const m of members) {
        const feed: Delivery[] = [];
        this.feeds[m]!.set(room.id, feed);
        const record = (late: boolean) => (msg: Omit<Delivery, 'late'>) =>
          feed.push({
            id: msg.id,
            seq: msg.seq,
            senderId: msg.senderId,
            clientMsgId: msg.clientMsgId,
            late,
          });
        const feedOf = this.clients[m]!.room(room.id);
        feedOf.on('message:created', record(false));
        feedOf.on('message:late', record(true));
      }
      await Promise.all(others.map((m) => this.clients[m]!.rooms.join(room.id)));
    }
  }

  /**
   * An MLS group room: the owner's session creates it and adds every member's device by
   * Welcome; each member's feed is what its session decrypted, in room order.
   */
  private async startE2eeRoom(r: number, members: number[]): Promise<void> {
    for (const m of members) {
      this.sessions[m] ??= await E2eeSession.start(this.clients[m]!, {
        store: new MemoryKeyStore(),
      });
    }
    const [owner, ...others] = members;
    const room = await this.sessions[owner!]!.createRoom(
      `chaos-e2ee-${r}`,
      others.map((m) => this.userIds[m]!),
    );
    const joinedBy = Date.now() + 60_000;
    while (!members.every((m) => this.sessions[m]!.members(room.id).length === members.length)) {
      if (Date.now() > joinedBy) throw new Error(`E2EE room ${r}: not every member joined`);
      await sleep(100);
    }
    this.rooms.push({ id: room.id, members, e2ee: true });
    for (const m of members) {
      const feed: Delivery[] = [];
      this.feeds[m]!.set(room.id, feed);
      this.sessions[m]!.onMessage((msg: E2eeMessage) => {
        if (msg.roomId !== room.id) return;
        feed.push({
          id: msg.message.id,
          seq: msg.seq,
          senderId: msg.senderId,
          clientMsgId: msg.message.clientMsgId,
          late: msg.late === true,
          ...('undecryptable' in msg ? { undecryptable: msg.reason } : {}),
        });
      });
    }
  }

  roomsOf(client: number): string[] {
    return this.rooms.filter((r) => r.members.includes(client)).map((r) => r.id);
  }

  /** Starts the senders: each client sends to one of its rooms at rate/clients per second. */
  startSending(): void {
    this.sending = true;
    const perClientGapMs = (1000 * this.options.clients) / this.options.rate;
    this.loops = this.clients.map(async (client, i) => {
      const mine = this.roomsOf(i);
      let n = 0;
      await sleep(Math.random() * perClientGapMs);
      while (this.sending) {
        const roomId = mine[n % mine.length]!;
        const record: SendRecord = {
          client: i,
          roomId,
          body: `chaos c${i} n${n} ${randomUUID()}`,
          state: 'pending',
          startedAt: Date.now(),
        };
        n++;
        this.sends.push(record);
        const e2ee = this.rooms.find((r) => r.id === roomId)?.e2ee === true;
        (e2ee
          ? this.sessions[i]!.send(roomId, record.body)
          : client.room(roomId).send(record.body)
        ).then(
          (message) => {
            record.state = 'acked';
            record.settledAt = Date.now();
            record.message = message;
          },
          (err: unknown) => {
            record.state = 'failed';
            record.settledAt = Date.now();
            record.error =
              err && typeof err === 'object' && 'code' in err ? String(err.code) : String(err);
          },
        );
        await sleep(perClientGapMs * (0.5 + Math.random()));
      }
    });
  }

  async stopSending(): Promise<void> {
    this.sending = false;
    await Promise.all(this.loops);
  }

  pending(): number {
    return this.sends.filter((s) => s.state === 'pending').length;
  }

  /** True when every member's feed holds every acked message of its rooms. */
  converged(): boolean {
    for (const room of this.rooms) {
      const acked = this.sends.filter((s) => s.roomId === room.id && s.message);
      for (const m of room.members) {
        const ids = new Set(this.feeds[m]!.get(room.id)!.map((d) => d.id));
        if (acked.some((s) => !ids.has(s.message!.id))) return false;
      }
    }
    return true;
  }

  deliveredCount(): number {
    return this.feeds.reduce((n, f) => n + [...f.values()].reduce((k, d) => k + d.length, 0), 0);
  }

  close(): void {
    for (const s of this.sessions) s?.close();
    for (const c of this.clients) c.close();
  }
}
