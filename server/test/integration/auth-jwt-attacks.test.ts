import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, signUp } from '../helpers/http-client';
import { es256Jwt, hs256Jwt, payloadOf, unsignedJwt } from '../helpers/jwt-forge';
import { connectSocket, expectHandshakeRefused } from '../helpers/handshake-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/**
 * Every forged token must fail closed the same way on both doors: 401 UNAUTHORIZED on
 * REST and connect_error {code: UNAUTHORIZED} on the socket handshake.
 */
const cluster = createTestCluster();
let node: TestNode;
let valid: string;
let claims: Record<string, unknown>;

beforeAll(async () => {
  node = await cluster.startNode();
  valid = (await signUp(node.url)).accessToken;
  claims = payloadOf(valid);
});
afterAll(() => cluster.stopAll());

const now = () => Math.floor(Date.now() / 1000);
const kid = () => node.config.jwt.keyId;
const serverKey = () => cluster.jwtKey;
const publicPem = () =>
  createPublicKey(cluster.jwtKey).export({ type: 'spki', format: 'pem' }).toString();

const attacks: [string, () => unknown][] = [
  ['alg none', () => unsignedJwt({ alg: 'none', typ: 'JWT', kid: kid() }, claims)],
  ['alg "None" spelled otherwise', () => unsignedJwt({ alg: 'None', kid: kid() }, claims)],
  [
    'HS256 signed with the server public key PEM (algorithm confusion)',
    () => hs256Jwt(publicPem(), { kid: kid() }, { ...claims, roles: ['admin'] }),
  ],
  [
    'tampered payload with the original signature',
    () => {
      const [h, , s] = valid.split('.');
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin', 'user'] }));
      return `${h}.${forged.toString('base64url')}.${s}`;
    },
  ],
  [
    'expired',
    () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, iat: now() - 120, exp: now() - 60 }),
  ],
  [
    'not yet valid (nbf in the future)',
    () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, nbf: now() + 300 }),
  ],
  ['wrong issuer', () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, iss: 'evil' })],
  [
    'wrong audience',
    () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, aud: 'someone-else' }),
  ],
  ['unknown kid', () => es256Jwt(serverKey(), { kid: 'k-unknown' }, claims)],
  ['missing kid', () => es256Jwt(serverKey(), {}, claims)],
  ['kid that is not a string', () => es256Jwt(serverKey(), { kid: { $ne: null } }, claims)],
  [
    'signed by a different EC key with the right kid',
    () =>
      es256Jwt(
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
        { kid: kid() },
        claims,
      ),
  ],
  ['missing exp', () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, exp: undefined })],
  [
    'sub that is not a uuid',
    () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, sub: "x' OR 1=1" }),
  ],
  ['garbage string', () => 'not-a-jwt'],
  ['three garbage segments', () => 'aaa.bbb.ccc'],
  ['empty segments', () => '..'],
  [
    'payload that is JSON null',
    () => `${Buffer.from('{"alg":"ES256","kid":"k1"}').toString('base64url')}.bnVsbA.AAAA`,
  ],
  [
    'oversize token (> 4096 chars) even though correctly signed',
    () => es256Jwt(serverKey(), { kid: kid() }, { ...claims, pad: 'x'.repeat(4200) }),
  ],
];

describe('forged access tokens fail closed', () => {
  it('the valid control token works on both doors', async () => {
    const me = await get(`${node.url}/auth/me`, { authorization: `Bearer ${valid}` });
    expect(me.status).toBe(200);
    const socket = await connectSocket(node.url, valid);
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it.each(attacks)('%s: REST 401 UNAUTHORIZED', async (_name, make) => {
    const token = make();
    const res = await get(`${node.url}/auth/me`, { authorization: `Bearer ${String(token)}` });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
    expect(JSON.stringify(res.body)).not.toMatch(/\s+at |stack/);
  });

  it.each(attacks)('%s: socket connect_error UNAUTHORIZED', async (_name, make) => {
    const refusal = await expectHandshakeRefused(node.url, { token: make() });
    expect(refusal.data?.code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['no auth at all', {}],
    ['token is a number', { token: 42 }],
    ['token is an object', { token: { alg: 'none' } }],
    ['token is an empty string', { token: '' }],
  ])('socket handshake with %s is refused', async (_name, auth) => {
    const refusal = await expectHandshakeRefused(node.url, auth);
    expect(refusal.data?.code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['no Authorization header', {}],
    ['a Basic header', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('REST with %s is 401', async (_name, headers: Record<string, string>) => {
    const res = await get(`${node.url}/auth/me`, headers);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });
});
