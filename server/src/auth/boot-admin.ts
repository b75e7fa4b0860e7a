import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load-config';
import type { Stores } from '../storage/types';
import { type AdminCreateOutcome, createOrPromoteAdmin } from './admin-create';
import { createPasswordHasher } from './password-hasher';

export interface BootAdmin {
  username: string;
  /** Set only when this boot generated it: shown once, never stored in clear. */
  generatedPassword?: string;
  outcome: AdminCreateOutcome;
}

/**
 * The admin a node makes at boot, so the console can be tried at once. The embedded engine
 * keeps users in memory, so it always makes one: PARLEY_ADMIN_USERNAME/PASSWORD when given,
 * otherwise `admin` with a random one-time password. A cluster node does so only when both
 * are set (there is no default admin password anywhere).
 */
export async function bootstrapAdmin(
  config: Config,
  stores: Pick<Stores, 'users' | 'audit'>,
): Promise<BootAdmin | undefined> {
  const { username, password } = config.admin;
  if (config.engine !== 'embedded' && !(username && password)) return undefined;
  const name = username ?? 'admin';
  const generatedPassword = password ? undefined : randomBytes(15).toString('base64url');
  const { outcome } = await createOrPromoteAdmin(
    { stores, hasher: createPasswordHasher(config.argon2) },
    name,
    async () => password ?? (generatedPassword as string),
    'boot (PARLEY_ADMIN_USERNAME)',
  );
  return {
    username: name,
    generatedPassword: outcome === 'created' ? generatedPassword : undefined,
    outcome,
  };
}
