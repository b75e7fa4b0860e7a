import argon2 from 'argon2';
import type { Config } from '../config/load-config';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the stored hash used another variant or other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
  /** Spends the same work as a real verify, so "no such user" takes as long as "wrong password". */
  burnEquivalentTime(password: string): Promise<void>;
}

export function createPasswordHasher(params: Config['argon2']): PasswordHasher {
  const options = { type: argon2.argon2id, ...params } as const;
  // Made at boot, not on the first unknown-user login: otherwise that one login would
  // cost a hash plus a verify and stand out in timing.
  const dummyHash = argon2.hash('parley-timing-equaliser', options);
  dummyHash.catch(() => undefined);
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash is a failed login, not a crash
      }
    },
    needsRehash(hash) {
      // argon2.needsRehash compares only m/t/p/version: an argon2i or argon2d hash with the
      // same numbers would otherwise never be upgraded to argon2id.
      if (!hash.startsWith('$argon2id$')) return true;
      try {
        return argon2.needsRehash(hash, options);
      } catch {
        return true;
      }
    },
    async burnEquivalentTime(password) {
      await argon2.verify(await dummyHash, password).catch(() => false);
    },
  };
}
