import { randomUUID } from 'node:crypto';
import { password as passwordSchema, username as usernameSchema } from '@parley/contract';
import type { ZodType } from 'zod';
import { AppError } from '../errors';
import type { Stores, UserRecord } from '../storage/types';
import type { PasswordHasher } from './password-hasher';

/** Audit actor for changes made by an operator at the console rather than by a user. */
export const OPERATOR_ACTOR_ID = '00000000-0000-0000-0000-000000000000';

export type AdminCreateOutcome = 'created' | 'promoted' | 'already-admin';

/**
 * Creates an admin account, or promotes an existing account to admin. The password is
 * asked for only when an account is created: promotion never touches a password.
 */
export async function createOrPromoteAdmin(
  deps: { stores: Pick<Stores, 'users' | 'audit'>; hasher: PasswordHasher },
  rawUsername: string,
  readPassword: () => Promise<string>,
  /** Who made the change, for the audit log. */
  source = 'npm run admin:create',
): Promise<{ outcome: AdminCreateOutcome; user: UserRecord }> {
  const { users, audit } = deps.stores;
  const username = check('username', usernameSchema, rawUsername);

  let existing = await users.findUserByUsername(username);
  if (!existing) {
    const password = check('password', passwordSchema, await readPassword());
    const user: UserRecord = {
      id: randomUUID(),
      username,
      passwordHash: await deps.hasher.hash(password),
      roles: ['admin', 'user'],
      createdAt: new Date(),
    };
    if ((await users.createUser(user)) === 'created') {
      await record(audit, 'user.create-admin', user.id, source);
      return { outcome: 'created', user };
    }
    // Someone registered the name between our lookup and our claim: promote that account.
    existing = await users.findUserByUsername(username);
    if (!existing) throw new AppError('CONFLICT', 'username is claimed but its account is missing');
  }
  if (existing.roles.includes('admin')) return { outcome: 'already-admin', user: existing };
  const roles = [...new Set([...existing.roles, 'admin' as const])];
  await users.setUserRoles(existing.id, roles);
  await record(audit, 'user.promote-admin', existing.id, source);
  return { outcome: 'promoted', user: { ...existing, roles } };
}

async function record(audit: Stores['audit'], action: string, userId: string, source: string) {
  await audit.appendAudit({
    id: randomUUID(),
    actorId: OPERATOR_ACTOR_ID,
    action,
    targetType: 'user',
    targetId: userId,
    detail: source,
    at: new Date(),
  });
}

/** Operator-facing message: names the field, which a generic payload error would not. */
function check<T>(field: string, schema: ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const reasons = result.error.issues.map((i) => i.message).join('; ');
  throw new AppError('VALIDATION', `invalid ${field}: ${reasons}`);
}
