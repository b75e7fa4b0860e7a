import { describe, expect, it } from 'vitest';
import type { PasswordHasher } from '../../src/auth/password-hasher';
import { AppError } from '../../src/errors';
import { createMemoryStores } from '../../src/storage/memory/memory-stores';
import { authServiceOver } from '../helpers/auth-service-harness';

const password = 'correct horse battery staple';

/** Counts the argon2 verifications each login path pays for. */
function counting(hasher: PasswordHasher) {
  const counts = { verify: 0, burn: 0 };
  const wrapped: PasswordHasher = {
    ...hasher,
    verify: (hash, pw) => {
      counts.verify++;
      return hasher.verify(hash, pw);
    },
    burnEquivalentTime: (pw) => {
      counts.burn++;
      return hasher.burnEquivalentTime(pw);
    },
  };
  return { counts, wrapped };
}

async function failureOf(work: Promise<unknown>) {
  const err: unknown = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const { code, message } = err as AppError;
  return { code, message };
}

describe('login does not reveal whether an account exists', () => {
  it('no-such-user and wrong password fail with the same error after the same argon2 work', async () => {
    let probe = { verify: 0, burn: 0 };
    const { service } = authServiceOver(createMemoryStores(), {}, (h) => {
      const c = counting(h);
      probe = c.counts;
      return c.wrapped;
    });
    await service.register('existing_user', password, '10.0.0.1');

    const before = { ...probe };
    const wrong = await failureOf(service.login('existing_user', 'wrong password!!', '10.0.0.2'));
    const wrongWork = probe.verify + probe.burn - before.verify - before.burn;

    const mid = { ...probe };
    const missing = await failureOf(service.login('nobody_here', password, '10.0.0.3'));
    const missingWork = probe.verify + probe.burn - mid.verify - mid.burn;

    expect(missing).toEqual(wrong);
    expect(wrong).toEqual({ code: 'UNAUTHORIZED', message: 'invalid username or password' });
    // One full argon2 verification each, at the configured parameters.
    expect(wrongWork).toBe(1);
    expect(missingWork).toBe(1);
    expect(probe.burn).toBe(1);
  });
});
