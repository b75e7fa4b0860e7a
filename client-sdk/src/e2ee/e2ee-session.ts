import type { E2eeMessageKind, Message, Room } from '@parley/contract';
import type { ClientState, Proposal } from 'ts-mls';
import type { ParleyClient } from '../client';
import { ParleyError } from '../errors';
import type { SentMessage } from '../outbox';
import { type E2eeKeyStore, MemoryKeyStore } from './key-store';
import { type Mls, mls } from './mls';
import type {
  E2eeEpochChange,
  E2eeMessage,
  E2eeSessionOptions,
  UndecryptableReason,
} from './e2ee-types';
import { GroupStates, ORPHAN_COMMITS_MAX } from './group-states';
import { SerialQueue } from './serial-queue';

type Listener<T> = (value: T) => void;

/**
 * End-to-end encrypted rooms over a ParleyClient, with MLS (RFC 9420, via ts-mls). The
 * server is the delivery service: it stores and relays ciphertext, keeps the key directory,
 * and orders every handshake message in the room's one seq order. This session applies
 * commits in that order (the first commit of an epoch wins; a later one for the same epoch
 * lost the race and is ignored by everyone), encrypts on send and decrypts on receive.
 */
export class E2eeSession {
  private readonly states: GroupStates;
  private readonly queues = new Map<string, SerialQueue>();
  /** One outgoing operation per room at a time: no message is encrypted under a commit in flight. */
  private readonly gates = new Map<string, SerialQueue>();
  private readonly messageListeners = new Set<Listener<E2eeMessage>>();
  private readonly epochListeners = new Set<Listener<E2eeEpochChange>>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private replenishing: Promise<void> | undefined;

  private constructor(
    private readonly client: ParleyClient,
    private readonly m: Mls,
    private readonly store: E2eeKeyStore,
    readonly userId: string,
    readonly deviceId: string,
    private readonly options: E2eeSessionOptions,
  ) {
    this.states = new GroupStates(store, m);
  }

  /** Loads MLS and the device's keys, fills the key directory, and follows the room feed. */
  static async start(client: ParleyClient, options: E2eeSessionOptions = {}): Promise<E2eeSession> {
    const store = options.store ?? new MemoryKeyStore();
    const m = await mls();
    // A request waits for the connection, after which the user id is known.
    const probeId = options.deviceId ?? (await store.get('device')) ?? randomDeviceId();
    await store.set('device', probeId);
    const { remaining } = await client.request('keys:count', { deviceId: probeId });
    const userId = client.userId;
    if (!userId) throw new ParleyError('UNAUTHORIZED', 'the client has no signed-in user');
    const session = new E2eeSession(client, m, store, userId, probeId, options);
    session.follow();
    await session.replenish(remaining);
    void session.reconcile().catch(() => undefined); // retried after every reconnect
    return session;
  }

  /** Decrypted (or undecryptable) application messages, in room order. */
  onMessage(listener: Listener<E2eeMessage>): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Commits applied and groups joined. */
  onEpoch(listener: Listener<E2eeEpochChange>): () => void {
    this.epochListeners.add(listener);
    return () => this.epochListeners.delete(listener);
  }

  /** The group's members as this device sees them (empty when it is not in the group). */
  members(roomId: string) {
    const state = this.states.peek(roomId)?.state;
    return state ? this.m.members(state) : [];
  }

  epoch(roomId: string): number | undefined {
    const state = this.states.peek(roomId)?.state;
    return state ? Number(this.m.epochOf(state)) : undefined;
  }

  /** Creates an E2EE group room and adds the members' devices (and our other devices). */
  async createRoom(name: string, memberIds: string[] = []): Promise<Room> {
    const room = await this.client.request('room:create', { name, memberIds, e2ee: true });
    this.client.trackRoom(room.id, 0);
    await this.createGroup(room.id);
    await this.addDevices(room.id, [...new Set([...memberIds, this.userId])]);
    return room;
  }

