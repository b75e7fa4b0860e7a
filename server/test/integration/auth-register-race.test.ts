import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/http-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Username uniqueness rests on Cassandra's LWT, not on any one node's memory. */
const cluster = createTestCluster();
let nodes: TestNode[];

beforeAll(async () => {
  nodes = await Promise.all([cluster.startNode(), cluster.startNode()]);
});
afterAll(() => cluster.stopAll());

describe('concurrent registration of one username', () => {
  it('10 registrations split across 2 nodes yield exactly one account', async () => {
    const username = `race_${randomUUID().slice(0, 8)}`;
    const attempts = Array.from({ length: 10 }, (_, i) => ({
      node: nodes[i % 2] as TestNode,
      // Mixed case too: the claim is on the lower-cased name.
      username: i % 3 === 0 ? username.toUpperCase() : username,
      password: `password number ${i}`,
    }));
    const results = await Promise.all(
      attempts.map((t) =>
        post(`${t.node.url}/auth/register`, { username: t.username, password: t.password }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(9);

    // The one account is the winner's: its password logs in, from either node.
    const winner = attempts[statuses.indexOf(201)] as (typeof attempts)[number];
    for (const node of nodes) {
      const login = await post(`${node.url}/auth/login`, {
        username,
        password: winner.password,
      });
      expect(login.status).toBe(200);
    }
    const loser = attempts.find((t) => t.password !== winner.password) as (typeof attempts)[number];
    const denied = await post(`${nodes[0]!.url}/auth/login`, {
      username,
      password: loser.password,
    });
    expect(denied.status).toBe(401);
  });
});
