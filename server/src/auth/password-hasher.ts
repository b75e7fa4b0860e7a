import argon2 from 'argon2';
import type { Config } from '../config/load-config';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the stored hash used other parameters than the configured ones. */
  needsRehash(hash: string): boolean;
  /** Spends the same work as a real verify, so "no such user" takes as long as "wrong password". */
  burnEquivalentTime(password: string): Promise<void>;
}

export function createPasswordHasher(params: Config['argon2']): PasswordHasher {
  const options = { type: argon2.argon2id, ...params } as const;
  let dummyHash: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash is a failed login, not a crash
      }
    },
    needsRehash: (hash) => argon2.needsRehash(hash, options),
    async burnEquivalentTime(password) {
      dummyHash ??= argon2.hash('parley-timing-equaliser', options);
      await argon2.verify(await dummyHash, password).catch(() => false);
    },
  };
}
