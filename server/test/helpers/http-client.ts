import type { TokenPair } from '@parley/contract';
import { randomUUID } from 'node:crypto';

/** Minimal REST helpers for tests. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

export async function get(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Registers a fresh user and logs in; returns the token pair. */
export async function signUp(
  baseUrl: string,
  name = `u_${randomUUID().slice(0, 12)}`,
): Promise<TokenPair & { password: string }> {
  const password = 'correct horse battery staple';
  const reg = await post(`${baseUrl}/auth/register`, { username: name, password });
  if (reg.status !== 201)
    throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await post(`${baseUrl}/auth/login`, { username: name, password });
  if (login.status !== 200)
    throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return { ...(login.body as unknown as TokenPair), password };
}
