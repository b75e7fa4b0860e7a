import type { TokenPair } from '@parley/contract';
import { randomUUID } from 'node:crypto';

/** Status, headers and the JSON body (or `{}`) of a response. */
async function parsed(res: Response) {
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

/** Minimal REST helpers for tests. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return parsed(
    await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
}

export async function get(url: string, headers: Record<string, string> = {}) {
  return parsed(await fetch(url, { headers }));
}

/** DELETE, with a JSON body when one is given (moderation takes a reason). */
export async function del(url: string, headers: Record<string, string> = {}, body?: unknown) {
  const json = body !== undefined;
  return parsed(
    await fetch(url, {
      method: 'DELETE',
      headers: json ? { 'content-type': 'application/json', ...headers } : headers,
      body: json ? JSON.stringify(body) : undefined,
    }),
  );
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
