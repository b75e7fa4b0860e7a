import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PresenceRegistry } from '../../src/presence/presence-registry';

export interface PresenceHarness {
  /** A fresh, empty registry (its own key space). */
  create(): PresenceRegistry;
  /**
   * Lets `ms` pass for the registry: a fake clock moves for memory; Redis reads its own
   * clock (TIME), so there real time must pass. Expiry is what is under test here.
   */
  pass(ms: number): Promise<void>;
}

/** Lifetimes short enough for real Redis time, long enough to outlast one round trip. */
const LIFE_MS = 300;

/**
 * One behaviour for both presence registries (memory for the embedded engine, Redis for a
 * cluster), like the storage contract: the presence service relies on exactly this.
 */
export function describePresenceRegistryContract(name: string, harness: PresenceHarness) {
  const node = () => `node-${randomUUID().slice(0, 8)}`;

  describe(`${name} presence registry contract`, () => {
    it('heartbeat: a new or expired node rejoins, a live one stays alive', async () => {
      const r = harness.create();
      const a = node();
      expect(await r.heartbeat(a, LIFE_MS)).toBe('rejoined');
      expect(await r.heartbeat(a, LIFE_MS)).toBe('alive');
      await harness.pass(LIFE_MS + 100);
      expect(await r.heartbeat(a, LIFE_MS)).toBe('rejoined');
    });

    it('setPresent reports cluster-wide transitions across nodes', async () => {
      const r = harness.create();
      const [a, b, user] = [node(), node(), randomUUID()];
      await r.heartbeat(a, 60_000);
      await r.heartbeat(b, 60_000);
      expect(await r.setPresent(a, user, true)).toEqual({
        wasOnline: false,
        isOnline: true,
        nodeAlive: true,
      });
      expect(await r.setPresent(b, user, true)).toMatchObject({ wasOnline: true, isOnline: true });
      expect(await r.setPresent(a, user, false)).toMatchObject({ wasOnline: true, isOnline: true });
      expect(await r.setPresent(b, user, false)).toEqual({
        wasOnline: true,
        isOnline: false,
        nodeAlive: true,
      });
      expect(await r.areOnline([user, randomUUID()])).toEqual([false, false]);
    });

    it('a node the registry does not know as alive is told so; restore re-registers silently', async () => {
      const r = harness.create();
      const [a, u1, u2] = [node(), randomUUID(), randomUUID()];
      expect(await r.setPresent(a, u1, true)).toMatchObject({ isOnline: false, nodeAlive: false });
      await r.restore(a, 60_000, [u1, u2]);
      expect(await r.areOnline([u2, u1])).toEqual([true, true]);
    });

    it('a dead node stops counting at its deadline; a sweep removes its users', async () => {
      const r = harness.create();
      const [dead, live, gone, roaming] = [node(), node(), randomUUID(), randomUUID()];
      await r.heartbeat(dead, LIFE_MS);
      await r.heartbeat(live, 60_000);
      await r.setPresent(dead, gone, true);
      await r.setPresent(dead, roaming, true);
      await r.setPresent(live, roaming, true);
      await harness.pass(LIFE_MS + 100);
      // No write from anyone: the deadline alone makes the difference.
      expect(await r.areOnline([gone, roaming])).toEqual([false, true]);
      const deadNodes = await r.deadNodes();
      expect(deadNodes.map((d) => d.nodeId)).toContain(dead);
      expect(deadNodes.map((d) => d.nodeId)).not.toContain(live);
      expect(deadNodes.find((d) => d.nodeId === dead)?.lastBeatAt).toBeInstanceOf(Date);
      const offline: string[] = [];
      for (;;) {
        const step = await r.sweepNode(dead, 1);
        offline.push(...step.offline);
        if (step.done) break;
      }
      // Only the user with no other live node went offline.
      expect(offline).toEqual([gone]);
      expect((await r.deadNodes()).map((d) => d.nodeId)).not.toContain(dead);
    });

    it('a sweep of a node that came back to life stops without removing anyone', async () => {
      const r = harness.create();
      const [a, user] = [node(), randomUUID()];
      await r.heartbeat(a, LIFE_MS);
      await r.setPresent(a, user, true);
      await harness.pass(LIFE_MS + 100);
      await r.heartbeat(a, 60_000);
      expect(await r.sweepNode(a, 10)).toEqual({ offline: [], done: true });
      expect(await r.areOnline([user])).toEqual([true]);
    });

    it('retire hands users over when another node lives, or reports being alone', async () => {
      const alone = harness.create();
      const solo = node();
      await alone.heartbeat(solo, 60_000);
      expect(await alone.retire(solo, 60_000)).toBe('alone');
      expect((await alone.deadNodes()).map((d) => d.nodeId)).toContain(solo);

      const r = harness.create();
      const [a, b, user] = [node(), node(), randomUUID()];
      await r.heartbeat(a, 60_000);
      await r.heartbeat(b, 60_000);
      await r.setPresent(a, user, true);
      expect(await r.retire(a, 60_000)).toBe('handed-over');
      // Still online during the hand-over (the user reconnects elsewhere meanwhile).
      expect(await r.areOnline([user])).toEqual([true]);
    });

    it('the sweep lock has one holder until it expires', async () => {
      const r = harness.create();
      expect(await r.tryLockSweep('a', LIFE_MS)).toBe(true);
      expect(await r.tryLockSweep('b', LIFE_MS)).toBe(false);
      await harness.pass(LIFE_MS + 100);
      expect(await r.tryLockSweep('b', LIFE_MS)).toBe(true);
    });
  });
}
