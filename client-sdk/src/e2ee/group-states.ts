import type { Message } from '@parley/contract';
import type { ClientState } from 'ts-mls';
import type { E2eeKeyStore } from './key-store';
import type { Mls } from './mls';

/** What one device knows of one room's MLS group. */
export interface Group {
  state?: ClientState;
  /** The epoch this device entered the group at: anything older was never meant for it. */
  joinedEpoch?: bigint;
  removed: boolean;
  /** Our commits in flight, by clientMsgId: applied when the feed reaches them. */
  pending: Map<string, { newState: ClientState; epoch: bigint; settle: (won: boolean) => void }>;
  /** Plaintext of our own sends, by clientMsgId (MLS cannot decrypt one's own messages). */
  sent: Map<string, string>;
  /**
   * Commits seen before this device had a group state. Another member's commit may land
   * between the commit that added us and its Welcome; after joining we apply those that
   * belong to our epoch, in seq order, so we do not fall one epoch behind.
   */
  orphanCommits: Message[];
}

/** Commits kept while waiting for a Welcome. */
export const ORPHAN_COMMITS_MAX = 32;

/**
 * The device's groups: loaded from the key store on first use (so a restarted device
 * carries on where it stopped), written back after every change.
 */
export class GroupStates {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly store: E2eeKeyStore,
    private readonly m: Mls,
  ) {}

  /** Only what is loaded already: no store read. */
  peek(roomId: string): Group | undefined {
    return this.groups.get(roomId);
  }

  async group(roomId: string): Promise<Group> {
    let group = this.groups.get(roomId);
    if (group) return group;
    const saved = await this.store.get(`group:${roomId}`);
    group = this.groups.get(roomId); // another caller may have loaded it meanwhile
    if (group) return group;
    group = { removed: false, pending: new Map(), sent: new Map(), orphanCommits: [] };
    const state = saved ? this.m.decodeState(saved) : undefined;
    if (state) group.state = state;
    const joined = await this.store.get(`joined:${roomId}`);
    if (joined !== undefined) group.joinedEpoch = BigInt(joined);
    this.groups.set(roomId, group);
    return group;
  }

  async setJoined(roomId: string, group: Group, state: ClientState) {
    group.joinedEpoch = this.m.epochOf(state);
    await this.store.set(`joined:${roomId}`, String(group.joinedEpoch));
  }

  async save(roomId: string, group: Group, state: ClientState) {
    group.state = state;
    await this.store.set(`group:${roomId}`, this.m.encodeState(state));
  }
}
