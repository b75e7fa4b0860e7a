import type { Message } from '@parley/contract';
import type { E2eeKeyStore } from './key-store';

/** Why a message could not be read; the app shows it as such, the SDK never throws. */
export type UndecryptableReason =
  /** This device had no group state yet: it joined (or was added) after the message. */
  | 'not-in-group'
  /** This device was removed from the group before the message was sent. */
  | 'removed'
  /** Our own message from an earlier session: MLS cannot decrypt one's own ciphertext. */
  | 'own-message-unavailable'
  /** The keys for the message's epoch or generation are gone, or the ciphertext is bad. */
  | 'decrypt-failed'
  /** Not an MLS message at all. */
  | 'malformed';

/** One application message of an E2EE room, as the app sees it. */
export type E2eeMessage = {
  roomId: string;
  seq: number;
  senderId: string;
  message: Message;
  /** It came through the feed's late path (`message:late`): below the room's position. */
  late?: true;
} & ({ text: string } | { undecryptable: true; reason: UndecryptableReason });

/** The group changed (a commit was applied, or this device joined through a Welcome). */
export interface E2eeEpochChange {
  roomId: string;
  epoch: number;
  members: { userId: string; deviceId: string }[];
}

export interface E2eeSessionOptions {
  /**
   * Where the device keeps its secrets.
   * @default a MemoryKeyStore (nothing survives the process)
   */
  store?: E2eeKeyStore;
  /**
   * This device's id in the key directory (letters, digits, `_`, `-`).
   * @default the one in the store, else a new random id (then kept in the store)
   */
  deviceId?: string;
  /**
   * Unclaimed KeyPackages the device keeps in the directory; it uploads more when fewer than
   * half are left (at start and after joining a group).
   * @default 10
   */
  keyPackageTarget?: number;
  /**
   * On `member:left`, the remaining member with the lowest leaf commits the removal at
   * once; the others wait this long per rank and commit only if it has not happened.
   * @default 1500
   */
  removalStaggerMs?: number;
}
