import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { type IdbFactory, IndexedDbKeyStore } from '../../src/index';

/** The browser key store, on an in-memory IndexedDB implementation (fake-indexeddb). */
describe('IndexedDbKeyStore', () => {
  it('keeps values across store instances (a page reload) and deletes them', async () => {
    const factory = new IDBFactory() as unknown as IdbFactory;
    const first = new IndexedDbKeyStore('parley-e2ee-test', factory);
    expect(await first.get('device')).toBeUndefined();
    await first.set('device', 'd1');
    await first.set('group:r1', 'state-1');
    await first.set('group:r1', 'state-2');
    await first.close();

    const second = new IndexedDbKeyStore('parley-e2ee-test', factory);
    expect(await second.get('device')).toBe('d1');
    expect(await second.get('group:r1')).toBe('state-2');
    await second.delete('device');
    expect(await second.get('device')).toBeUndefined();
    // Another database name is another store (one per signed-in user on a shared browser).
    expect(await new IndexedDbKeyStore('other', factory).get('group:r1')).toBeUndefined();
    await second.close();
  });
});
