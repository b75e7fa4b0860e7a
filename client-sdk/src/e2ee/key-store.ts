/**
 * Where a device keeps its E2EE secrets: its device id, the private halves of the
 * KeyPackages it uploaded, and each group's MLS state. Values are opaque strings (base64 or
 * JSON). Pluggable: the default keeps them in memory (a Node process, tests); a browser app
 * passes an IndexedDB-backed store. Losing the store loses the device's access to its
 * groups: it must then join again as a new device (and does not see earlier history).
 * Methods may be sync or async.
 */
export interface E2eeKeyStore {
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, value: string): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/** Keeps everything in this process: gone when it exits. */
export class MemoryKeyStore implements E2eeKeyStore {
  private readonly items = new Map<string, string>();
  get(key: string) {
    return this.items.get(key);
  }
  set(key: string, value: string) {
    this.items.set(key, value);
  }
  delete(key: string) {
    this.items.delete(key);
  }
}