  /** Opens the E2EE DM with a user; its creator makes the group, the peer joins by Welcome. */
  async openDm(peerId: string): Promise<Room> {
    const room = await this.client.request('dm:open', { userId: peerId, e2ee: true });
    this.client.trackRoom(room.id);
    if (room.createdBy === this.userId && !(await this.states.group(room.id)).state) {
      await this.createGroup(room.id);
      await this.addDevices(room.id, [peerId, this.userId]);
    }
    return room;
  }

  /** Adds users to the room (server membership) and their devices to the group. */
  async invite(roomId: string, userIds: string[]): Promise<number> {
    await this.client.request('room:invite', { roomId, userIds });
    return this.addDevices(roomId, userIds);
  }

  /**
   * Adds every device of these users that is not in the group yet (claims one KeyPackage
   * per device, commits, then sends the Welcome). Resolves with the number of devices added.
   */
  addDevices(roomId: string, userIds: string[]): Promise<number> {
    return this.gate(roomId).run(async () => {
      const present = this.members(roomId).map((x) => x.deviceId);
      const { packages } = await this.client.request('keys:claim', {
        roomId,
        userIds,
        skipDeviceIds: [...new Set([...present, this.deviceId])],
      });
      const proposals: Proposal[] = [];
      for (const claimed of packages) {
        const keyPackage = this.m.keyPackageOf(claimed.keyPackage);
        if (keyPackage) proposals.push({ proposalType: 'add', add: { keyPackage } });
      }
      if (proposals.length === 0) return 0;
      await this.commit(roomId, proposals);
      return proposals.length;
    });
  }

  /** Removes every device of a user from the group (a commit: new keys the user lacks). */
  removeUser(roomId: string, userId: string): Promise<boolean> {
    return this.gate(roomId).run(async () => {
      const leaves = this.members(roomId).filter((x) => x.userId === userId);
      if (leaves.length === 0) return false;
      await this.commit(
        roomId,
        leaves.map((x) => ({ proposalType: 'remove', remove: { removed: x.leafIndex } })),
      );
      return true;
    });
  }

  /** Encrypts and sends (through the outbox: retried until acked, like any send). */
  send(roomId: string, text: string): Promise<SentMessage> {
    return this.gate(roomId).run(async () => {
      const body = await this.queue(roomId).run(async () => {
        const group = await this.states.group(roomId);
        if (!group.state || group.removed)
          throw new ParleyError('FORBIDDEN', 'this device is not in the room’s E2EE group', {
            retryable: false,
          });
        const out = await this.m.m.createApplicationMessage(
          group.state,
          this.m.textEncode(text),
          this.m.impl,
        );
        await this.states.save(roomId, group, out.newState);
        return this.m.encode({
          privateMessage: out.privateMessage,
          wireformat: 'mls_private_message',
          version: 'mls10',
        });
      });
      const clientMsgId = globalThis.crypto.randomUUID();
      (await this.states.group(roomId)).sent.set(clientMsgId, text);
      return this.post(roomId, body, 'mls-app', clientMsgId);
    });
  }

