import type { E2eeKeyStore } from './key-store';

/*
 * The few IndexedDB shapes this store uses, declared here: the SDK compiles without the DOM
 * library so nothing browser-only leaks into its Node typings.
 */
interface IdbRequest<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: string, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
}
interface IdbDatabase {
  objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(
    store: string,
    mode: 'readonly' | 'readwrite',
  ): { objectStore(name: string): IdbObjectStore };
  close(): void;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: (() => void) | null;
}
/** `window.indexedDB`, or any implementation of it. */
export interface IdbFactory {
  open(name: string, version: number): IdbOpenRequest;
}

const STORE = 'keys';

function done<T>(request: IdbRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Keeps a browser device's E2EE secrets in IndexedDB (one object store of strings), so they
 * survive reloads. Like any browser storage, they are readable by script running on the
 * app's origin and are lost when the user clears site data (the device must then be added
 * to its groups again, without earlier history).
 */
export class IndexedDbKeyStore implements E2eeKeyStore {
  private db: Promise<IdbDatabase> | undefined;

  /**
   * @param name the IndexedDB database name; use one per signed-in user on a shared browser
   * @param factory the IndexedDB implementation
   * @default name 'parley-e2ee'; factory `globalThis.indexedDB`
   */
  constructor(
    private readonly name = 'parley-e2ee',
    private readonly factory: IdbFactory = (globalThis as unknown as { indexedDB: IdbFactory })
      .indexedDB,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const value = await done((await this.store('readonly')).get(key));
    return typeof value === 'string' ? value : undefined;
  }

  async set(key: string, value: string): Promise<void> {
    await done((await this.store('readwrite')).put(value, key));
  }

  async delete(key: string): Promise<void> {
    await done((await this.store('readwrite')).delete(key));
  }

  /** Closes the database connection (a later call opens it again). */
  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db).close();
  }

  private async store(mode: 'readonly' | 'readwrite'): Promise<IdbObjectStore> {
    this.db ??= (() => {
      const request = this.factory.open(this.name, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE))
          request.result.createObjectStore(STORE);
      };
      return done(request);
    })();
    return (await this.db).transaction(STORE, mode).objectStore(STORE);
  }
}
