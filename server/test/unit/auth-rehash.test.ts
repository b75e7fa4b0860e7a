import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../src/storage/memory/memory-stores';
import { authServiceOver } from '../helpers/auth-service-harness';

const password = 'correct horse battery staple';
/** {m, t, p} from a PHC string; node-argon2 writes them in no fixed order. */
const paramsOf = (hash: string) =>
  Object.fromEntries(
    (hash.split('$')[3] ?? '').split(',').map((kv) => {
      const [k, v] = kv.split('=');
      return [k, Number(v)];
    }),
  );

describe('rehash on login', () => {
  it('a login on a node with new argon2 parameters rewrites the stored hash', async () => {
    const stores = createMemoryStores();
    const oldNode = authServiceOver(stores, { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' });
    const newNode = authServiceOver(stores, { ARGON2_MEMORY_KIB: '9216', ARGON2_TIME_COST: '2' });

    const user = await oldNode.service.register('rehash_me', password, '10.0.0.1');
    const before = (await stores.users.findUserById(user.id))?.passwordHash ?? '';
    expect(paramsOf(before)).toEqual({ m: 8192, t: 1, p: 1 });

    await newNode.service.login('rehash_me', password, '10.0.0.1');
    const after = (await stores.users.findUserById(user.id))?.passwordHash ?? '';
    expect(after.startsWith('$argon2id$')).toBe(true);
    expect(paramsOf(after)).toEqual({ m: 9216, t: 2, p: 1 });

    // The new hash still verifies, on both nodes, and another login leaves it alone.
    await newNode.service.login('rehash_me', password, '10.0.0.1');
    expect((await stores.users.findUserById(user.id))?.passwordHash).toBe(after);
    await expect(oldNode.service.login('rehash_me', password, '10.0.0.1')).resolves.toBeTruthy();
  });

  it('a legacy argon2i hash with the same numbers is upgraded to argon2id', async () => {
    const stores = createMemoryStores();
    const node = authServiceOver(stores, { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' });
    const user = await node.service.register('legacy_user', password, '10.0.0.1');
    const legacy = await argon2.hash(password, {
      type: argon2.argon2i,
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
    });
    await stores.users.updatePasswordHash(user.id, legacy);

    await node.service.login('legacy_user', password, '10.0.0.1');
    const after = (await stores.users.findUserById(user.id))?.passwordHash ?? '';
    expect(after.startsWith('$argon2id$')).toBe(true);
  });

  it('a wrong password never rewrites the hash', async () => {
    const stores = createMemoryStores();
    const oldNode = authServiceOver(stores, { ARGON2_MEMORY_KIB: '8192', ARGON2_TIME_COST: '1' });
    const newNode = authServiceOver(stores, { ARGON2_MEMORY_KIB: '9216', ARGON2_TIME_COST: '1' });
    const user = await oldNode.service.register('keep_hash', password, '10.0.0.1');
    const before = (await stores.users.findUserById(user.id))?.passwordHash;
    await expect(
      newNode.service.login('keep_hash', 'not the password', '10.0.0.1'),
    ).rejects.toThrow();
    expect((await stores.users.findUserById(user.id))?.passwordHash).toBe(before);
  });
});
