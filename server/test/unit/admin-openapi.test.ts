import { compileErrors, validate } from '@readme/openapi-parser';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, toOpenApiPath } from '../../src/http/openapi';
import { get, signUp } from '../helpers/http-client';
import { startEmbeddedNode, type TestNode } from '../helpers/start-node';

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** Every (method, path) express would route, found by walking the router stack. */
function expressRoutes(stack: Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths)
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') out.push(`${method.toUpperCase()} ${prefix}${path}`);
    } else if (layer.handle.stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      out.push(...expressRoutes(layer.handle.stack, prefix + mount));
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startEmbeddedNode();
  });
  afterAll(() => node.stop());

  it('is a valid OpenAPI 3.1 document, served at /openapi.json', async () => {
    const res = await get(`${node.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    const result = await validate(structuredClone(res.body) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    expect(res.body.openapi).toBe('3.1.0');
    // Full schema validation of ~30 operations: seconds when the machine is loaded.
  }, 30_000);

  it('documents exactly the routes express serves', () => {
    const { router } = node.app.express as unknown as { router: { stack: Layer[] } };
    const served = expressRoutes(router.stack).map((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return `${method} ${toOpenApiPath(path)}`;
    });
    const doc = buildOpenApiDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(served.length).toBeGreaterThan(15);
    expect([...new Set(served)].sort()).toEqual([...documented].sort());
  });
});

describe('admin endpoints under random input (fast-check)', () => {
  let node: TestNode;
  let adminAuth: Record<string, string>;
  // Real ids, so some generated requests reach the handlers instead of stopping at 404.
  const roomId = '7d6f3a52-1f0c-4a5e-9a43-3c1f1b0e2a11';
  let memberId = '';
  beforeAll(async () => {
    node = await startEmbeddedNode();
    const admin = await signUp(node.url);
    const member = await signUp(node.url);
    memberId = member.user.id;
    await node.stores.users.setUserRoles(admin.user.id, ['admin', 'user']);
    adminAuth = { authorization: `Bearer ${admin.accessToken}` };
    const createdAt = new Date().toISOString();
    await node.stores.rooms.createRoom(
      { id: roomId, kind: 'group', name: 'fuzz', createdBy: memberId, createdAt },
      [{ userId: memberId, role: 'owner' }],
    );
    for (let seq = 1; seq <= 30; seq++) {
      await node.stores.messages.appendMessage({
        roomId,
        seq,
        id: crypto.randomUUID(),
        senderId: memberId,
        clientMsgId: crypto.randomUUID(),
        body: `m${seq}`,
        createdAt,
      });
    }
  });
  afterAll(() => node.stop());

  const segment = fc.oneof(
    fc.uuid(),
    fc.constant(roomId),
    fc.constant('').map(() => memberId),
    fc.integer({ min: 1, max: 40 }).map(String),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('..', '%', '%ZZ', '%00', '0', '-1', '1e3', '99999999999999999999'),
  );
  const paths = fc.oneof(
    fc.tuple(segment).map(([a]) => `/admin/rooms/${enc(a)}/messages`),
    fc.tuple(segment).map(([a]) => `/admin/rooms/${enc(a)}/export`),
    fc.tuple(segment).map(([a]) => `/admin/rooms/${enc(a)}`),
    fc.tuple(segment, segment).map(([a, b]) => `/admin/rooms/${enc(a)}/messages/${enc(b)}`),
    fc.tuple(segment, segment).map(([a, b]) => `/admin/rooms/${enc(a)}/members/${enc(b)}`),
    fc.tuple(segment).map(([a]) => `/admin/users/${enc(a)}/messages`),
    fc.tuple(segment).map(([a]) => `/admin/users/${enc(a)}/ban`),
    fc.tuple(segment).map(([a]) => `/admin/users/${enc(a)}`),
    fc.constantFrom('/admin/users', '/admin/rooms', '/admin/overview', '/admin/audit'),
  );
  const keys = fc.constantFrom(
    'from',
    'to',
    'senderId',
    'roomId',
    'includeDeleted',
    'order',
    'cursor',
    'limit',
    'username',
    'q',
    'x',
  );
  const values = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer().map(String),
    fc.uuid(),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('true', 'false', 'asc', 'desc', '', '%', 'eyJrIjoicm9vbSJ9', '1e400'),
    fc.constant('').map(() => memberId),
    fc.constant(roomId),
  );
  const query = fc
    .array(fc.tuple(keys, values), { maxLength: 5 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
  const method = fc.constantFrom('GET', 'POST', 'DELETE');

  it('never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(method, paths, query, async (m, path, q) => {
        const res = await fetch(`${node.url}${path}${q ? `?${q}` : ''}`, {
          method: m,
          headers: { ...adminAuth, 'content-type': 'application/json' },
          ...(m === 'POST' ? { body: '{}' } : {}),
        });
        await res.arrayBuffer();
        expect(res.status, `${m} ${path}?${q}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    // 300 HTTP round trips: the default 5 s guard is too tight on a loaded 2-core machine.
  }, 60_000);
});

/** Mostly encoded, sometimes raw, so malformed escapes reach the router too. */
function enc(segment: string) {
  return segment.length % 3 === 0 ? segment.replace(/[/?#]/g, '') : encodeURIComponent(segment);
}