  /**
   * Reads one stored E2EE message (from history, or obtained any other way) with this
   * device's keys. Never throws: what cannot be read comes back `undecryptable`.
   */
  decrypt(message: Message): Promise<E2eeMessage> {
    return this.queue(message.roomId).run(() => this.readApplication(message));
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const off of this.unsubscribe) off();
    this.messageListeners.clear();
    this.epochListeners.clear();
  }

  // ---- the feed -------------------------------------------------------------------------

  private follow() {
    const onMessage = (message: Message, late: boolean) => {
      if (message.kind === undefined) return;
      void this.queue(message.roomId)
        .run(() => this.apply(message, late))
        .catch(() => undefined); // apply() reports through its result; nothing to throw to
    };
    this.unsubscribe.push(
      this.client.on('message:created', (m) => onMessage(m, false)),
      this.client.on('message:late', (m) => onMessage(m, true)),
      this.client.on('member:left', ({ roomId, userId }) => this.scheduleRemoval(roomId, userId)),
      // Members who left while this device was offline: nobody may have removed them yet.
      this.client.on('client:synced', () => void this.reconcile().catch(() => undefined)),
      this.client.on('room:removed', ({ roomId }) => {
        const group = this.states.peek(roomId);
        if (group) group.removed = true;
      }),
    );
  }

  private async apply(message: Message, late: boolean): Promise<void> {
    if (message.deleted) return;
    switch (message.kind) {
      case 'mls-app': {
        const read = await this.readApplication(message);
        this.emitMessage(late ? { ...read, late: true } : read);
        return;
      }
      case 'mls-commit':
        return this.applyCommit(message);
      case 'mls-welcome':
        return this.applyWelcome(message);
    }
  }

  private async applyCommit(message: Message) {
    const group = await this.states.group(message.roomId);
    const mine = group.pending.get(message.clientMsgId);
    if (message.senderId === this.userId && mine) {
      group.pending.delete(message.clientMsgId);
      const won = group.state !== undefined && this.m.epochOf(group.state) === mine.epoch;
      if (won) await this.states.save(message.roomId, group, mine.newState);
      mine.settle(won);
      if (won) this.emitEpoch(message.roomId, mine.newState);
      return;
    }
    if (!group.state) {
      group.orphanCommits.push(message);
      if (group.orphanCommits.length > ORPHAN_COMMITS_MAX) group.orphanCommits.shift();
      return;
    }
    if (group.removed) return;
    const decoded = this.m.decode(message.body);
    if (
      decoded?.wireformat !== 'mls_private_message' &&
      decoded?.wireformat !== 'mls_public_message'
    )
      return;
    const epoch =
      decoded.wireformat === 'mls_private_message'
        ? decoded.privateMessage.epoch
        : decoded.publicMessage.content.epoch;
    // Only the first commit of an epoch (in seq order) counts: one that comes later for the
    // same epoch lost the race, for every member alike.
    if (epoch !== this.m.epochOf(group.state)) return;
    try {
      const result = await this.m.m.processMessage(
        decoded,
        group.state,
        this.m.m.emptyPskIndex,
        this.m.m.acceptAll,
        this.m.impl,
      );
      if (result.newState.groupActiveState.kind === 'removedFromGroup') {
        group.removed = true;
        return;
      }
      await this.states.save(message.roomId, group, result.newState);
      this.emitEpoch(message.roomId, result.newState);
    } catch {
      // A commit we cannot process leaves this device out of step: later messages show as
      // undecryptable until it is added again.
    }
  }

  private async applyWelcome(message: Message) {
    const group = await this.states.group(message.roomId);
    if (group.state && !group.removed) return; // already in the group
    const decoded = this.m.decode(message.body);
    if (decoded?.wireformat !== 'mls_welcome') return;
    for (const ref of this.m.welcomeRefs(decoded.welcome)) {
      const saved = await this.store.get(`kp:${ref}`);
      if (!saved) continue;
      const { wire, secret } = JSON.parse(saved) as { wire: string; secret: string };
      const keyPackage = this.m.keyPackageOf(wire);
      if (!keyPackage) continue;
      try {
        const state = await this.m.m.joinGroup(
          decoded.welcome,
          keyPackage,
          this.m.decodePrivatePackage(secret),
          this.m.m.emptyPskIndex,
          this.m.impl,
        );
        // A KeyPackage is used once: its private half goes now.
        await this.store.delete(`kp:${ref}`);
        // A Welcome posted in this room must be for this room's group (the group id is the
        // room id): a member cannot pull us into another group through it.
        if (this.m.textDecode(state.groupContext.groupId) !== message.roomId) return;
        group.removed = false;
        await this.states.setJoined(message.roomId, group, state);
        await this.states.save(message.roomId, group, state);
        this.emitEpoch(message.roomId, state);
        const orphans = group.orphanCommits; // all before the Welcome, in seq order
        group.orphanCommits = [];
        for (const commit of orphans) await this.applyCommit(commit);
        void this.replenish().catch(() => undefined);
      } catch {
        // Not a Welcome we can use (e.g. to a group we were removed from since): ignore.
      }
      return;
    }
  }

  private async readApplication(message: Message): Promise<E2eeMessage> {
    const base = { roomId: message.roomId, seq: message.seq, senderId: message.senderId, message };
    const fail = (reason: UndecryptableReason): E2eeMessage => ({
      ...base,
      undecryptable: true,
      reason,
    });
    const group = await this.states.group(message.roomId);
    const own = group.sent.get(message.clientMsgId);
    if (message.senderId === this.userId && own !== undefined) return { ...base, text: own };
    const decoded = this.m.decode(message.body);
    if (decoded?.wireformat !== 'mls_private_message') return fail('malformed');
    if (!group.state) return fail('not-in-group');
    try {
      const result = await this.m.m.processPrivateMessage(
        group.state,
        decoded.privateMessage,
        this.m.m.emptyPskIndex,
        this.m.impl,
      );
      if (result.kind !== 'applicationMessage') return fail('malformed');
      await this.states.save(message.roomId, group, result.newState);
      return { ...base, text: this.m.textDecode(result.message) };
    } catch {
      if (group.joinedEpoch !== undefined && decoded.privateMessage.epoch < group.joinedEpoch)
        return fail('not-in-group');
      if (group.removed) return fail('removed');
      if (message.senderId === this.userId) return fail('own-message-unavailable');
      return fail('decrypt-failed');
    }
  }

  // ---- outgoing handshakes ----------------------------------------------------------------

  private async createGroup(roomId: string) {
    await this.queue(roomId).run(async () => {
      const group = await this.states.group(roomId);
      if (group.state) return;
      const own = await this.m.newKeyPackage(this.userId, this.deviceId);
      const state = await this.m.m.createGroup(
        this.m.textEncode(roomId),
        own.publicPackage,
        own.privatePackage,
        [],
        this.m.impl,
      );
      await this.states.setJoined(roomId, group, state);
      await this.states.save(roomId, group, state);
      this.emitEpoch(roomId, state);
    });
  }

  /**
   * Sends a commit and waits until the room's feed reaches it: applied if it was the first
   * commit of its epoch, else it lost the race (CONFLICT, retryable: try again). The
   * Welcome for added members goes out only after the commit won.
   */
  private async commit(roomId: string, proposals: Proposal[]) {
    const clientMsgId = globalThis.crypto.randomUUID();
    const { commit, welcome, decided } = await this.queue(roomId).run(async () => {
      const group = await this.states.group(roomId);
      if (!group.state || group.removed)
        throw new ParleyError('FORBIDDEN', 'this device is not in the room’s E2EE group', {
          retryable: false,
        });
      const epoch = this.m.epochOf(group.state);
      const result = await this.m.m.createCommit(
        { state: group.state, cipherSuite: this.m.impl },
        // The Welcome carries the ratchet tree: the server holds no group state to serve it.
        { extraProposals: proposals, ratchetTreeExtension: true },
      );
      const decided = new Promise<boolean>((settle) =>
        group.pending.set(clientMsgId, { newState: result.newState, epoch, settle }),
      );
      return { commit: this.m.encode(result.commit), welcome: result.welcome, decided };
    });
    // If the send fails, the pending entry stays: a send without an ack may still have been
    // stored (maybe-stored), and when the feed brings it we must move to its epoch with the
    // other members. Only a member can apply its own commit from the state kept here.
    await this.post(roomId, commit, 'mls-commit', clientMsgId);
    if (!(await decided))
      throw new ParleyError('CONFLICT', 'another member committed first; try again', {
        retryable: true,
      });
    if (welcome) {
      const body = this.m.encode({ welcome, wireformat: 'mls_welcome', version: 'mls10' });
      await this.post(roomId, body, 'mls-welcome', globalThis.crypto.randomUUID());
    }
  }

  /**
   * Compares each E2EE group this device is in with the room's members on the server, and
   * removes from the group whoever is no longer in the room (the `member:left` they caused
   * may have reached no member that was online).
   */
  private async reconcile() {
    const rooms = await this.client.request('room:list', {});
    for (const room of rooms.filter((r) => r.e2ee === true)) {
      const group = await this.states.group(room.id);
      if (!group.state || group.removed) continue;
      const inRoom = new Set(
        (await this.client.request('room:members', { roomId: room.id })).map((x) => x.userId),
      );
      const gone = new Set(
        this.members(room.id)
          .map((x) => x.userId)
          .filter((id) => !inRoom.has(id)),
      );
      for (const userId of gone) this.scheduleRemoval(room.id, userId);
    }
  }

  private scheduleRemoval(roomId: string, userId: string) {
    const me = this.members(roomId).filter((x) => x.userId !== userId);
    const rank = me.findIndex((x) => x.userId === this.userId && x.deviceId === this.deviceId);
    if (rank < 0 || !this.members(roomId).some((x) => x.userId === userId)) return;
    const delay = rank * (this.options.removalStaggerMs ?? 1500);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.removeUser(roomId, userId).catch(() => undefined); // another member did it
    }, delay);
    this.timers.add(timer);
  }

  private post(roomId: string, body: string, kind: E2eeMessageKind, clientMsgId: string) {
    this.client.trackRoom(roomId);
    return this.client.send(roomId, body, { kind, clientMsgId });
  }

  // ---- keys ---------------------------------------------------------------------------------

  /** Uploads fresh KeyPackages when fewer than half the target are left. */
  private replenish(known?: number): Promise<void> {
    this.replenishing ??= (async () => {
      try {
        const target = this.options.keyPackageTarget ?? 10;
        const remaining =
          known ?? (await this.client.request('keys:count', { deviceId: this.deviceId })).remaining;
        if (remaining >= target / 2) return;
        const fresh = await Promise.all(
          Array.from({ length: target - remaining }, () =>
            this.m.newKeyPackage(this.userId, this.deviceId),
          ),
        );
        // Private halves first: a Welcome may arrive as soon as a package is claimable.
        for (const kp of fresh)
          await this.store.set(
            `kp:${kp.ref}`,
            JSON.stringify({
              wire: kp.wire,
              secret: this.m.encodePrivatePackage(kp.privatePackage),
            }),
          );
        await this.client.request('keys:upload', {
          deviceId: this.deviceId,
          keyPackages: fresh.map((kp) => kp.wire),
        });
      } finally {
        this.replenishing = undefined;
      }
    })();
    return this.replenishing;
  }

  // ---- state --------------------------------------------------------------------------------

  private queue(roomId: string): SerialQueue {
    let queue = this.queues.get(roomId);
    if (!queue) this.queues.set(roomId, (queue = new SerialQueue()));
    return queue;
  }

  private gate(roomId: string): SerialQueue {
    let gate = this.gates.get(roomId);
    if (!gate) this.gates.set(roomId, (gate = new SerialQueue()));
    return gate;
  }

  private emitMessage(message: E2eeMessage) {
    for (const listener of this.messageListeners) listener(message);
  }

  private emitEpoch(roomId: string, state: ClientState) {
    const change: E2eeEpochChange = {
      roomId,
      epoch: Number(this.m.epochOf(state)),
      members: this.m.members(state).map(({ userId, deviceId }) => ({ userId, deviceId })),
    };
    for (const listener of this.epochListeners) listener(change);
  }
}

function randomDeviceId(): string {
  return globalThis.crypto.randomUUID().replace(/-/g, '');
}
