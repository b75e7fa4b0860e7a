import { createHmac, createPrivateKey, type KeyObject, sign } from 'node:crypto';

/** Builds JWTs by hand, so a test can make exactly the malformed token it wants. */
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function unsignedJwt(header: Record<string, unknown>, payload: Record<string, unknown>) {
  return `${b64url(header)}.${b64url(payload)}.`;
}

/** ES256 with raw r||s signatures (JWS form, not DER). */
export function es256Jwt(
  key: KeyObject | string,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
) {
  const privateKey = typeof key === 'string' ? createPrivateKey(key) : key;
  const input = `${b64url({ alg: 'ES256', typ: 'JWT', ...header })}.${b64url(payload)}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** HS256 with an arbitrary secret: the algorithm-confusion attack uses the public key PEM. */
export function hs256Jwt(
  secret: string,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
) {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT', ...header })}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** Decodes a token's payload without verifying it (to copy realistic claims). */
export function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}
