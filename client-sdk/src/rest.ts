import type { Credentials } from './token-manager';
import type { PublicUser } from '@parley/contract';
import { ParleyError, toParleyError } from './errors';

export interface RestCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, e.g. `/admin/users?q=ali`. */
  path: string;
  body?: unknown;
  /** Bearer access token. */
  token?: string;
}

/**
 * One REST call, tried against each base URL in turn while the failure is the node's
 * (unreachable, 5xx): another node may answer. A 4xx is the answer and is thrown as a
 * ParleyError carrying the server's problem+json code.
 */
export async function callRest<T>(
  fetchImpl: typeof globalThis.fetch,
  bases: string[],
  call: RestCall,
): Promise<T> {
  let lastError: ParleyError | undefined;
  for (const base of bases) {
    let res: Response;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      if (call.token) headers.authorization = `Bearer ${call.token}`;
      res = await fetchImpl(new URL(call.path, base).toString(), {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
      });
    } catch (err) {
      lastError = new ParleyError('NETWORK', `cannot reach ${base}`, { cause: err });
      continue;
    }
    const text = await res.text();
    const parsed: unknown = text ? safeJson(text) : undefined;
    if (res.ok) return parsed as T;
    const error = toParleyError(parsed, res.status >= 500 ? 'UNAVAILABLE' : 'INTERNAL');
    if (res.status >= 500) {
      lastError = error;
      continue;
    }
    throw error;
  }
  throw lastError ?? new ParleyError('NETWORK', 'no server URL to call');
}

/**
 * Creates an account (`POST /auth/register`). Then sign in with the same credentials:
 * `createParleyClient({ url, credentials })`.
 * @throws ParleyError `CONFLICT` when the username is taken, `VALIDATION` for a bad one
 */
export function registerUser(
  url: string | string[],
  credentials: Credentials,
  options: { fetch?: typeof globalThis.fetch } = {},
): Promise<PublicUser> {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return callRest<PublicUser>(fetchImpl, Array.isArray(url) ? url : [url], {
    method: 'POST',
    path: '/auth/register',
    body: credentials,
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
