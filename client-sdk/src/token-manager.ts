import type { PublicUser, TokenPair } from '@parley/contract';
import { ParleyError } from './errors';
import { callRest } from './rest';

/** A fixed access token, or a function asked for a fresh one on every connect and refresh. */
export type TokenProvider = string | (() => string | Promise<string>);

export interface Credentials {
  username: string;
  password: string;
}

export type TokenSource =
  { kind: 'token'; provider: TokenProvider } | { kind: 'credentials'; credentials: Credentials };

export interface TokenManagerOptions {
  source: TokenSource;
  /** Base URLs for REST (/auth/login, /auth/refresh), tried in order until one answers. */
  restUrls: () => string[];
  fetch?: typeof globalThis.fetch;
  /** A cached token is reused for a connect only while it has at least this much life left. */
  minValidityMs?: number;
  now?: () => number;
}

/**
 * Owns the access token. With credentials it logs in, refreshes with the rotating refresh
 * token (falling back to a new login when the refresh token is refused), and shares one
 * in-flight renewal between callers: two concurrent refreshes would present the same
 * refresh token twice, which the server treats as theft and answers by revoking the session.
 */
export class TokenManager {
  private accessToken: string | undefined;
  private refreshToken: string | undefined;
  private renewal: Promise<string> | undefined;
  private currentUser: PublicUser | undefined;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly now: () => number;

  constructor(private readonly options: TokenManagerOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.now = options.now ?? Date.now;
  }

  /** The user the credentials belong to, once logged in (credentials mode only). */
  get user(): PublicUser | undefined {
    return this.currentUser;
  }

  /** Whether `renew()` can produce a different token than the one we have. */
  get canRenew(): boolean {
    return !(
      this.options.source.kind === 'token' && typeof this.options.source.provider === 'string'
    );
  }

  /** The token we last handed out, if any. */
  get current(): string | undefined {
    return this.accessToken;
  }

  /** A token for a new connection: the cached one while it is fresh, else a renewed one. */
  async getToken(): Promise<string> {
    const { source } = this.options;
    if (source.kind === 'token') {
      // Providers are asked on every connect: the app may have refreshed the token itself.
      this.accessToken = await resolveProvider(source.provider);
      return this.accessToken;
    }
    const minValidity = this.options.minValidityMs ?? 5_000;
    const exp = this.accessToken ? jwtExpiresAt(this.accessToken) : undefined;
    if (this.accessToken && (exp === undefined || exp - this.now() > minValidity)) {
      return this.accessToken;
    }
    return this.renew();
  }

  /** A new token, now. Concurrent callers share one renewal. */
  renew(): Promise<string> {
    this.renewal ??= this.doRenew().finally(() => {
      this.renewal = undefined;
    });
    return this.renewal;
  }

  /** Forgets the access token after the server refused it, so the next connect renews. */
  invalidate(): void {
    if (this.options.source.kind === 'credentials') this.accessToken = undefined;
  }

  /** Epoch ms when the current token expires, from its `exp` claim (not verified). */
  expiresAt(): number | undefined {
    return this.accessToken ? jwtExpiresAt(this.accessToken) : undefined;
  }

  /** Lifetime of the current token (exp − iat) in ms, when both claims are present. */
  lifetimeMs(): number | undefined {
    if (!this.accessToken) return undefined;
    const claims = decodeJwtPayload(this.accessToken);
    const { exp, iat } = claims ?? {};
    return typeof exp === 'number' && typeof iat === 'number' ? (exp - iat) * 1000 : undefined;
  }

  private async doRenew(): Promise<string> {
    const { source } = this.options;
    if (source.kind === 'token') {
      this.accessToken = await resolveProvider(source.provider);
      return this.accessToken;
    }
    if (this.refreshToken) {
      try {
        return this.adopt(await this.post('/auth/refresh', { refreshToken: this.refreshToken }));
      } catch (err) {
        // A refused refresh token (expired, rotated, revoked) is worth one fresh login;
        // anything else (server unreachable, banned) is not.
        if (!(err instanceof ParleyError) || err.code !== 'UNAUTHORIZED') throw err;
        this.refreshToken = undefined;
      }
    }
    return this.adopt(await this.post('/auth/login', source.credentials));
  }

  private adopt(pair: TokenPair): string {
    this.accessToken = pair.accessToken;
    this.refreshToken = pair.refreshToken;
    this.currentUser = pair.user;
    return pair.accessToken;
  }

  private post(path: string, body: unknown): Promise<TokenPair> {
    return callRest<TokenPair>(this.fetchImpl, this.options.restUrls(), {
      method: 'POST',
      path,
      body,
    });
  }
}

async function resolveProvider(provider: TokenProvider): Promise<string> {
  const token = typeof provider === 'string' ? provider : await provider();
  if (typeof token !== 'string' || token.length === 0) {
    throw new ParleyError('UNAUTHORIZED', 'token provider returned no token', { retryable: false });
  }
  return token;
}

/** Reads a JWT's claims without verifying it: the SDK only needs `exp` to plan a refresh. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    // atob exists in browsers and Node ≥ 16; it yields Latin-1, so decode UTF-8 ourselves.
    const bytes = Uint8Array.from(globalThis.atob(padded), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === 'object' && claims !== null
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Epoch ms of a JWT's `exp`, or undefined when it has none or is not a JWT. */
export function jwtExpiresAt(token: string): number | undefined {
  const exp = decodeJwtPayload(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}
